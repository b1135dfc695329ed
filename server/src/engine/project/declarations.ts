/**
 * What a file contributes to the project index apart from function bodies: the names and scope of
 * its functions, its macros, struct layouts, globals, type objects, functions Python calls and
 * allocator attributes. Two versions of a file with the same key can share one index — only their
 * bodies (and so call edges) differ — which is what keeps typing inside a function cheap.
 */
import type { FileFacts } from './facts';

const keys = new WeakMap<FileFacts, string>();

export function declarationKey(facts: FileFacts): string {
  let key = keys.get(facts);
  if (key !== undefined) return key;
  const parts: unknown[] = [
    facts.functions.map(f => `${f.isStatic ? 's' : 'g'}:${f.name}`),
    facts.macros.map(m => [m.name, m.params, m.body]),
    [...facts.structs].map(([name, fields]) => [name, [...fields]]),
    [...facts.globals.values()].map(g => [g.name, g.base, g.pointers, g.array, g.isStatic]),
    facts.typeObjects.map(t => [t.name, t.dealloc, t.gc, t.tpFree?.name]),
    [...facts.pythonFacing].sort(),
    facts.attributes.map(a => [a.fn, a.kind, a.family, a.dealloc, a.argIndex]),
  ];
  key = JSON.stringify(parts);
  keys.set(facts, key);
  return key;
}

/**
 * `to` declares what `from` does (one function's body or syntax replaced, its name and scope the
 * same): it gets the key without its facts being read again.
 */
export function inheritDeclarationKey(from: FileFacts, to: FileFacts): void {
  const key = keys.get(from);
  if (key !== undefined) keys.set(to, key);
}
