/**
 * Parsing a file again after an edit inside one top-level item — a function body, almost always, when
 * typing — without parsing the rest: the item alone is parsed, its nodes take the old item's place in
 * the file's tree, everything after it moves by the edit's length, and every function outside it keeps
 * its FunctionInfo (so its memoised analysis stays valid). When the edit is not inside one item the
 * caller parses the whole file instead.
 *
 * A function that parses without errors alone, and had none before, parses the same way inside the
 * file, and an edit between its braces changes nothing else (test/engine/incremental.test.ts compares
 * both parses over random edits; errors elsewhere in the file, normal in real code, do not change
 * that). Anything else may not: tree-sitter's error recovery in a parse of the whole file depends on
 * the surrounding text, and can even change how a later function comes out. Such an edit — in a
 * function with a syntax error, in a function's head, in a declaration or a conditional — is parsed
 * alone only when the caller accepts a guess (`speculate`): the item's range is recorded as a guess in
 * `unverified`, for a parse from scratch to confirm or correct afterwards (project/settle.ts).
 * Otherwise the caller parses the whole file.
 */
import type { Model } from '../../../../allocator-model/src/model';
import { neutralise } from '../parse/neutralise';
import { parseC, type Tree } from '../parse/parser';
import type { Node as TSNode } from 'web-tree-sitter';
import { changedSpan, child, linesOf, replaceSubtree, toSyntax, type Syntax } from '../parse/syntax';
import { readFacts, readFunction, type FileFacts, type FunctionInfo, unreadInitializer } from './facts';
import { inheritDeclarationKey } from './declarations';
import { pointAfter, pointAt } from './reparse-file';
import { bodySkipper, isBinary, macroNamesAfterEdit, type ParsedFile, type Unverified } from './project';

const CONTAINERS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'linkage_specification', 'declaration_list']);

/**
 * `prev` is consumed: its tree is updated in place and belongs to the result. Undefined when the
 * whole file must be parsed (then `prev` is untouched).
 */
export function reparseInPlace(prev: ParsedFile, text: string, model: Model, speculate = false): ParsedFile | undefined {
  const root = prev.root;
  if (!root || isBinary(text)) return undefined;
  const analysed = neutralise(text, model);
  const before = prev.analysed;
  if (analysed === before) return { ...prev, text };
  const { from, oldEnd } = changedSpan(before, analysed);
  const delta = analysed.length - before.length;

  // strictly inside, so that the item's extent stays what it was but for the edit's length
  const item = enclosingItem(root, from, oldEnd);
  if (!item) return undefined;
  const body = item.type === 'function_definition' ? child(item, 'body') : undefined;
  // an edit between a function's braces leaves its head, and so what it declares, as they were
  const inBody = !!body && from > body.start && oldEnd < body.end;
  const prior = prev.unverified ?? [];
  let guess = !inBody || hadError(prev, item);
  // a guess is checked against the last tree parsed from scratch: without one, no guess
  if (guess && (!speculate || !prev.tree)) return undefined;
  // which bodies are converted may change
  const macros = macroNamesAfterEdit(prev, analysed, from, oldEnd, oldEnd + delta, model);
  if (!macros) return undefined;

  const lines = linesOf(root);
  if (!lines) return undefined;
  const piece = analysed.slice(item.start, item.end + delta);
  const tree = parseC(piece);
  let fresh: Syntax;
  try {
    fresh = toSyntax(tree, piece, {
      skipBody: bodySkipper(analysed, model, macros),
      skipInitializer: unreadInitializer(model, analysed),
      place: { offset: item.start, lines },
    });
    // an error inside a body left unconverted does not mark the syntax broken, but counts here
    guess ||= tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
  const only = fresh.children.length === 1 ? fresh.children[0] : undefined;
  if (!only || only.type !== item.type || only.start !== item.start || only.end !== item.end + delta) return undefined;
  if (guess && (!speculate || !prev.tree)) return undefined;
  // items parsed alone since the last parse from scratch, moved by the edit; this one replaces those inside it
  const unverified: Unverified[] = [];
  for (const u of prior) {
    const start = u.start >= oldEnd ? u.start + delta : u.start;
    const end = u.end >= oldEnd ? u.end + delta : u.end;
    if (start < item.start || end > item.end + delta) unverified.push({ start, end, guess: u.guess });
  }
  unverified.push({ start: item.start, end: item.end + delta, guess });
  unverified.sort((a, b) => a.start - b.start);

  // the tree-sitter tree, if kept, records the edit for the next parse of the whole file
  prev.tree?.edit({
    startIndex: from, oldEndIndex: oldEnd, newEndIndex: oldEnd + delta,
    startPosition: pointAt(lines, from), oldEndPosition: pointAt(lines, oldEnd), newEndPosition: pointAfter(pointAt(lines, from), analysed.slice(from, oldEnd + delta)),
  });
  replaceSubtree(item, only, delta);
  // as a conversion of the whole file marks them (nothing reads the flag above a function)
  if (only.broken) for (let a = only.parent; a && !a.broken; a = a.parent) a.broken = true;
  lines.reset(analysed);
  return { path: prev.path, text, analysed, facts: factsAfter(prev, item, only, analysed, model), root, tree: prev.tree, unverified, macroNames: macros };
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

/**
 * Whether the function, as the file's syntax has it now, may have come out of the last parse from
 * scratch differently from a parse of it alone: it was parsed alone as a guess since (or lies in
 * something that was), or that parse found an error in it (in a body left unconverted too, which the
 * syntax does not show), or it is marked broken.
 */
function hadError(prev: ParsedFile, fn: Syntax): boolean {
  if (fn.broken) return true;
  const overlapping = prev.unverified?.filter(u => u.start < fn.end && fn.start < u.end) ?? [];
  if (overlapping.some(u => u.guess)) return true;
  if (overlapping.length) return false; // parsed alone without an error since, as a parse from scratch parses it
  if (!prev.tree) return false; // the tree was given back (the file stopped being asked about): the syntax's word
  const node = itemAt(prev.tree, fn.start, fn.end, fn.type);
  return !node || node.hasError;
}

/** The node of `tree` of this type and extent, if there is one. */
export function itemAt(tree: Tree, start: number, end: number, type: string): TSNode | undefined {
  for (let n: TSNode | null = tree.rootNode.descendantForIndex(start, end); n && n.startIndex === start && n.endIndex === end; n = n.parent) {
    if (n.type === type) return n;
  }
  return undefined;
}

/**
 * The innermost top-level item — function, declaration, conditional, even a statement or an ERROR
 * where error recovery left one — that contains [from, to] strictly, looking into conditionals (their
 * conditions are not items) and extern "C" blocks.
 */
function enclosingItem(root: Syntax, from: number, to: number): Syntax | undefined {
  let level = root;
  let found: Syntax | undefined;
  for (;;) {
    const inside = level.children.find(c => c.start < from && to < c.end && (c.field === null || c.field === 'alternative' || c.field === 'body'));
    if (!inside) return found;
    if (!CONTAINERS.has(inside.type)) return inside;
    found = inside;
    level = inside;
  }
}
