/**
 * What one file declares at top level, read off the syntax tree: functions, globals, struct fields,
 * type objects (dealloc, GC flag, tp_free), functions Python calls directly, local macros and
 * allocator attributes. Nothing here looks inside function bodies except to list callees.
 */
import { child, childrenOf, declaratorShape, declaredName, textOf, unwrap, walk, type Syntax } from '../parse/syntax';
import type { Model } from '../../../../allocator-model/src/model';

export interface VarType {
  /** Base type name without qualifiers or pointers: "char", "PyObject", "FooObject". */
  base: string;
  pointers: number;
  array: boolean;
}

export interface Param extends VarType {
  name: string;
}

export interface FunctionInfo {
  name: string;
  file: string;
  isStatic: boolean;
  returns: VarType;
  params: Param[];
  node: Syntax;
  body: Syntax;
  /** Names called or referenced as identifiers in the body (relevance and call graph), each once. */
  mentions: readonly string[];
  broken: boolean;
  /** The body passes a PyArg format with an allocating unit (es, et). */
  allocatingFormat?: boolean;
  /** Set for pseudo-functions made from function-like macros: parameters are by name. */
  macro?: boolean;
}

export interface GlobalVar extends VarType {
  name: string;
  isStatic: boolean;
  node: Syntax;
}

export interface TypeObjectFact {
  name: string;
  dealloc?: string;
  gc: boolean;
  tpFree?: { name: string; node: Syntax };
}

export interface MacroFact {
  name: string;
  params: string[] | null; // null: object-like
  body: string;
  node: Syntax;
}

export interface AttributeFact {
  fn: string;
  kind: 'alloc' | 'free' | 'holds';
  family: string;
  /** gcc malloc(dealloc): the deallocator the attribute names, to resolve its family. */
  dealloc?: string;
  argIndex?: number;
  node: Syntax;
}

export interface FileFacts {
  file: string;
  functions: FunctionInfo[];
  globals: Map<string, GlobalVar>;
  structs: Map<string, Map<string, VarType>>;
  typeObjects: TypeObjectFact[];
  pythonFacing: Set<string>;
  macros: MacroFact[];
  attributes: AttributeFact[];
}

const QUALIFIERS = /\b(const|volatile|restrict|__restrict|static|extern|inline|register|struct|union|enum|unsigned|signed)\b/g;

export function typeName(typeNode: Syntax | undefined, source: string): string {
  if (!typeNode) return 'int';
  if (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier' || typeNode.type === 'enum_specifier') {
    const name = child(typeNode, 'name');
    return name ? textOf(name, source) : '<anon>';
  }
  return textOf(typeNode, source).replace(QUALIFIERS, '').replace(/\s+/g, ' ').trim() || 'int';
}

/** Types of top-level tables whose initializers readFacts reads, besides the model's Python-facing tables. */
const READ_TABLES = new Set(['PyTypeObject', 'PyType_Slot', 'PyType_Spec']);

/**
 * Top-level initializers nothing reads (the declaration's type is none of the tables above): parsing
 * may leave them unconverted. Data tables of this kind make most of the nodes of some files.
 */
export function unreadInitializer(model: Model, source: string): (declarationType: Syntax) => boolean {
  const read = readTable(model);
  return t => !read(typeName(t, source));
}

/** Whether readFacts reads the initializers of tables of this type. */
export function readTable(model: Model): (typeName: string) => boolean {
  return base => READ_TABLES.has(base) || model.pythonFacingTables.has(base);
}

function isStaticDecl(n: Syntax, source: string): boolean {
  return n.children.some(c => c.type === 'storage_class_specifier' && textOf(c, source) === 'static');
}

/** The function_declarator inside a (possibly pointer-wrapped) declarator. */
function functionDeclarator(d: Syntax | undefined): Syntax | undefined {
  let cur = d;
  while (cur) {
    if (cur.type === 'function_declarator') return cur;
    cur = child(cur, 'declarator') ?? (cur.type === 'parenthesized_declarator' ? cur.children[0] : undefined);
  }
  return undefined;
}

