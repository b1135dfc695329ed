/**
 * Confirming guesses. An edit inside a function with a syntax error (or in a declaration, a
 * conditional, a function's head) is parsed with its top-level item alone when the caller accepts a
 * guess (project/reparse.ts), which is quick but may not be what a parse of the whole file from
 * scratch gives: tree-sitter's error recovery depends on the surrounding text and can even change how
 * a later function comes out. Given the whole text parsed from scratch, this says whether the file's
 * syntax is what that parse gives.
 *
 * It is, when every difference tree-sitter reports between the last tree parsed from scratch (with the
 * edits since recorded on it) and the new one lies inside an item parsed alone since, and each of
 * those items, parsed alone again, gives node for node the subtree the new tree has at its place:
 * same types, fields, extents, missing tokens, comments. The syntax is converted from tree-sitter's
 * nodes by those properties alone, with the same choices of what to leave unconverted (they depend on
 * the text), so the file's syntax is then exactly the conversion of the new tree — bodies converted
 * later for an analysis are parsed alone by a parse from scratch's analysis too (ProjectIndex.materialize).
 */
import { parseC, type Tree } from '../parse/parser';
import type { TreeCursor } from 'web-tree-sitter';
import type { ParsedFile } from './project';
import { itemAt } from './reparse';

/** `exact`: `p.analysed` parsed from scratch. True when `p`'s syntax is what its conversion gives. */
export function confirms(p: ParsedFile, exact: Tree): boolean {
  const unverified = p.unverified ?? [];
  if (!p.tree) return false;
  for (const r of p.tree.getChangedRanges(exact)) {
    if (!unverified.some(u => u.start <= r.startIndex && r.endIndex <= u.end)) return false;
  }
  for (const u of unverified) {
    const alone = parseC(p.analysed.slice(u.start, u.end));
    try {
      const only = alone.rootNode.childCount === 1 ? alone.rootNode.child(0) : null;
      const node = only && itemAt(exact, u.start, u.end, only.type);
      if (!only || !node) return false;
      const a = only.walk();
      const b = node.walk();
      try {
        if (!sameSubtree(a, b, u.start)) return false;
      } finally {
        a.delete();
        b.delete();
      }
    } finally {
      alone.delete();
    }
  }
  return true;
}

/**
 * Walks both subtrees in step: `a` (offsets relative to `base`) and `b` must have the same nodes with
 * the properties the conversion reads. Both cursors start on the subtrees' roots.
 */
function sameSubtree(a: TreeCursor, b: TreeCursor, base: number): boolean {
  let depth = 0;
  for (;;) {
    if (
      a.nodeTypeId !== b.nodeTypeId || a.nodeIsNamed !== b.nodeIsNamed || a.nodeIsMissing !== b.nodeIsMissing ||
      a.currentFieldName !== b.currentFieldName || a.startIndex + base !== b.startIndex || a.endIndex + base !== b.endIndex
    ) return false;
    const down = a.gotoFirstChild();
    if (down !== b.gotoFirstChild()) return false;
    if (down) {
      depth++;
      continue;
    }
    for (;;) {
      if (depth === 0) return true;
      const next = a.gotoNextSibling();
      if (next !== b.gotoNextSibling()) return false;
      if (next) break;
      a.gotoParent();
      b.gotoParent();
      depth--;
    }
  }
}
