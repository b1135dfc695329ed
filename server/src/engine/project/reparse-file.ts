/**
 * Parsing a whole file again after an edit that reparse.ts cannot confine to one function (one that
 * tree-sitter parses with an error, an edit between functions) without converting the whole file:
 * tree-sitter parses the new text from scratch, the previous tree, edited, tells which ranges came out
 * different (tree.getChangedRanges), and only the top-level items (functions, declarations,
 * conditionals) there, or touched by the edit, are converted again. Every other item keeps its syntax
 * — moved by the edit's length when it lies after it — and its FunctionInfo, so its memoised analysis
 * still applies.
 *
 * Not tree-sitter's incremental parse (parse(text, oldTree)): around syntax errors it can recover
 * differently from a parse from scratch, and what the editor shows must be what the CLI finds.
 * test/engine/incremental.test.ts compares the result with a parse from scratch over random edits.
 */
import type { Model } from '../../../../allocator-model/src/model';
import { neutralise } from '../parse/neutralise';
import { parseC, type Tree } from '../parse/parser';
import { changedSpan, linesOf, shiftAll, toSyntax, type LineIndex, type Syntax } from '../parse/syntax';
import { readFacts, type FunctionInfo, unreadInitializer } from './facts';
import { bodySkipper, isBinary, macroNamesAfterEdit, type ParsedFile } from './project';

const CONTAINERS = new Set(['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'linkage_specification', 'declaration_list']);

/**
 * `prev` (parsed with its tree kept) is consumed: its tree is edited and deleted, its syntax moves to
 * the result, which holds the new tree. Undefined when the file must be parsed from scratch (then
 * `prev` is untouched): no tree, binary text, or the file's #define names changed (they decide which
 * bodies are converted). `parsed`: the new text's tree-sitter tree, already parsed from scratch (the
 * result takes it over).
 */
export function reparseFile(prev: ParsedFile, text: string, model: Model, parsed?: Tree): ParsedFile | undefined {
  const { tree, root } = prev;
  const lines = root && linesOf(root);
  if (!tree || !root || !lines || isBinary(text)) return undefined;
  const analysed = neutralise(text, model);
  const before = prev.analysed;
  const { from, oldEnd, newEnd } = changedSpan(before, analysed);
  const delta = newEnd - oldEnd;
  const macros = macroNamesAfterEdit(prev, analysed, from, oldEnd, newEnd, model);
  if (!macros) return undefined;

  if (from !== oldEnd || from !== newEnd) {
    tree.edit({
      startIndex: from, oldEndIndex: oldEnd, newEndIndex: newEnd,
      startPosition: pointAt(lines, from), oldEndPosition: pointAt(lines, oldEnd), newEndPosition: pointAfter(pointAt(lines, from), analysed.slice(from, newEnd)),
    });
  }
  // From scratch, not from the old tree: with errors in the file (there always are some in real code)
  // tree-sitter's incremental parse can recover differently from a parse from scratch, and findings
  // must be those of the latter. The old tree, edited, still tells which items changed.
  const next = parsed ?? parseC(analysed);
  // in the new text's offsets; ranges tree-sitter parsed differently, plus the edit itself
  const changed = tree.getChangedRanges(next).map(r => [r.startIndex, r.endIndex] as const);
  changed.push([from, newEnd]);
  // items parsed alone since the old tree was made (project/reparse.ts): it does not describe them
  for (const u of prev.unverified ?? []) {
    const s = u.start >= oldEnd ? u.start + delta : u.start;
    const e = u.end >= oldEnd ? u.end + delta : u.end;
    changed.push([s, e]);
  }
  tree.delete();
  prev.tree = undefined;

  // the previous top-level items the edit left alone, by type and extent in the new text
  const keep = new Map<string, Syntax>();
  const reuse = new Map<Syntax, FunctionInfo>();
  for (const info of prev.facts.functions) reuse.set(info.node, info);
  topLevel(root, n => {
    if (n.end < from) keep.set(`${n.type}:${n.start}:${n.end}`, n);
    else if (n.start > oldEnd) keep.set(`${n.type}:${n.start + delta}:${n.end + delta}`, n);
  });
  const moved = new Set<Syntax>();
  let fresh: Syntax;
  try {
    fresh = toSyntax(next, analysed, {
      skipBody: bodySkipper(analysed, model, macros),
      skipInitializer: unreadInitializer(model, analysed),
      place: { offset: 0, lines },
      reuse: (type, start, end) => {
        const old = keep.get(`${type}:${start}:${end}`);
        if (!old || changed.some(([s, e]) => s <= end && start <= e)) return undefined;
        keep.delete(`${type}:${start}:${end}`);
        if (old.start !== start) moved.add(old);
        return old;
      },
    });
  } catch (err) {
    next.delete();
    throw err;
  }
  for (const n of moved) shiftAll(n, delta);
  lines.reset(analysed);
  return { path: prev.path, text, analysed, facts: readFacts(fresh, analysed, prev.path, model, reuse), root: fresh, tree: next, macroNames: macros };
}

/** Top-level items, looking through conditionals and extern "C" blocks (their items are kept one by one). */
function topLevel(root: Syntax, visit: (n: Syntax) => void): void {
  for (const c of root.children) {
    if (CONTAINERS.has(c.type)) topLevel(c, visit);
    visit(c);
  }
}


export function pointAt(lines: LineIndex, offset: number): { row: number; column: number } {
  return { row: lines.line(offset), column: lines.column(offset) };
}

export function pointAfter(start: { row: number; column: number }, inserted: string): { row: number; column: number } {
  const nl = inserted.lastIndexOf('\n');
  if (nl < 0) return { row: start.row, column: start.column + inserted.length };
  let rows = 0;
  for (let i = inserted.indexOf('\n'); i >= 0; i = inserted.indexOf('\n', i + 1)) rows++;
  return { row: start.row + rows, column: inserted.length - nl - 1 };
}
