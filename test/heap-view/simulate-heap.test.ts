/**
 * The Heap View's server side without an editor: `heaplint/simulateHeap` for C and .heaptrace
 * documents, the "Simulate heap" CodeLenses, and the diagnostics and hover of .heaptrace documents.
 */
import { describe, expect, it } from 'vitest';
import { modelFor } from '../../allocator-model/src/index';
import { Workspace } from '../../server/src/engine';
import { heapCodeLenses, heaptraceDiagnostics, heaptraceHover, simulateHeap } from '../../server/src/lsp/simulate-heap';
import { HeapCommands } from '../../server/src/lsp/protocol/heap';

const model = modelFor({}, '3.12');

const C = `#include <Python.h>

static void *
make(size_t n)
{
    return PyMem_Malloc(n);
}

static int
uses(void)
{
    char *a = make(40);
    char *b = PyObject_Malloc(100);
    PyMem_Free(b);
    PyMem_Free(a);
    return 0;
}

static int
nothing(int x)
{
    return x + 1;
}
`;

describe('heaplint/simulateHeap', () => {
  it('simulates the C function at the position, with the lines of every operation and event', async () => {
    const r = await simulateHeap({ uri: 'file:///ws/m.c', position: { line: 12, character: 4 } }, C, 'c', { model, python: '3.12' });
    expect(r.error).toBeUndefined();
    expect(r.title).toBe('uses() in m.c');
    expect(r.function).toEqual({ name: 'uses', startLine: 8, endLine: 16 });
    expect(r.python).toBe('3.12');
    expect(r.steps.ops).toBe(4);
    expect(r.ops.map((o) => `${o.line} ${o.kind} ${o.api} ${o.name} ${o.size ?? ''}`.trim())).toEqual([
      '6 alloc PyMem_Malloc a 40',
      '13 alloc PyObject_Malloc b 100',
      '14 free PyMem_Free b',
      '15 free PyMem_Free a',
    ]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ op: 2, line: 14, allocLine: 13, kind: 'family-mismatch', api: 'PyMem_Free', name: 'b' });
    expect(r.events[0].debug).toBe("Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'o', verified using API 'm'");
    expect(r.sourceLines[13]).toBe('char *b = PyObject_Malloc(100);');
    expect(r.final.allocatedBlocks).toBe(0);
    expect(r.heaptrace).toContain('b = PyObject_Malloc(100)');
    expect(r.pythonVersions).toContain('3.8');
    expect(r.pythonVersions).not.toContain('3.13t');
  });

  it('uses summaries from the workspace for wrappers in other files, and the requested version and default size', async () => {
    const ws = new Workspace({ model });
    ws.upsert('/ws/alloc.c', 'void *buf_new(void) { return PyObject_Malloc(32); }\n');
    const text = 'void f(void) { char *p = buf_new(); p[0] = 0; }\n';
    ws.upsert('/ws/f.c', text);
    const r = await simulateHeap({ uri: 'file:///ws/f.c', position: { line: 0, character: 16 }, python: '3.9', defaultSize: 300 }, text, 'c', { model, workspace: ws, path: '/ws/f.c' });
    expect(r.python).toBe('3.9');
    expect(r.geometry.poolSize).toBe(4096);
    expect(r.ops).toMatchObject([{ kind: 'alloc', api: 'PyObject_Malloc', size: 300, sizeKnown: false }]);
    expect(r.notes.some((n) => n.kind === 'wrapper')).toBe(true);
  });

  it('shows a free-threaded project as its GIL build, with a note', async () => {
    const r = await simulateHeap({ uri: 'file:///ws/m.c', position: { line: 12, character: 4 } }, C, 'c', { model, python: '3.13t' });
    expect(r.python).toBe('3.13');
    expect(r.notes[0].message).toMatch(/free-threaded/);
  });

  it('simulates misaligned arenas on request (one pool lost per arena)', async () => {
    const r = await simulateHeap({ uri: 'file:///ws/t.heaptrace', arenaAlignment: 'misaligned' }, 'a = PyObject_Malloc(8)\n', 'heaptrace', undefined);
    expect(r.geometry.arenaAlignment).toBe('misaligned');
    expect(r.final.unusedPools).toBe(62);
    expect(r.final.bytes.arenaAlignment).toBe(16384);
  });

  it('explains why nothing can be simulated', async () => {
    const outside = await simulateHeap({ uri: 'file:///ws/m.c', position: { line: 0, character: 0 } }, C, 'c', { model });
    expect(outside.error).toMatch(/not inside a function/);
    const none = await simulateHeap({ uri: 'file:///ws/m.c', position: { line: 21, character: 4 } }, C, 'c', { model });
    expect(none.error).toMatch(/nothing\(\) makes no heap allocation/);
    const bad = await simulateHeap({ uri: 'file:///ws/t.heaptrace' }, 'a = mallocc(3)\n', 'heaptrace', undefined);
    expect(bad.error).toMatch(/^line 1: /);
    const ft = await simulateHeap({ uri: 'file:///ws/t.heaptrace' }, 'python 3.13t\na = malloc(3)\n', 'heaptrace', undefined);
    expect(ft.error).toMatch(/mimalloc/);
  });

  it('simulates a whole .heaptrace document with its snapshots', async () => {
    const text = 'python 3.11\nrepeat 1022 {\n  a[i] = PyObject_Malloc(16)\n}\nsnapshot full\nPyMem_Free(a[0])\nsnapshot one-freed\n';
    const r = await simulateHeap({ uri: 'file:///ws/t.heaptrace' }, text, 'heaptrace', undefined);
    expect(r.source).toBe('heaptrace');
    expect(r.steps.ops).toBe(1023);
    expect(r.snapshots.map((s) => [s.label, s.line, s.op])).toEqual([
      ['full', 5, 1022],
      ['one-freed', 7, 1023],
    ]);
    expect(r.snapshots[0].stats.classes).toEqual([{ index: 0, size: 16, pools: 2, blocks: 1022, avail: 1020 }]);
    expect(r.ops.map((o) => o.kind)).toEqual(['repeat', 'alloc', 'snapshot', 'free', 'snapshot']);
    expect(r.events[0]).toMatchObject({ line: 6, kind: 'family-mismatch' });
  });
});

