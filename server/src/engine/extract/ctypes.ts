/**
 * C types as far as `sizeof` needs them, on LP64 (x86-64 and AArch64 Linux, what CPython extension
 * authors build on): primitive and fixed-width types, the CPython types whose size is fixed across
 * 3.6 … 3.14 for non-free-threaded builds, pointers, arrays, and the structs, unions, enums and
 * typedefs the file itself declares, laid out with C's alignment rules.
 *
 * A size that cannot be known (an incomplete or foreign type, a bit-field, a flexible array member)
 * is `undefined`; callers fall back to the default size the user chose.
 */
import { child, childrenOf, declaredName, textOf, walk, type Syntax } from '../parse/syntax';

export type CType =
  | { k: 'scalar'; name: string; size: number; align: number }
  | { k: 'ptr'; to: CType }
  | { k: 'array'; of: CType; n: number | undefined }
  | { k: 'record'; name: string; size: number | undefined; align: number; fields: Map<string, CType> }
  | { k: 'fn' }
  | { k: 'unknown'; name: string };

const scalar = (name: string, size: number, align = size): CType => ({ k: 'scalar', name, size, align });

/** Sizes on LP64 Linux. Qualifiers and signedness are stripped before lookup ("unsigned long" -> "long"). */
const PRIMITIVES: Record<string, number> = {
  char: 1, short: 2, int: 4, long: 8, 'long long': 8, 'long int': 8, 'short int': 2, 'long long int': 8,
  float: 4, double: 8, _Bool: 1, bool: 1, void: 1,
  size_t: 8, ssize_t: 8, ptrdiff_t: 8, intptr_t: 8, uintptr_t: 8, off_t: 8, time_t: 8, pid_t: 4,
  int8_t: 1, uint8_t: 1, int16_t: 2, uint16_t: 2, int32_t: 4, uint32_t: 4, int64_t: 8, uint64_t: 8,
  intmax_t: 8, uintmax_t: 8, wchar_t: 4, char16_t: 2, char32_t: 4,
  Py_ssize_t: 8, Py_hash_t: 8, Py_uhash_t: 8, Py_UCS1: 1, Py_UCS2: 2, Py_UCS4: 4, Py_UNICODE: 4,
  PY_LONG_LONG: 8, digit: 4, sdigit: 4, twodigits: 8, stwodigits: 8,
};

/**
 * CPython structures whose size does not depend on the version for GIL builds (64-bit):
 * PyObject is refcount + type (the 3.12 refcount union is still 8 bytes), PyVarObject adds ob_size,
 * Py_buffer is 10 words. Free-threaded builds are not simulated.
 */
const CPYTHON_RECORDS: Record<string, number> = { PyObject: 16, PyVarObject: 24, Py_buffer: 80, PyGC_Head: 16, Py_complex: 16 };

/** Member macros whose expansion has a known size (the neutraliser rewrote them into an int field). */
const MEMBER_MACRO_SIZES: Record<string, number> = { PyObject_HEAD: 16, PyObject_VAR_HEAD: 24 };

const QUALIFIER_WORDS = /\b(const|volatile|restrict|__restrict|__restrict__|static|extern|inline|register|unsigned|signed|__extension__)\b/g;

export function sizeOf(t: CType): number | undefined {
  switch (t.k) {
    case 'scalar':
      return t.size;
    case 'ptr':
      return 8;
    case 'array': {
      const e = sizeOf(t.of);
      return e === undefined || t.n === undefined ? undefined : e * t.n;
    }
    case 'record':
      return t.size;
    default:
      return undefined;
  }
}

export function alignOf(t: CType): number | undefined {
  switch (t.k) {
    case 'scalar':
      return t.align;
    case 'ptr':
      return 8;
    case 'array':
      return alignOf(t.of);
    case 'record':
      return t.align;
    default:
      return undefined;
  }
}

export function describeType(t: CType): string {
  switch (t.k) {
    case 'scalar':
    case 'record':
    case 'unknown':
      return t.name;
    case 'ptr':
      return `${describeType(t.to)} *`;
    case 'array':
      return `${describeType(t.of)}[${t.n ?? ''}]`;
    case 'fn':
      return 'function';
  }
}

