/**
 * Parsing a file again after an edit inside one function body — what typing does almost always —
 * without parsing the rest: the function alone is parsed, its nodes take the old function's place in
 * the file's tree, everything after it moves by the edit's length, and every other function keeps its
 * FunctionInfo (so its memoised analysis stays valid). When the edit is not confined to one body, or
 * the function had or gets a syntax error, the caller parses the whole file instead: error recovery in
 * a full parse depends on what surrounds the function, so a function with an error can come out of a
 * full parse differently from a parse of it alone. Errors elsewhere in the file (unknown macros are
 * normal in real code) do not stop this; test/engine/incremental.test.ts compares both parses.
 */
import type { Model } from '../../../../allocator-model/src/model';
import { neutralise } from '../parse/neutralise';
import { parseC } from '../parse/parser';
import { child, linesOf, replaceSubtree, toSyntax, type Syntax } from '../parse/syntax';
import { readFacts, readFunction, type FileFacts, type FunctionInfo } from './facts';
import { inheritDeclarationKey } from './declarations';
import { pointAfter, pointAt } from './reparse-file';
import { bodySkipper, isBinary, macroNamesAfterEdit, type ParsedFile } from './project';

const CONTAINERS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'linkage_specification', 'declaration_list']);

/**
 * `prev` is consumed: its tree is updated in place and belongs to the result. Undefined when the
 * whole file must be parsed (then `prev` is untouched).
 */
export function reparseInPlace(prev: ParsedFile, text: string, model: Model): ParsedFile | undefined {
  const root = prev.root;
  if (!root || isBinary(text)) return undefined;
  const analysed = neutralise(text, model);
  const before = prev.analysed;
  if (analysed === before) return { ...prev, text };
  let from = 0;
  const shorter = Math.min(before.length, analysed.length);
  while (from < shorter && before.charCodeAt(from) === analysed.charCodeAt(from)) from++;
  let tail = 0;
  while (tail < shorter - from && before.charCodeAt(before.length - 1 - tail) === analysed.charCodeAt(analysed.length - 1 - tail)) tail++;
  const oldEnd = before.length - tail;
  const delta = analysed.length - before.length;

  const fn = enclosingFunction(root, from, oldEnd);
  const body = fn && child(fn, 'body');
  // strictly between the braces, so the function's extent and head stay what they were
  if (!fn || !body || fn.broken || from <= body.start || oldEnd >= body.end) return undefined;
  // which bodies are converted may change
  const macros = macroNamesAfterEdit(prev, analysed, from, oldEnd, oldEnd + delta);
  if (!macros) return undefined;

  const lines = linesOf(root);
  if (!lines) return undefined;
  const piece = analysed.slice(fn.start, fn.end + delta);
  const tree = parseC(piece);
  let fresh: Syntax;
  try {
    fresh = toSyntax(tree, piece, { skipBody: bodySkipper(analysed, model, macros), place: { offset: fn.start, lines } });
  } finally {
    tree.delete();
  }
  const only = fresh.children.length === 1 ? fresh.children[0] : undefined;
  if (!only || fresh.broken || only.type !== 'function_definition' || only.start !== fn.start || only.end !== fn.end + delta) return undefined;

  // the tree-sitter tree, if kept, records the edit for the next incremental parse of the whole file
  prev.tree?.edit({
    startIndex: from, oldEndIndex: oldEnd, newEndIndex: oldEnd + delta,
    startPosition: pointAt(lines, from), oldEndPosition: pointAt(lines, oldEnd), newEndPosition: pointAfter(pointAt(lines, from), analysed.slice(from, oldEnd + delta)),
  });
  replaceSubtree(fn, only, delta);
  lines.reset(analysed);
  return { path: prev.path, text, analysed, facts: factsAfter(prev, fn, only, analysed, model), root, tree: prev.tree, macroNames: macros };
}

/**
 * The file's facts once `item` became `only`. A function that keeps its name and scope changes its
 * own FunctionInfo and nothing else the file declares: the rest of the facts, and their key, stay
 * (every other function keeps its FunctionInfo, and so its memoised analysis, in any case).
 */
function factsAfter(prev: ParsedFile, item: Syntax, only: Syntax, analysed: string, model: Model): FileFacts {
  const old = prev.facts;
  const at = item.type === 'function_definition' ? old.functions.findIndex(f => f.node === item) : -1;
  const info = at >= 0 ? readFunction(only, analysed, prev.path) : undefined;
  if (info && info.name === old.functions[at].name && info.isStatic === old.functions[at].isStatic) {
    const functions = [...old.functions];
    functions[at] = info;
    const facts = { ...old, functions };
    inheritDeclarationKey(old, facts);
    return facts;
  }
  const reuse = new Map<Syntax, FunctionInfo>();
  for (const f of old.functions) reuse.set(f.node, f);
  const root = prev.root!;
  return readFacts(root, analysed, prev.path, model, reuse);
}

/** The top-level function definition whose extent contains [from, to], looking through conditionals. */
function enclosingFunction(root: Syntax, from: number, to: number): Syntax | undefined {
  let level = root;
  for (;;) {
    const inside = level.children.find(c => c.start <= from && to <= c.end);
    if (!inside) return undefined;
    if (inside.type === 'function_definition') return inside;
    if (!CONTAINERS.has(inside.type)) return undefined;
    level = inside;
  }
}
