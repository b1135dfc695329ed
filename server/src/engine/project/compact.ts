/**
 * Facts of a file nobody has open, without its syntax tree. The facts point at a few nodes (each
 * function, global, tp_free slot, macro, attribute), and through their parent pointers those kept the
 * whole top-level tree of every workspace file alive: big initialiser tables, struct and prototype
 * declarations of every header — most of the server's memory. Cross-file analysis needs only what
 * those nodes say about themselves (their extent, positions, a lazy body's identifiers), so each is
 * replaced by a detached copy without children or parent. A body an analysis needs is parsed again
 * from the file's text (ProjectIndex.materialize), as before.
 */
import { detached, type Syntax } from '../parse/syntax';
import type { FileFacts } from './facts';
import { memoOf, remember } from './memo';

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

/** Facts with a body converted since their last releaseBodies (ProjectIndex.materialize notes them). */
const converted = new WeakSet<FileFacts>();

export function noteConverted(facts: FileFacts): void {
  converted.add(facts);
}

/** Stands for the ERROR ancestor of a detached site: findings inside an ERROR subtree are dropped. */
const IN_ERROR = { type: 'ERROR' } as Syntax;

/**
 * After an analysis, the bodies it converted in a file nobody has open are given back: each becomes
 * a lazy stub again and its kept result points at detached copies of its sites (positions, and
 * whether they lay inside an ERROR). The next analysis reuses the result without converting the body
 * while the context is the same, and parses it again from the text otherwise.
 */
export function releaseBodies(facts: FileFacts): void {
  // most files of a workspace had no body converted: their functions need not even be looked at
  if (!converted.delete(facts)) return;
  for (const f of facts.functions) {
    if (f.body.lazy) continue;
    const memo = memoOf(f);
    if (memo) {
      const sites = new Map<number, Syntax>();
      for (const [site, node] of memo.result.sites) {
        const copy = detached(node);
        if (inError(node)) copy.parent = IN_ERROR;
        sites.set(site, copy);
      }
      remember(f, { key: memo.key, result: { ...memo.result, sites } });
    }
    const body = detached(f.body);
    body.lazy = true;
    body.names = f.mentions;
    f.body = body;
    f.node = detached(f.node);
  }
}

function inError(n: Syntax): boolean {
  for (let cur: Syntax | undefined = n; cur; cur = cur.parent) {
    if (cur.type === 'ERROR') return true;
    if (cur.type === 'function_definition') return false;
  }
  return false;
}