/** What the pointer or array `t` points at, for `*p` and `p[i]`. */
export function pointee(t: CType | undefined): CType | undefined {
  if (!t) return undefined;
  if (t.k === 'ptr') return t.to;
  if (t.k === 'array') return t.of;
  return undefined;
}

/**
 * The file's type declarations: typedefs, struct/union tags and enum constants, resolved lazily so
 * that declaration order does not matter and self-referential structs (`struct node *next`) work.
 */
export class TypeTable {
  private readonly typedefs = new Map<string, { type: Syntax; declarator: Syntax | undefined }>();
  private readonly records = new Map<string, Syntax>();
  private readonly resolved = new Map<string, CType>();
  private readonly resolving = new Set<string>();
  /** Enum constants with their values (computed by the caller's evaluator, see `enumConstants`). */
  readonly enumerators: { name: string; value: Syntax | undefined; enumNode: Syntax }[] = [];

  /**
   * @param source the neutralised text the tree was parsed from
   * @param original the user's text at the same offsets (member macros are recognised there)
   */
  constructor(
    root: Syntax,
    private readonly source: string,
    private readonly original: string,
  ) {
    walk(root, (n) => {
      if (n.type === 'type_definition') {
        const type = child(n, 'type');
        if (!type) return;
        for (const d of childrenOf(n, 'declarator')) {
          const id = declaredName(d);
          if (id) this.typedefs.set(textOf(id, source), { type, declarator: d });
        }
      } else if ((n.type === 'struct_specifier' || n.type === 'union_specifier') && child(n, 'body')) {
        const name = child(n, 'name');
        if (name) this.records.set(`${n.type === 'union_specifier' ? 'union' : 'struct'} ${textOf(name, source)}`, n);
      } else if (n.type === 'enum_specifier' && child(n, 'body')) {
        for (const e of child(n, 'body')!.children) {
          if (e.type !== 'enumerator') continue;
          const name = child(e, 'name');
          if (name) this.enumerators.push({ name: textOf(name, source), value: child(e, 'value'), enumNode: n });
        }
      }
    });
  }

  /** Whether `name` names a type (a typedef of the file or a type heaplint knows). */
  isTypeName(name: string): boolean {
    return this.typedefs.has(name) || name in PRIMITIVES || name in CPYTHON_RECORDS;
  }

  /** The type named by a type specifier node (primitive_type, type_identifier, struct_specifier …). */
  fromSpecifier(spec: Syntax | undefined, evalSize: (n: Syntax) => number | undefined): CType {
    if (!spec) return scalar('int', 4);
    switch (spec.type) {
      case 'struct_specifier':
      case 'union_specifier': {
        const kw = spec.type === 'union_specifier' ? 'union' : 'struct';
        const name = child(spec, 'name');
        if (child(spec, 'body')) return this.layout(spec, name ? `${kw} ${textOf(name, this.source)}` : `${kw} <anonymous@${spec.start}>`, evalSize);
        return name ? this.named(`${kw} ${textOf(name, this.source)}`, evalSize) : { k: 'unknown', name: kw };
      }
      case 'enum_specifier':
        return scalar('enum', 4);
      case 'primitive_type':
      case 'sized_type_specifier':
      case 'type_identifier':
        return this.named(textOf(spec, this.source), evalSize);
      default:
        return this.named(textOf(spec, this.source), evalSize);
    }
  }

  /** A type by name: "int", "unsigned long", "FooObject", "struct foo". */
  named(raw: string, evalSize: (n: Syntax) => number | undefined): CType {
    const name = raw.replace(QUALIFIER_WORDS, '').replace(/\s+/g, ' ').trim() || 'int';
    if (name in PRIMITIVES) {
      const size = PRIMITIVES[name];
      return scalar(name, size);
    }
    if (name === 'long double') return scalar(name, 16);
    if (name in CPYTHON_RECORDS) return { k: 'record', name, size: CPYTHON_RECORDS[name], align: 8, fields: new Map() };
    const known = this.resolved.get(name);
    if (known) return known;
    if (this.resolving.has(name)) return { k: 'unknown', name };
    this.resolving.add(name);
    let t: CType = { k: 'unknown', name };
    try {
      const td = this.typedefs.get(name);
      if (td) t = this.apply(this.fromSpecifier(td.type, evalSize), td.declarator, evalSize);
      else {
        const rec = this.records.get(name);
        if (rec) t = this.layout(rec, name, evalSize);
      }
    } finally {
      this.resolving.delete(name);
    }
    this.resolved.set(name, t);
    return t;
  }

