/**
 * What a file contributes to the project index apart from function bodies: the names and scope of
 * its functions, its macros, struct layouts, globals, type objects, functions Python calls and
 * allocator attributes. Two versions of a file with the same key can share one index — only their
 * bodies (and so call edges) differ — which is what keeps typing inside a function cheap.
 */
import type { Syntax } from '../parse/syntax';
import type { AttributeFact, FileFacts, Param, VarType } from './facts';
import type { ParsedFile } from './project';

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

/** A file's declarations as plain data, without syntax: what a CLI worker tells the others of its files. */
export interface Declarations {
  path: string;
  functions: { name: string; isStatic: boolean; returns: VarType; params: Param[] }[];
  /** Of headers only: a .c file's macros are seen in that file alone. */
  macros: { name: string; params: string[] | null; body: string }[];
  structs: Map<string, Map<string, VarType>>;
  globals: { name: string; isStatic: boolean; base: string; pointers: number; array: boolean }[];
  typeObjects: { name: string; dealloc?: string; gc: boolean }[];
  pythonFacing: string[];
  attributes: { fn: string; kind: AttributeFact['kind']; family: string; dealloc?: string; argIndex?: number }[];
}

export function declarationsOf(path: string, facts: FileFacts): Declarations {
  return {
    path,
    functions: facts.functions.map(f => ({ name: f.name, isStatic: f.isStatic, returns: f.returns, params: f.params })),
    macros: path.endsWith('.h') ? facts.macros.map(m => ({ name: m.name, params: m.params, body: m.body })) : [],
    structs: facts.structs,
    globals: [...facts.globals.values()].map(g => ({ name: g.name, isStatic: g.isStatic, base: g.base, pointers: g.pointers, array: g.array })),
    typeObjects: facts.typeObjects.map(t => ({ name: t.name, dealloc: t.dealloc, gc: t.gc })),
    pythonFacing: [...facts.pythonFacing],
    attributes: facts.attributes.map(a => ({ fn: a.fn, kind: a.kind, family: a.family, dealloc: a.dealloc, argIndex: a.argIndex })),
  };
}

/** Stands for the syntax a file known by its declarations alone does not have. */
const NO_SYNTAX: Syntax = { type: 'declared', start: 0, end: 0, row: 0, col: 0, endRow: 0, endCol: 0, children: [], field: null, lazy: true, names: [] };

/** A file known by its declarations alone: its functions can be called and typed, never analysed here. */
export function declaredFile(d: Declarations): ParsedFile {
  const facts: FileFacts = {
    file: d.path,
    functions: d.functions.map(f => ({ ...f, file: d.path, node: NO_SYNTAX, body: NO_SYNTAX, mentions: [], broken: false })),
    macros: d.macros.map(m => ({ ...m, node: NO_SYNTAX })),
    structs: d.structs,
    globals: new Map(d.globals.map(g => [g.name, { ...g, node: NO_SYNTAX }])),
    typeObjects: d.typeObjects,
    pythonFacing: new Set(d.pythonFacing),
    attributes: d.attributes.map(a => ({ ...a, node: NO_SYNTAX })),
  };
  return { path: d.path, text: '', analysed: '', facts };
}
