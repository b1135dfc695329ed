import { beforeAll, describe, expect, it } from 'vitest';
import { modelFor } from '../../allocator-model/src/index';
import { initParser } from '../../server/src/engine/parse/parser';
import {
  allocatingFunctions,
  extractTrace,
  extractTraceOf,
  parseForExtraction,
  recordSimulation,
  toHeaptraceText,
  toProgram,
  type ExtractOptions,
  type TraceOp,
} from '../../server/src/engine/extract';
import type { Summary } from '../../server/src/engine/flow/summary';
import { replayProgram } from '../../server/src/simulator/heaptrace';

const model = modelFor({}, '3.12');

beforeAll(async () => {
  await initParser();
});

/** One line per operation: `name = api(size) @line`, repeats as `repeat N {` … `}`. */
function flat(ops: TraceOp[], indent = ''): string[] {
  const out: string[] = [];
  const nm = (t: { name: string; index: null | 'i' | number }) => (t.index === null ? t.name : `${t.name}[${t.index}]`);
  for (const o of ops) {
    const at = ` @${o.range.start.line + 1}`;
    if (o.op === 'alloc') out.push(`${indent}${nm(o.target)} = ${o.api}(${o.count !== null ? `${o.count}, ` : ''}${o.size}${o.sizeKnown ? '' : '?'})${at}`);
    else if (o.op === 'realloc') out.push(`${indent}${nm(o.target)} = ${o.api}(${o.source ? nm(o.source) : 'NULL'}, ${o.size}${o.sizeKnown ? '' : '?'})${at}`);
    else if (o.op === 'free') out.push(`${indent}${o.api}(${nm(o.arg)})${at}`);
    else {
      out.push(`${indent}repeat ${o.count}${o.countKnown ? '' : '?'} {${at}`);
      out.push(...flat(o.body, indent + '  '));
      out.push(`${indent}}`);
    }
  }
  return out;
}

/** Extracts function `fn` of `c` and compares the flattened trace. */
function check(c: string, fn: string, expected: string[], opts: Partial<ExtractOptions> = {}) {
  const r = extractTraceOf(c, fn, { model, ...opts });
  expect(flat(r.ops)).toEqual(expected);
  return r;
}

