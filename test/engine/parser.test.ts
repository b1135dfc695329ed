import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/engine';
import { useFastWalker } from '../../server/src/engine/parse/cursor';
import { parseC } from '../../server/src/engine/parse/parser';
import { neutralise } from '../../server/src/engine/parse/neutralise';
import { toSyntax, walk, type Syntax } from '../../server/src/engine/parse/syntax';
import { parseSource, type ParsedFile } from '../../server/src/engine/project/project';
import { modelFor } from '../../allocator-model/src';

const sample = readFileSync(join(__dirname, '..', '..', 'examples', 'spam', 'spammodule.c'), 'utf8');

beforeAll(async () => {
  await initParser();
});

describe('parsing', () => {
  it('the WASM grammar and the native tree-sitter 0.25 binding produce the same tree', async () => {
    const tree = parseC(sample);
    const wasm = tree.rootNode.toString();
    tree.delete();
    const Native = (await import('tree-sitter')).default as unknown as new () => { setLanguage(l: unknown): void; parse(t: string): { rootNode: { toString(): string } } };
    const language = (await import('tree-sitter-c')).default;
    const parser = new Native();
    parser.setLanguage(language);
    expect(parser.parse(sample).rootNode.toString()).toBe(wasm);
    expect(wasm).toContain('function_definition');
  });

  it('neutralises statement macros without moving any offset', () => {
    const text = 'void f(void) {\n    Py_BEGIN_ALLOW_THREADS\n    g();\n    Py_END_ALLOW_THREADS\n}\n';
    const out = neutralise(text, modelFor());
    expect(out.length).toBe(text.length);
    expect(out.split('\n').map(l => l.length)).toEqual(text.split('\n').map(l => l.length));
    const tree = parseC(out);
    expect(tree.rootNode.hasError).toBe(false);
    tree.delete();
  });

  it('positions are UTF-16 columns, computed from offsets', () => {
    const text = '/* héllo ✓ */ int x;\nint y = 1;\n';
    const tree = parseC(text);
    const root = toSyntax(tree, text);
    tree.delete();
    // comments are not copied: the two declarations are the only children
    const [first, second] = root.children;
    expect(second.row).toBe(1);
    expect(second.col).toBe(0);
    expect(first.row).toBe(0);
    expect(first.col).toBe(text.indexOf('int x'));
  });

  it('leaves data tables unconverted, and converts the tables the facts read', () => {
    const numbers = `static const unsigned short decmap[] = {\n${'12288, 12289, 0x3000U, 65292,\n'.repeat(400)}};\n`;
    const records = `static const struct dbcs_index idx[] = {\n${'{__decmap+1, 33, 126}, {0, 0, 0},\n'.repeat(200)}};\n`;
    const text = `${numbers}${records}
static PyObject *spam_system(PyObject *self, PyObject *args) { return NULL; }
static PyMethodDef methods[] = {
    {"system", spam_system, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL}
};
static void obj_dealloc(PyObject *self) { PyObject_Free(self); }
static PyTypeObject Obj_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "spam.Obj",
    .tp_dealloc = obj_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
};
`;
    const parsed = parseSource({ path: 'spam.c', text }, modelFor()) as ParsedFile;
    const initializers: Syntax[] = [];
    walk(parsed.root!, n => {
      if (n.type === 'initializer_list' && n.field === 'value') initializers.push(n);
    });
    const shape = (n: Syntax) => [parsed.analysed.slice(n.start, n.start + 12).split('\n')[0], !!n.lazy, n.children.length > 0];
    expect(initializers.map(shape)).toEqual([
      ['{', true, false], // numbers only: blanked before parsing, nothing to convert
      ['{', true, false], // records nothing reads
      ['{', false, true], // PyMethodDef: Python calls what it names
      ['{', false, true], // PyTypeObject: dealloc and flags
    ]);
    expect(parsed.facts.pythonFacing.has('spam_system')).toBe(true);
    expect(parsed.facts.typeObjects).toMatchObject([{ name: 'Obj_Type', dealloc: 'obj_dealloc', gc: true }]);
    // the text analysed keeps every character: positions and the findings' text come from it
    expect(parsed.analysed.length).toBe(text.length);
    expect(parsed.analysed).toContain('12288, 12289');
  });
});

describe('the fast tree walker', () => {
  /** Everything the conversion records of a node, children included. */
  const dump = (n: Syntax): unknown => [n.type, n.start, n.end, n.field, n.op ?? null, n.text ?? null, !!n.broken, !!n.lazy, n.names ?? null, n.children.map(dump)];

  it('converts every fixture exactly as web-tree-sitter\'s own cursor does, syntax errors and skipped bodies included', () => {
    const dir = join(__dirname, '..', 'fixtures');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(f => f.endsWith('.c')).map(f => join(dir, f));
    files.push(join(__dirname, '..', '..', 'examples', 'spam', 'spammodule.c'));
    // a body left out with its names, one converted, and an error inside a function
    const skipBody = (s: number, e: number) => ((s + e) % 3 === 0 ? 'names' as const : (s + e) % 3 === 1);
    let broken = 0;
    try {
      for (const file of files) {
        const text = readFileSync(file, 'utf8') + '\nstatic int damaged(void) { return f(; }\n';
        const tree = parseC(text);
        try {
          expect(useFastWalker(true), 'the fast walker is bound to the WASM module').toBe(true);
          const fast = toSyntax(tree, text, { skipBody });
          useFastWalker(false);
          const plain = toSyntax(tree, text, { skipBody });
          expect(dump(fast), file).toEqual(dump(plain));
          if (fast.broken) broken++;
        } finally {
          tree.delete();
          useFastWalker(true);
        }
      }
    } finally {
      useFastWalker(true);
    }
    expect(files.length).toBeGreaterThan(150);
    expect(broken).toBe(files.length);
  });
});
