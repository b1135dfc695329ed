/**
 * Bodies that will not be converted are blanked before parsing (parse/function-bodies.ts). The search
 * reads the text only, so it must skip what is not code, leave alone what it cannot be sure of, and a
 * parse of the blanked text must give the same facts as a parse of the real one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelFor } from '../../allocator-model/src';
import { initParser } from '../../server/src/engine';
import { cutBraces, functionBodies, topLevelBraces } from '../../server/src/engine/parse/function-bodies';
import { unreadInitializers } from '../../server/src/engine/parse/data-tables';
import { readTable } from '../../server/src/engine/project/facts';
import type { Syntax } from '../../server/src/engine/parse/syntax';
import { parseForLint, parseSource, type ParsedFile } from '../../server/src/engine/project/project';

beforeAll(async () => {
  await initParser();
});

const bodies = (text: string) => functionBodies(text).map(b => text.slice(b.open, b.close));

describe('functionBodies', () => {
  it('finds each top-level body opened right after a declarator, whatever the brace style', () => {
    const text = 'static int\nf(void)\n{\n    return 1;\n}\nint g(int x) { if (x) { x++; } return x; }\n';
    expect(bodies(text)).toEqual(['{\n    return 1;\n}', '{ if (x) { x++; } return x; }']);
  });

  it('is not misled by braces in comments, strings, character literals or initialisers', () => {
    const text = [
      'static const char *s = "{";  /* } { */',
      'static int table[] = { 1, 2 };',
      'struct point { int x; };',
      'int f(void) // {',
      '{',
      "    char c = '}'; const char *t = \"}}\"; /* { */",
      '    return c;',
      '}',
    ].join('\n');
    expect(bodies(text)).toEqual(['{\n    char c = \'}\'; const char *t = "}}"; /* { */\n    return c;\n}']);
  });

  it('leaves out bodies with preprocessor lines, and functions whose brace follows one', () => {
    const text = [
      'int f(int x)',
      '{',
      '#ifdef MS_WINDOWS',
      '    x++;',
      '#endif',
      '    return x;',
      '}',
      'int g(void)',
      '#ifdef __GNUC__',
      '__attribute__((cold))',
      '#endif',
      '{ return 2; }',
      'int h(void) { return 3; }',
    ].join('\n');
    expect(bodies(text)).toEqual(['{ return 3; }']);
  });

  it('gives up on a file whose #if arms split a body\'s braces', () => {
    const text = ['int f(int x)', '{', '#ifdef A', '    if (x) {', '#else', '    if (!x) {', '#endif', '        x++;', '    }', '    return x;', '}', 'int h(void) { return 3; }'].join('\n');
    expect(bodies(text)).toEqual([]);
  });

  it('gives up on a file whose braces do not balance', () => {
    expect(bodies('int f(void) { return 1;\nint g(void) { return 2; }\n')).toEqual([]);
    expect(bodies('int f(void) { return 1; } }\n')).toEqual([]);
  });

  it('cuts the insides out and maps offsets after them back: a node starting at a cut starts after it, one ending there ends before it', () => {
    const text = 'int f(void)\n{\n    return g(1);\n}\nint h(void) { return 2; }\nint k;\n';
    const { text: out, cuts } = cutBraces(text, functionBodies(text));
    expect(out).toBe('int f(void)\n{}\nint h(void) {}\nint k;\n');
    const at = (s: string, t: string) => t.indexOf(s);
    expect(cuts.end(at('{}', out) + 1)).toBe(at('{', text) + 1); // the end of `{`
    expect(cuts.start(at('}', out))).toBe(at('}', text)); // the start of `}`
    expect(cuts.start(at('int h', out))).toBe(at('int h', text));
    expect(cuts.end(out.indexOf('}', at('int h', out)) + 1)).toBe(text.indexOf('}', at('int h', text)) + 1);
    expect(cuts.start(at('int k', out))).toBe(at('int k', text));
    expect(cuts.start(3)).toBe(3); // before any cut
  });
});

describe('topLevelBraces and unreadInitializers', () => {
  const model = modelFor({}, '3.11');
  const table = (name: string, type: string, rows: string[]) => [`static ${type} ${name}[] = {`, ...rows, '};'];
  const strings = Array.from({ length: 40 }, (_, i) => `    {"name${i}", VALUE_${i}, other_${i}},`);

  it('tells bodies, initializers and other braces apart, with the declaration before each', () => {
    const text = 'struct s { int a; };\nstatic int t[] = { 1, 2 };\nint f(void) { return 0; }\n';
    const braces = topLevelBraces(text);
    expect(braces.map(b => b.kind)).toEqual(['other', 'initializer', 'body']);
    expect(text.slice(braces[1].head, braces[1].open).trim()).toBe('static int t[] =');
  });

  it('picks initializers of data tables, not those of tables the facts read, nor small ones', () => {
    const text = [
      ...table('codes', 'struct error_code', strings),
      ...table('methods', 'PyMethodDef', strings),
      'static PyTypeObject Foo_Type = {', ...strings, '};',
      ...table('small', 'int', ['1, 2, 3']),
    ].join('\n');
    const picked = unreadInitializers(text, topLevelBraces(text), readTable(model)).map(s => text.slice(s.open - 30, s.open));
    expect(picked).toHaveLength(1);
    expect(picked[0]).toContain('error_code codes[] =');
  });

  it('takes a table whose preprocessor lines open and close their own conditionals, and not one split by an outer one', () => {
    const guarded = strings.flatMap((row, i) => [`#ifdef ERR_${i}`, row, '#endif']);
    const balanced = table('codes', 'struct error_code', guarded).join('\n');
    expect(unreadInitializers(balanced, topLevelBraces(balanced), readTable(model))).toHaveLength(1);
    const split = ['#ifdef BIG', ...table('codes', 'struct error_code', [...strings, '#else', ...strings.slice(0, 3)]), '#endif'].join('\n');
    expect(unreadInitializers(split, topLevelBraces(split), readTable(model))).toHaveLength(0);
    // a macro defined inside a table is defined for the rest of the file (CPython's pyexpat.c, _sqlite/module.c)
    const defining = table('codes', 'struct error_code', ['#define CODE(c) {#c, c}', ...strings]).join('\n');
    expect(unreadInitializers(defining, topLevelBraces(defining), readTable(model))).toHaveLength(0);
  });
});