describe('trace extraction from C', () => {
  it('finds the function under the cursor and its constant-size allocations', () => {
    const c = [
      '#include <Python.h>', // 1
      'static int spam(void) {', // 2
      '    char *buf = PyMem_Malloc(100);', // 3
      '    if (buf == NULL) return -1;', // 4
      '    PyObject *o = PyObject_Malloc(24);', // 5
      '    free(buf);', // 6
      '    PyObject_Free(o);', // 7
      '    return 0;', // 8
      '}', // 9
    ].join('\n');
    const r = extractTrace(c, { line: 3, character: 10 }, { model });
    expect(r.function?.name).toBe('spam');
    expect(flat(r.ops)).toEqual(['buf = PyMem_Malloc(100) @3', 'o = PyObject_Malloc(24) @5', 'free(buf) @6', 'PyObject_Free(o) @7']);
    expect(r.opCount).toBe(4);
    expect(extractTrace(c, { line: 0, character: 0 }, { model }).error).toMatch(/not inside a function/);
  });

  it('computes sizeof on LP64 for primitives, pointers and structs laid out with alignment', () => {
    const c = `
typedef struct { char tag; double value; int *next; } item_t;
struct pair { char a; int b; };
typedef struct { PyObject_HEAD int count; char *names[4]; } FooObject;
union u { char c[13]; long l; };
#define N 10
enum { SMALL = 3, MEDIUM, BIG = MEDIUM * 8 };
static const size_t CHUNK = 2 * N;
void f(void) {
    item_t *a = malloc(sizeof(item_t));
    struct pair *b = PyMem_Malloc(sizeof(struct pair) * N);
    FooObject *c = PyObject_Malloc(sizeof(FooObject));
    union u *d = PyMem_RawMalloc(sizeof(union u));
    long *e = PyMem_Calloc(N + 1, sizeof *e);
    char *f = PyMem_Malloc(BIG + CHUNK);
    void **g = PyMem_New(void *, MEDIUM);
    char *h = PyMem_Malloc(sizeof(int) << 2);
}`;
    check(c, 'f', [
      'a = malloc(24) @10',
      'b = PyMem_Malloc(80) @11',
      'c = PyObject_Malloc(56) @12',
      'd = PyMem_RawMalloc(16) @13',
      'e = PyMem_Calloc(11, 8) @14',
      'f = PyMem_Malloc(52) @15',
      'g = PyMem_Malloc(32) @16',
      'h = PyMem_Malloc(16) @17',
    ]);
  });

  it('turns loops with constant bounds into repeats and indexes arrays by the loop index', () => {
    const c = `
void f(void) {
    char *slots[100];
    for (int i = 0; i < 100; i++) {
        slots[i] = PyObject_Malloc(32);
    }
    for (int i = 0; i < 100; i++)
        PyObject_Free(slots[i]);
    int k;
    for (k = 10; k > 0; k--) { void *t = PyMem_Malloc(8); PyMem_Free(t); }
}`;
    check(c, 'f', [
      'repeat 100 { @4',
      '  slots[i] = PyObject_Malloc(32) @5',
      '}',
      'repeat 100 { @7',
      '  PyObject_Free(slots[i]) @8',
      '}',
      'repeat 10 { @10',
      '  t = PyMem_Malloc(8) @10',
      '  PyMem_Free(t) @10',
      '}',
    ]);
  });

  it('unrolls a loop whose index is not the repeat index, so slots stay right', () => {
    const c = `
void f(void) {
    char *s[9];
    for (int i = 0; i < 9; i++) s[i] = PyMem_Malloc(8);
    for (int i = 1; i < 9; i += 3) PyMem_Free(s[i]);
}`;
    check(c, 'f', ['repeat 9 { @4', '  s[i] = PyMem_Malloc(8) @4', '}', 'PyMem_Free(s[1]) @5', 'PyMem_Free(s[4]) @5', 'PyMem_Free(s[7]) @5']);
  });

  it('unrolls a short loop whose sizes depend on the index, and runs unknown loops once with a note', () => {
    const c = `
void f(int n) {
    void *p = NULL;
    for (int i = 1; i <= 3; i++)
        p = PyMem_Realloc(p, i * 100);
    while (n--) { char *q = malloc(n); free(q); }
}`;
    const r = check(c, 'f', [
      'p = PyMem_Realloc(NULL, 100) @5',
      'p = PyMem_Realloc(p, 200) @5',
      'p = PyMem_Realloc(p, 300) @5',
      'q = malloc(64?) @6',
      'free(q) @6',
    ]);
    expect(r.notes.map((n) => [n.line, n.kind])).toEqual(expect.arrayContaining([[6, 'loop'], [6, 'size']]));
  });

  it('uses the default size for unknown sizes and says so', () => {
    const c = `void f(size_t n) { char *p = PyMem_Malloc(n + 1); PyMem_Free(p); }`;
    const r = check(c, 'f', ['p = PyMem_Malloc(200?) @1', 'PyMem_Free(p) @1'], { defaultSize: 200 });
    expect(r.notes).toEqual([{ line: 1, kind: 'size', message: 'size not constant (n + 1): using the default 200 bytes' }]);
  });

  it('follows the success path: NULL tests and error branches that return are skipped', () => {
    const c = `
static PyObject *f(void) {
    char *a = PyMem_Malloc(16);
    if (!a) { PyErr_NoMemory(); return NULL; }
    char *b = PyMem_Malloc(32);
    if (b == NULL) { PyMem_Free(a); return NULL; }
    if (do_something(a, b) < 0) { PyMem_Free(b); goto error; }
    PyMem_Free(b);
    PyMem_Free(a);
    return Py_None;
error:
    PyMem_Free(a);
    return NULL;
}`;
    const r = check(c, 'f', ['a = PyMem_Malloc(16) @3', 'b = PyMem_Malloc(32) @5', 'PyMem_Free(b) @8', 'PyMem_Free(a) @9']);
    expect(r.notes.some((n) => n.kind === 'branch' && n.line === 7)).toBe(true);
  });

  it('skips a branch that only continues the loop, and reallocs from NULL without a note', () => {
    const c = `
void f(const char *data, long n) {
    long *ends = NULL;
    long count = 0, cap = 0;
    for (long i = 0; i < n; i++) {
        if (data[i] != '\\n')
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 16;
            ends = PyMem_Realloc(ends, cap * sizeof(*ends));
        }
        ends[count++] = i;
    }
    PyMem_Free(ends);
}`;
    const r = check(c, 'f', ['ends = PyMem_Realloc(NULL, 128) @10', 'PyMem_Free(ends) @14']);
    expect(r.notes.map((n) => n.kind)).toEqual(['loop']);
  });

  it('continues at a top-level label after goto, as cleanup code is usually written', () => {
    const c = `
int f(void) {
    int rc = -1;
    char *a = PyMem_Malloc(16);
    if (a == NULL) goto done;
    rc = 0;
    goto done;
    PyMem_Free(a);
done:
    PyMem_Free(a);
    return rc;
}`;
    check(c, 'f', ['a = PyMem_Malloc(16) @4', 'PyMem_Free(a) @10']);
  });

  it('follows functions of the same file with their parameters bound, renaming what they return', () => {
    const c = `
static char *make(size_t n) {
    char *p = PyMem_Malloc(n + 1);
    if (!p) return NULL;
    return p;
}
static void drop(char *q) { PyMem_Free(q); }
void f(void) {
    char *items[8];
    for (int i = 0; i < 8; i++) items[i] = make(15);
    char *x = make(100);
    drop(x);
}`;
    check(c, 'f', ['repeat 8 { @10', '  items[i] = PyMem_Malloc(16) @3', '}', 'x = PyMem_Malloc(101) @3', 'PyMem_Free(x) @7']);
  });

  it('applies wrappers of other files through their summaries', () => {
    const summaries = new Map<string, Summary>([
      ['buf_new', { name: 'buf_new', returns: [{ kind: 'alloc', alloc: { family: 'object', api: 'PyObject_Malloc', via: ['buf_new', 'PyObject_Malloc'], setsException: true } }], releases: [], outAllocs: [], paramAssigns: [], escapes: new Set(), setsException: true }],
      ['buf_free', { name: 'buf_free', returns: [], releases: [{ param: 0, path: '', family: 'mem', api: 'PyMem_Free', via: ['buf_free', 'PyMem_Free'] }], outAllocs: [], paramAssigns: [], escapes: new Set(), setsException: false }],
    ]);
    const c = `void f(void) { void *b = buf_new(); buf_free(b); }`;
    const r = check(c, 'f', ['b = PyObject_Malloc(48?) @1', 'PyMem_Free(b) @1'], { summaries, defaultSize: 48 });
    expect(r.notes.filter((n) => n.kind === 'wrapper')).toHaveLength(2);
  });

  it('sizes typed object allocations from their struct, with the GC header for GC types', () => {
    const c = `
typedef struct { PyObject_HEAD PyObject *dict; Py_ssize_t n; } BoxObject;
PyObject *f(void) {
    BoxObject *a = PyObject_New(BoxObject, &Box_Type);
    BoxObject *b = PyObject_GC_New(BoxObject, &Box_Type);
    Py_DECREF(a);
    return (PyObject *)b;
}`;
    check(c, 'f', ['a = PyObject_Malloc(32) @4', 'b = PyObject_Malloc(48) @5', 'PyObject_Free(a) @6']);
    check(c, 'f', ['a = PyObject_Malloc(32) @4', 'b = PyObject_Malloc(64) @5', 'PyObject_Free(a) @6'], { python: '3.7.4' });
  });

  it('handles realloc, PyMem_Resize and strdup', () => {
    const c = `
void f(void) {
    int *v = PyMem_New(int, 4);
    PyMem_Resize(v, int, 64);
    char *s = strdup("hello");
    char *t = realloc(s, 600);
    free(t);
    PyMem_Free(v);
}`;
    check(c, 'f', [
      'v = PyMem_Malloc(16) @3',
      'v = PyMem_Realloc(v, 256) @4',
      's = malloc(6) @5',
      't = realloc(s, 600) @6',
      'free(t) @7',
      'PyMem_Free(v) @8',
    ]);
  });

  it('lists the functions that allocate, directly or through a function of the file', () => {
    const c = `
static void *mk(void) { return PyMem_Malloc(8); }
static int pure(int x) { return x + 1; }
void uses(void) { void *p = mk(); PyMem_Free(p); }`;
    const fns = allocatingFunctions(parseForExtraction(c, model), { model });
    expect(fns.map((f) => f.name)).toEqual(['mk', 'uses']);
    expect(fns[1].nameRange.start).toEqual({ line: 3, character: 5 });
  });

  it('produces a program the simulator replays with the C lines, and equivalent .heaptrace text', () => {
    const c = `
void f(void) {
    char *a = PyMem_Malloc(24);
    for (int i = 0; i < 3; i++) self->items[i] = PyObject_Malloc(16);
    PyObject_Free(a);
}`;
    const r = extractTraceOf(c, 'f', { model });
    const prog = toProgram(r.ops, c.split('\n').length);
    const res = replayProgram(prog, { python: '3.12' });
    expect(res.events).toHaveLength(1);
    expect(res.events[0]).toMatchObject({ line: 5, kind: 'family-mismatch', allocSite: 3, name: 'a' });
    const text = toHeaptraceText(r.ops, { python: '3.12' });
    expect(text).toContain('self_items[i] = PyObject_Malloc(16)');
    const rec = recordSimulation(prog, { python: '3.12' });
    expect(rec.ops).toBe(5);
    expect(rec.final.classes.map((k) => [k.size, k.blocks])).toEqual([[16, 3], [32, 0]].filter((x) => x[1] > 0));
  });
});