describe('CodeLenses, diagnostics and hover', () => {
  it('puts "Simulate heap" above every function that allocates, and at the top of a trace', async () => {
    const lenses = await heapCodeLenses('file:///ws/m.c', C, 'c', { model });
    expect(lenses.map((l) => [l.range.start.line, l.command?.title, l.command?.command])).toEqual([
      [3, 'Simulate heap', HeapCommands.simulateFunction],
      [9, 'Simulate heap', HeapCommands.simulateFunction],
    ]);
    expect(lenses[1].command?.arguments).toEqual(['file:///ws/m.c', { line: 9, character: 0 }]);
    const trace = await heapCodeLenses('file:///ws/t.heaptrace', 'a = malloc(1)\n', 'heaptrace', undefined);
    expect(trace).toEqual([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, command: { title: 'Simulate heap', command: HeapCommands.simulateTraceFile, arguments: ['file:///ws/t.heaptrace'] } }]);
  });

  it('reports trace errors as diagnostics', () => {
    const d = heaptraceDiagnostics('python 3.99\na = mallocc(3)\nfree(b)\n');
    expect(d.map((x) => [x.range.start.line, x.code, x.severity])).toEqual([
      [1, 'unknown-function', 1],
      [2, 'used-before-assignment', 1],
      [0, 'python-version', 1],
    ]);
    expect(heaptraceDiagnostics('a = malloc(8)\nfree(a)\n')).toEqual([]);
  });

  it('hovers a line with the heap state after it', () => {
    const text = 'repeat 3 {\n  a[i] = PyObject_Malloc(32)\n}\nPyMem_Free(a[1])\n';
    const md = heaptraceHover(text, 1)!;
    expect(md).toContain('**Heap after line 2** (3 operations');
    expect(md).toContain('| 32 | 1 | 3 | 507 |');
    const after = heaptraceHover(text, 3)!;
    expect(after).toContain('| 32 | 1 | 2 | 508 |');
    expect(after).toContain("bad ID: Allocated using API 'o', verified using API 'm'");
    expect(heaptraceHover(text, 2)).toBeNull();
  });
});
