import { describe, expect, it } from 'vitest';
import { heapStateAfterLine, parseHeaptrace, replayProgram, TraceVersionError } from '../../server/src/simulator/heaptrace';

const replay = (text: string, opts = {}) => replayProgram(parseHeaptrace(text).program, opts);

describe('replaying a trace', () => {
  it('takes one snapshot per snapshot line with the statistics of a heap that started empty', () => {
    const r = replay(['repeat 1022 {', '  a[i] = PyObject_Malloc(16)', '}', 'snapshot full', 'PyObject_Free(a[0])', 'snapshot one-freed'].join('\n'));
    expect(r.python).toBe('3.11');
    expect(r.snapshots.map((s) => [s.label, s.line])).toEqual([
      ['full', 4],
      ['one-freed', 6],
    ]);
    expect(r.snapshots[0].stats.classes).toEqual([{ index: 0, size: 16, pools: 2, blocks: 1022, avail: 1020 }]);
    expect(r.snapshots[1].stats.classes).toEqual([{ index: 0, size: 16, pools: 2, blocks: 1021, avail: 1021 }]);
    expect(r.snapshots[1].stats.allocatedBlocks).toBe(1021);
  });

  it('uses the python line of the trace unless an option overrides it', () => {
    const text = 'python 3.9\na = PyObject_Malloc(16)\n';
    expect(replay(text).geometry.poolSize).toBe(4096);
    expect(replay(text, { python: '3.12' }).geometry.poolSize).toBe(16384);
  });

  it('adds an "end" snapshot when the trace has none', () => {
    const r = replay('a = PyMem_Malloc(100)\n');
    expect(r.snapshots).toHaveLength(1);
    expect(r.snapshots[0]).toMatchObject({ label: 'end', line: 1 });
    expect(r.snapshots[0].stats.classes[0]).toMatchObject({ size: 112, blocks: 1 });
  });

  it('records the state after the last run of a snapshot inside a repeat', () => {
    const r = replay('repeat 3 {\n  a[i] = PyObject_Malloc(32)\n  snapshot loop\n}\n');
    expect(r.snapshots).toHaveLength(1);
    expect(r.snapshots[0].runs).toBe(3);
    expect(r.snapshots[0].stats.classes[0].blocks).toBe(3);
  });

  it('attributes flagged events to their line and name, and lists them in every later snapshot', () => {
    const r = replay(['b = PyMem_Malloc(24)', 'snapshot before', 'PyObject_Free(b)', 'snapshot after'].join('\n'));
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({ line: 3, name: 'b', api: 'PyObject_Free', allocSite: 1 });
    expect(r.snapshots[0].events).toEqual([]);
    expect(r.snapshots[1].events).toEqual(r.events);
  });

  it('passes the stale pointer of a double free to the heap, which flags it', () => {
    const r = replay('a = PyMem_Malloc(8)\nPyMem_Free(a)\nPyMem_Free(a)\n');
    expect(r.events.map((e) => [e.kind, e.line, e.name])).toEqual([['double-free', 3, 'a']]);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['holds-nothing']);
  });

  it('refuses free-threaded and unknown versions with the range of the python line', () => {
    expect(() => replay('python 3.13t\n')).toThrow(TraceVersionError);
    try {
      replay('python 3.99\n');
    } catch (e) {
      expect(e).toBeInstanceOf(TraceVersionError);
      expect((e as TraceVersionError).range?.start.line).toBe(0);
    }
    expect(() => replay('python 3.99\n')).toThrow(/unknown CPython version/);
  });

  it('stops after a given number of operations (for stepping through a trace)', () => {
    const r = replay('repeat 10 {\n  a[i] = PyObject_Malloc(8)\n}\n', { stopAfterOps: 4 });
    expect(r.stopped).toBe(true);
    expect(r.final.classes[0].blocks).toBe(4);
  });
});

describe('heap state after a line', () => {
  const text = ['a = PyObject_Malloc(16)', 'repeat 5 {', '  b[i] = PyObject_Malloc(64)', '}', 'PyObject_Free(a)', '# nothing here'].join('\n');
  const program = parseHeaptrace(text).program;

  it('is the state after that line ran (its last run inside a repeat)', () => {
    expect(heapStateAfterLine(program, 1)!.stats.classes).toEqual([{ index: 0, size: 16, pools: 1, blocks: 1, avail: 1020 }]);
    const afterLoop = heapStateAfterLine(program, 3)!;
    expect(afterLoop.ops).toBe(6);
    expect(afterLoop.stats.classes.map((c) => [c.size, c.blocks])).toEqual([
      [16, 1],
      [64, 5],
    ]);
    expect(heapStateAfterLine(program, 5)!.stats.classes.map((c) => [c.size, c.blocks])).toEqual([[64, 5]]);
  });

  it('is undefined for a line without a statement', () => {
    expect(heapStateAfterLine(program, 6)).toBeUndefined();
    expect(heapStateAfterLine(program, 2)).toBeUndefined();
  });
});