function pointerDepthAbove(d: Syntax | undefined, stop: Syntax): number {
  let n = 0;
  for (let cur = d; cur && cur !== stop; cur = child(cur, 'declarator')) if (cur.type === 'pointer_declarator') n++;
  return n;
}

export function readParams(fd: Syntax, source: string): Param[] {
  const list = child(fd, 'parameters');
  if (!list) return [];
  const out: Param[] = [];
  for (const p of list.children) {
    if (p.type !== 'parameter_declaration') continue;
    const decl = child(p, 'declarator');
    const shape = declaratorShape(decl);
    const base = typeName(child(p, 'type'), source);
    if (!decl && base === 'void') continue;
    const id = declaredName(decl);
    out.push({ name: id ? textOf(id, source) : `$${out.length}`, base, pointers: shape.pointers + (shape.array ? 1 : 0), array: false });
  }
  return out;
}

/**
 * The words of [start, end) of C code that may be identifiers: not in comments or string and character
 * literals, not member names after `.` or `->`, not the digits and suffixes of numbers.
 */
export function wordsOfCode(text: string, start: number, end: number, into: Set<string>): void {
  let i = start;
  let member = false;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < end && isWordChar(text.charCodeAt(j))) j++;
      if (!member) into.add(text.slice(i, j));
      member = false;
      i = j;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) {
      // a number, with its suffixes and hex digits (`0x1fUL`, `1e-5`)
      i++;
      while (i < end && (isWordChar(text.charCodeAt(i)) || text.charCodeAt(i) === 0x2e)) i++;
      member = false;
      continue;
    }
    if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? end : close + 2;
      continue;
    }
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x2f) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? end : nl;
      continue;
    }
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      i++;
      while (i < end && text.charCodeAt(i) !== c && text.charCodeAt(i) !== 0x0a) i += text.charCodeAt(i) === 0x5c /* \ */ ? 2 : 1;
      i++;
      member = false;
      continue;
    }
    if (c === 0x2e /* . */ || (c === 0x3e /* > */ && text.charCodeAt(i - 1) === 0x2d /* - */)) member = true;
    else if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) member = false;
    i++;
  }
}

function isWordStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 0x30 && c <= 0x39);
}

/** A format string with `es`/`et` in it: an argument parser that allocates the buffer it hands back. */
export const ALLOCATING_FORMAT = /"[^"\n]*e[st]/;

/** Distinct names in order of first appearance (the call graph's edge order follows it). */
function collectMentions(body: Syntax, source: string): readonly string[] {
  if (body.names) return body.names;
  const names = new Set<string>();
  if (body.lazy) {
    // read off the text: an over-approximation is fine here (mentions only decide what may need
    // analysis), but words of comments and literals, and member names, would make functions of those
    // names look called
    wordsOfCode(source, body.start, body.end, names);
  } else {
    walk(body, n => {
      if (n.type === 'identifier') names.add(textOf(n, source));
    });
  }
  return [...names]; // an array: a third of a Set's memory, and mentions are only ever iterated
}

/** Top-level items, looking through preprocessor conditionals and extern "C" blocks. */
function topLevel(root: Syntax, visit: (n: Syntax) => void): void {
  for (const c of root.children) {
    if (c.type.startsWith('preproc_if') || c.type === 'preproc_else' || c.type === 'preproc_elif' || c.type === 'preproc_elifdef' || c.type === 'linkage_specification' || c.type === 'declaration_list') {
      topLevel(c, visit);
    } else visit(c);
  }
}

const TYPE_POSITIONS: Record<string, number> = { tp_dealloc: 4, tp_flags: 19, tp_free: 38 };

