/**
 * Facts of a file nobody has open, without its syntax tree. The facts point at a few nodes (each
 * function, global, tp_free slot, macro, attribute), and through their parent pointers those kept the
 * whole top-level tree of every workspace file alive: big initialiser tables, struct and prototype
 * declarations of every header — most of the server's memory. Cross-file analysis needs only what
 * those nodes say about themselves (their extent, positions, a lazy body's identifiers), so each is
 * replaced by a detached copy without children or parent. A body an analysis needs is parsed again
 * from the file's text (ProjectIndex.materialize), as before.
 */
import { detached } from '../parse/syntax';
import type { FileFacts } from './facts';

export function compactFacts(facts: FileFacts): void {
  for (const f of facts.functions) {
    f.body = detached(f.body); // lazy: every body of such a file is parsed again when needed
    f.node = detached(f.node);
  }
  for (const g of facts.globals.values()) g.node = detached(g.node);
  for (const t of facts.typeObjects) if (t.tpFree) t.tpFree = { ...t.tpFree, node: detached(t.tpFree.node) };
  for (const m of facts.macros) m.node = detached(m.node);
  for (const a of facts.attributes) a.node = detached(a.node);
}