  /**
   * Applies a declarator's layers to a base type, outermost first: in `int *a[4]` the pointer layer
   * wraps the base (int *) and the array layer wraps that (int *[4]), which is C's reading.
   */
  apply(base: CType, d: Syntax | undefined, evalSize: (n: Syntax) => number | undefined): CType {
    let t = base;
    let cur = d;
    while (cur) {
      switch (cur.type) {
        case 'pointer_declarator':
        case 'abstract_pointer_declarator':
          t = { k: 'ptr', to: t };
          break;
        case 'array_declarator':
        case 'abstract_array_declarator': {
          const size = child(cur, 'size');
          t = { k: 'array', of: t, n: size ? evalSize(size) : undefined };
          break;
        }
        case 'function_declarator':
        case 'abstract_function_declarator':
          t = { k: 'fn' };
          break;
        case 'init_declarator':
          break;
        default:
          break;
      }
      cur = child(cur, 'declarator') ?? (cur.type === 'parenthesized_declarator' || cur.type === 'abstract_parenthesized_declarator' ? cur.children[0] : undefined);
    }
    return t;
  }

  /** The type of a type_descriptor (inside sizeof or a cast). */
  fromDescriptor(desc: Syntax, evalSize: (n: Syntax) => number | undefined): CType {
    return this.apply(this.fromSpecifier(child(desc, 'type'), evalSize), child(desc, 'declarator'), evalSize);
  }

  /** Struct or union layout with natural alignment; unknown when any member's size is unknown. */
  private layout(spec: Syntax, name: string, evalSize: (n: Syntax) => number | undefined): CType {
    const union = spec.type === 'union_specifier';
    const fields = new Map<string, CType>();
    const rec: CType & { k: 'record' } = { k: 'record', name, size: undefined, align: 1, fields };
    if (this.resolved.has(name)) return this.resolved.get(name)!;
    this.resolved.set(name, rec); // a pointer to itself inside is fine; its own size is not needed
    let offset = 0;
    let size = 0;
    let align = 1;
    let known = true;
    const body = child(spec, 'body')!;
    for (const f of body.children) {
      if (f.type !== 'field_declaration') continue;
      const macro = this.memberMacro(f);
      let members: { name: string | undefined; t: CType }[];
      if (macro !== undefined) {
        members = [{ name: undefined, t: macro }];
      } else {
        const base = this.fromSpecifier(child(f, 'type'), evalSize);
        const decls = childrenOf(f, 'declarator');
        if (f.children.some((c) => c.type === 'bitfield_clause')) known = false;
        members = decls.length
          ? decls.map((d) => ({ name: declaredName(d) ? textOf(declaredName(d)!, this.source) : undefined, t: this.apply(base, d, evalSize) }))
          : [{ name: undefined, t: base }]; // anonymous struct/union member
      }
      for (const m of members) {
        if (m.name) fields.set(m.name, m.t);
        if (m.t.k === 'record' && !m.name) for (const [k, v] of m.t.fields) fields.set(k, v);
        let s = sizeOf(m.t);
        const a = alignOf(m.t);
        if (m.t.k === 'array' && m.t.n === undefined && a !== undefined) s = 0; // flexible array member
        if (s === undefined || a === undefined) {
          known = false;
          continue;
        }
        align = Math.max(align, a);
        if (union) size = Math.max(size, s);
        else {
          offset = Math.ceil(offset / a) * a + s;
          size = offset;
        }
      }
    }
    rec.align = align;
    rec.size = known ? Math.ceil(size / align) * align : undefined;
    return rec;
  }

  /** PyObject_HEAD and friends, which the neutraliser turned into `int _hl…;`. */
  private memberMacro(f: Syntax): CType | undefined {
    const text = this.original.slice(f.start, f.end);
    const m = /^\s*(\w+)/.exec(text);
    if (!m || this.source.slice(f.start, f.end) === text) return undefined;
    const size = MEMBER_MACRO_SIZES[m[1]];
    return size === undefined ? { k: 'unknown', name: m[1] } : { k: 'record', name: m[1], size, align: 8, fields: new Map() };
  }
}