/**
 * The positional items of a `{ … }` initializer's text: comments dropped, only the first arm of each
 * `#if`/`#else`, split at top-level commas. `PyVarObject_HEAD_INIT(…)` (no comma after it) is the
 * first item, as in the parsed list.
 */
export function positionalItems(text: string): string[] {
  const body = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, '').replace(/^\s*\{|\}\s*$/g, '');
  const kept: string[] = [];
  const skipping: boolean[] = [];
  for (const line of body.split('\n')) {
    const d = /^\s*#\s*(\w+)/.exec(line)?.[1];
    if (d === 'if' || d === 'ifdef' || d === 'ifndef') skipping.push(skipping.includes(true));
    else if (d === 'elif' || d === 'else') skipping[skipping.length - 1] = true;
    else if (d === 'endif') skipping.pop();
    else if (!d && !skipping.includes(true)) kept.push(line);
  }
  const joined = kept.join('\n').replace(/\b(PyVarObject_HEAD_INIT|PyObject_HEAD_INIT)\s*\(([^()]*)\)\s*,?/, 'HEAD, ');
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of joined) {
    if (ch === '(' || ch === '{' || ch === '[') depth++;
    else if (ch === ')' || ch === '}' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      items.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) items.push(cur.trim());
  return items;
}

/** What readFacts knows of a function_definition node; undefined when it names no function. */
export function readFunction(n: Syntax, source: string, file: string): FunctionInfo | undefined {
  const decl = child(n, 'declarator');
  const fd = functionDeclarator(decl);
  const body = child(n, 'body');
  const id = declaredName(fd);
  if (!fd || !body || !id) return undefined;
  return {
    name: textOf(id, source), file, isStatic: isStaticDecl(n, source),
    returns: { base: typeName(child(n, 'type'), source), pointers: pointerDepthAbove(decl, fd), array: false },
    params: readParams(fd, source), node: n, body, mentions: collectMentions(body, source), broken: !!n.broken,
    allocatingFormat: ALLOCATING_FORMAT.test(source.slice(body.start, body.end)),
  };
}

