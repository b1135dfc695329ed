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
import { blankBodies, functionBodies } from '../../server/src/engine/parse/function-bodies';
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

  it('blanks with spaces, keeping every offset and line break', () => {
    const text = 'int f(void)\n{\n    return g(1);\n}\n';
    const out = blankBodies(text, functionBodies(text));
    expect(out).toBe(`int f(void)\n{\n${' '.repeat(16)}\n}\n`);
    expect(out.length).toBe(text.length);
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

describe('parsing with idle bodies blanked', () => {
  const model = modelFor({}, '3.11');
  /** What the analysis reads of a file's functions. */
  const facts = (p: ParsedFile) => p.facts.functions.map(f => ({
    name: f.name, isStatic: f.isStatic, returns: f.returns, params: f.params, mentions: f.mentions, lazy: !!f.body.lazy,
    start: f.node.start, end: f.node.end, body: [f.body.start, f.body.end], allocatingFormat: f.allocatingFormat,
  }));

  it('reads the same functions, mentions and extents from every fixture as a parse of the real text', () => {
    const dir = join(__dirname, '..', 'fixtures');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.c')).map(f => join(dir, f));
    const texts = [...files.map(path => ({ path, text: readFileSync(path, 'utf8') })), { path: 'tricky.c', text: TRICKY }];
    let blanked = 0;
    for (const file of texts) {
      const normal = parseForLint(file, model) as ParsedFile;
      const whole = parseSource(file, model, false, true) as ParsedFile; // the editor's parse: nothing blanked
      whole.tree?.delete();
      expect(facts(normal), file.path).toEqual(facts(whole));
      blanked += functionBodies(file.text).length ? 1 : 0;
    }
    expect(blanked).toBeGreaterThan(150);
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