/**
 * A macro invocation without `;` before a function, as in CPython's typeobject.c: tree-sitter takes the
 * function for part of an expression, so the body the text shows is no function body in the parse.
 */
const TRICKY = [
  'SLOT1(slot_mp_subscript, __getitem__, PyObject *)',
  '',
  'static int',
  'slot_mp_ass_subscript(PyObject *self, PyObject *key, PyObject *value)',
  '{',
  '    PyObject *stack[3];',
  '    return 0;',
  '}',
  '',
  'static int idle(int a) { return a + 1; }',
].join('\n');

/** Generated tables (cut before parsing) between functions and tables the facts read (kept). */
const TABLES = [
  '#include <Python.h>',
  'static struct error_code { const char *name; int lib; } codes[] = {',
  ...Array.from({ length: 30 }, (_, i) => [`#ifdef ERR_${i}`, `    {"name${i}", ERR_${i}},`, '#endif']).flat(),
  '};',
  'static const unsigned short decmap[] = {',
  ...Array.from({ length: 30 }, () => '    U, 12288, 12289, U, U, 0x20, /* gap */ 65292,'),
  '};',
  'static PyObject *use(PyObject *self, PyObject *arg) { char *p = PyMem_Malloc(4); PyMem_Free(p); Py_RETURN_NONE; }',
  'static int idle(int a) { return a + codes[a].lib; }',
  'static PyMethodDef methods[] = {',
  ...Array.from({ length: 30 }, (_, i) => `    {"use${i}", (PyCFunction)use, METH_O, NULL},`),
  '    {NULL}',
  '};',
  'static void thing_dealloc(PyObject *self) { PyObject_GC_Del(self); }',
  'static PyTypeObject Thing_Type = {',
  '    PyVarObject_HEAD_INIT(NULL, 0)',
  '    .tp_name = "thing",',
  '    .tp_dealloc = thing_dealloc,',
  '    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,',
  '    .tp_free = PyObject_Del,',
  ...Array.from({ length: 20 }, (_, i) => `    /* slot ${i} left empty */`),
  '};',
  'static char *last(void) { return PyMem_Malloc(1); }',
].join('\n');

describe('parsing with idle bodies blanked', () => {
  const model = modelFor({}, '3.11');
  /** What the analysis reads of a file: its functions, and the facts its declarations and tables give. */
  const facts = (p: ParsedFile) => ({
    functions: p.facts.functions.map(f => ({
      name: f.name, isStatic: f.isStatic, returns: f.returns, params: f.params, mentions: f.mentions, lazy: !!f.body.lazy,
      start: f.node.start, end: f.node.end, row: f.node.row, endCol: f.node.endCol, body: [f.body.start, f.body.end], allocatingFormat: f.allocatingFormat,
    })),
    globals: [...p.facts.globals.values()].map(g => ({ ...g, node: [g.node.start, g.node.end] })),
    structs: [...p.facts.structs].map(([k, v]) => [k, [...v]]),
    typeObjects: p.facts.typeObjects.map(t => ({ ...t, tpFree: t.tpFree && [t.tpFree.name, t.tpFree.node.start] })),
    pythonFacing: [...p.facts.pythonFacing].sort(),
    macros: p.facts.macros.map(m => [m.name, m.params, m.body, m.node.start]),
  });

  it('reads the same functions, mentions, extents, globals, types and tables from every fixture as a parse of the real text', () => {
    const dir = join(__dirname, '..', 'fixtures');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.c')).map(f => join(dir, f));
    const texts = [...files.map(path => ({ path, text: readFileSync(path, 'utf8') })), { path: 'tricky.c', text: TRICKY }, { path: 'tables.c', text: TABLES }];
    let blanked = 0;
    for (const file of texts) {
      const normal = parseForLint(file, model) as ParsedFile;
      const whole = parseSource(file, model, false, true) as ParsedFile; // the editor's parse: nothing blanked
      whole.tree?.delete();
      expect(facts(normal), file.path).toEqual(facts(whole));
      blanked += functionBodies(file.text).length ? 1 : 0;
    }
    expect(blanked).toBeGreaterThan(150);
    const tables = parseForLint({ path: 'tables.c', text: TABLES }, model) as ParsedFile;
    expect(unreadInitializers(TABLES, topLevelBraces(TABLES), readTable(model))).toHaveLength(2);
    expect(tables.facts.typeObjects).toHaveLength(1);
    expect(tables.facts.pythonFacing.has('use')).toBe(true);
  });

  it('parses a file again with its bodies when the parse does not take a blanked span for a function body', () => {
    expect(functionBodies(TRICKY)).toHaveLength(2);
    const parsed = parseForLint({ path: 'tricky.c', text: TRICKY }, model) as ParsedFile;
    const names: string[] = [];
    const visit = (n: Syntax) => {
      if (n.type === 'identifier') names.push(TRICKY.slice(n.start, n.end));
      n.children.forEach(visit);
    };
    visit(parsed.root!);
    expect(names).toContain('stack');
  });
});