/** `reuse`: functions whose syntax (the function_definition node) is unchanged since an earlier read keep their info. */
export function readFacts(root: Syntax, source: string, file: string, model: Model, reuse?: Map<Syntax, FunctionInfo>): FileFacts {
  const facts: FileFacts = {
    file, functions: [], globals: new Map(), structs: new Map(), typeObjects: [], pythonFacing: new Set(), macros: [], attributes: [],
  };
  const slotArrays = new Map<string, Syntax>();
  const specs: { name: string; init: Syntax }[] = [];

  const forwardAliases: [string, string][] = [];
  topLevel(root, n => {
    switch (n.type) {
      case 'function_definition': {
        const info = reuse?.get(n) ?? readFunction(n, source, file);
        if (!info) return;
        facts.functions.push(info);
        if (info.name.startsWith('PyInit_')) facts.pythonFacing.add(info.name);
        return;
      }
      case 'declaration':
        readDeclaration(n);
        return;
      case 'type_definition':
        walk(n, s => {
          if (s.type !== 'struct_specifier' && s.type !== 'union_specifier') return;
          const alias = declaredName(child(n, 'declarator'));
          const tag = child(s, 'name');
          if (child(s, 'body')) readStruct(s, alias ? textOf(alias, source) : undefined);
          // `typedef struct tag alias;` before `struct tag { … }`: the alias gets the fields at the end
          else if (alias && tag) forwardAliases.push([textOf(alias, source), textOf(tag, source)]);
          return false;
        });
        return;
      case 'struct_specifier':
      case 'union_specifier':
        readStruct(n, undefined);
        return;
      case 'preproc_def':
      case 'preproc_function_def': {
        const name = child(n, 'name');
        const value = child(n, 'value');
        if (!name || !value) return;
        const params = n.type === 'preproc_function_def'
          ? (child(n, 'parameters')?.children ?? []).filter(p => p.type === 'identifier').map(p => textOf(p, source))
          : null;
        facts.macros.push({ name: textOf(name, source), params, body: textOf(value, source).replace(/\\\r?\n/g, ' ').trim(), node: n });
        return;
      }
    }
  });

  function readStruct(s: Syntax, alias: string | undefined): void {
    const body = child(s, 'body');
    if (!body) return;
    const fields = new Map<string, VarType>();
    for (const f of body.children) {
      if (f.type !== 'field_declaration') continue;
      const base = typeName(child(f, 'type'), source);
      for (const d of childrenOf(f, 'declarator')) {
        const id = declaredName(d);
        const shape = declaratorShape(d);
        if (id) fields.set(textOf(id, source), { base, pointers: shape.pointers, array: shape.array });
      }
    }
    const tag = child(s, 'name');
    if (tag) facts.structs.set(textOf(tag, source), fields);
    if (alias) facts.structs.set(alias, fields);
  }

  function readDeclaration(n: Syntax): void {
    const base = typeName(child(n, 'type'), source);
    const isStatic = isStaticDecl(n, source);
    const typeNode = child(n, 'type');
    if (typeNode && (typeNode.type === 'struct_specifier' || typeNode.type === 'union_specifier') && child(typeNode, 'body')) readStruct(typeNode, undefined);
    for (const d of childrenOf(n, 'declarator')) {
      const target = d.type === 'init_declarator' ? child(d, 'declarator') : d;
      const fd = functionDeclarator(target);
      if (fd) {
        readAttributes(n, textOf(declaredName(fd) ?? fd, source));
        continue;
      }
      const id = declaredName(target);
      if (!id) continue;
      const name = textOf(id, source);
      const shape = declaratorShape(target);
      facts.globals.set(name, { name, base, pointers: shape.pointers, array: shape.array, isStatic, node: d });
      const init = d.type === 'init_declarator' ? child(d, 'value') : undefined;
      if (!init || init.type !== 'initializer_list') continue;
      if (model.pythonFacingTables.has(base)) markPythonFacing(init);
      if (base === 'PyTypeObject') readTypeObject(name, init);
      else if (base === 'PyType_Slot') slotArrays.set(name, init);
      else if (base === 'PyType_Spec') specs.push({ name, init });
    }
  }

  function markPythonFacing(init: Syntax): void {
    walk(init, s => {
      if (s.type === 'identifier') facts.pythonFacing.add(textOf(s, source));
    });
  }

  function initializerFields(init: Syntax): Map<string, Syntax> {
    const out = new Map<string, Syntax>();
    let pos = 0;
    for (const c of init.children) {
      if (c.type === 'initializer_pair') {
        const des = c.children.find(x => x.type === 'field_designator');
        const value = child(c, 'value');
        const fname = des?.children[0];
        if (fname && value) out.set(textOf(fname, source), value);
      } else {
        for (const [field, at] of Object.entries(TYPE_POSITIONS)) if (at === pos) out.set(field, c);
      }
      pos++;
    }
    return out;
  }

  function identName(v: Syntax | undefined): string | undefined {
    if (!v) return undefined;
    const u = unwrap(v);
    return u.type === 'identifier' ? textOf(u, source) : undefined;
  }

  /** Whether tp_flags says Py_TPFLAGS_HAVE_GC, also through the file's own flag macros (`#define MY_FLAGS (… | Py_TPFLAGS_HAVE_GC)`). */
  function hasGcFlag(text: string): boolean {
    let expanded = text;
    for (let round = 0; round < 3 && !/Py_TPFLAGS_HAVE_GC/.test(expanded); round++) {
      const next = expanded.replace(/[A-Za-z_]\w*/g, w => facts.macros.find(m => m.name === w && m.params === null)?.body ?? w);
      if (next === expanded) break;
      expanded = next;
    }
    return /Py_TPFLAGS_HAVE_GC/.test(expanded);
  }

  function readTypeObject(name: string, init: Syntax): void {
    const text = textOf(init, source);
    // `#if` lines between positional slots (Cython writes them) leave the parsed list unreliable:
    // positions are read from the text instead, with the first arm of each conditional
    if (/\n\s*#\s*if/.test(text)) {
      const items = positionalItems(text);
      const at = (field: string) => items[TYPE_POSITIONS[field]];
      const lastName = (item: string | undefined) => item && /([A-Za-z_]\w*)\s*$/.exec(item)?.[1];
      facts.typeObjects.push({ name, dealloc: lastName(at('tp_dealloc')), gc: hasGcFlag(at('tp_flags') ?? '') });
      return;
    }
    const f = initializerFields(init);
    const flags = f.get('tp_flags');
    const free = f.get('tp_free');
    const freeName = identName(free);
    facts.typeObjects.push({
      name, dealloc: identName(f.get('tp_dealloc')), gc: !!flags && hasGcFlag(textOf(flags, source)),
      tpFree: freeName && free ? { name: freeName, node: free } : undefined,
    });
  }

  for (const spec of specs) {
    let flagsText = '';
    let slotsName: string | undefined;
    let pos = 0;
    for (const c of spec.init.children) {
      let field: string | undefined;
      let value: Syntax | undefined = c;
      if (c.type === 'initializer_pair') {
        field = textOf(c.children.find(x => x.type === 'field_designator')?.children[0] ?? c, source);
        value = child(c, 'value');
      } else field = ['name', 'basicsize', 'itemsize', 'flags', 'slots'][pos];
      if (field === 'flags' && value) flagsText = textOf(value, source);
      if (field === 'slots') slotsName = identName(value);
      pos++;
    }
    const fact: TypeObjectFact = { name: spec.name, gc: hasGcFlag(flagsText) };
    const slots = slotsName ? slotArrays.get(slotsName) : undefined;
    for (const pair of slots?.children ?? []) {
      if (pair.type !== 'initializer_list' || pair.children.length < 2) continue;
      const slot = identName(pair.children[0]);
      const fn = identName(pair.children[1]);
      if (slot === 'Py_tp_dealloc') fact.dealloc = fn;
      if (slot === 'Py_tp_free' && fn) fact.tpFree = { name: fn, node: pair.children[1] };
    }
    facts.typeObjects.push(fact);
  }
  for (const slots of slotArrays.values()) markPythonFacing(slots);

  function readAttributes(decl: Syntax, fn: string): void {
    walk(decl, s => {
      if (s.type !== 'attribute_specifier') return;
      const text = textOf(s, source);
      for (const m of text.matchAll(/\bmalloc\s*\(\s*([A-Za-z_]\w*)\s*(?:,\s*(\d+)\s*)?\)/g)) {
        facts.attributes.push({ fn, kind: 'alloc', family: `dealloc:${m[1]}`, dealloc: m[1], node: decl });
        facts.attributes.push({ fn: m[1], kind: 'free', family: `dealloc:${m[1]}`, argIndex: m[2] ? Number(m[2]) - 1 : 0, node: decl });
      }
      for (const m of text.matchAll(/\bownership_(returns|takes|holds)\s*\(\s*([A-Za-z_]\w*)\s*(?:,\s*(\d+)\s*)?\)/g)) {
        const kind = m[1] === 'returns' ? 'alloc' : m[1] === 'takes' ? 'free' : 'holds';
        facts.attributes.push({ fn, kind, family: m[2], argIndex: m[3] ? Number(m[3]) - 1 : undefined, node: decl });
      }
      return false;
    });
  }

  for (const [alias, tag] of forwardAliases) {
    const fields = facts.structs.get(tag);
    if (fields && !facts.structs.has(alias)) facts.structs.set(alias, fields);
  }
  return facts;
}
