import { describe, expect, it } from 'vitest';
import { HeapSimulator, LIBC, MEM, OBJECT, RAW } from '../../server/src/simulator';

describe('releases by another family', () => {
  it('flags PyMem_Malloc released by PyObject_Free with the 3.9+ debug-hook message, and frees it in a release build', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(MEM, 16, 3);
    sim.free(OBJECT, p, 4);
    expect(sim.events).toHaveLength(1);
    expect(sim.events[0]).toMatchObject({
      kind: 'family-mismatch',
      api: 'PyObject_Free',
      allocFamily: 'mem',
      allocSite: 3,
      site: 4,
      effect: 'performed',
      debug: "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'",
    });
    expect(sim.events[0].release).toMatch(/^silent/);
    expect(sim.describe(p)).toBeUndefined();
  });

  it('uses the message without the function name up to 3.8', () => {
    const sim = new HeapSimulator({ python: '3.8' });
    sim.free(MEM, sim.malloc(OBJECT, 16));
    expect(sim.events[0].debug).toBe("Fatal Python error: bad ID: Allocated using API 'o', verified using API 'm'");
  });

  it('names _PyMem_DebugRawRealloc for a realloc through the wrong domain', () => {
    const sim = new HeapSimulator({ python: '3.12' });
    sim.realloc(RAW, sim.malloc(RAW, 16), 32);
    const p = sim.malloc(OBJECT, 16);
    sim.realloc(MEM, p, 32);
    expect(sim.events.map((e) => e.debug)).toEqual([
      "Fatal Python error: _PyMem_DebugRawRealloc: bad ID: Allocated using API 'o', verified using API 'm'",
    ]);
  });

  it('free() on a 1-512-byte PyMem block aborts a release build and leaves the heap as it was', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(MEM, 24);
    sim.free(LIBC, p);
    expect(sim.events[0]).toMatchObject({ kind: 'family-mismatch', api: 'free', effect: 'crash', inPool: true });
    expect(sim.events[0].release).toContain('free(): invalid pointer');
    expect(sim.describe(p)).toMatchObject({ family: 'mem' });
  });

  it('free() on an 8 KiB PyMem block "works" in a release build but keeps it in sys.getallocatedblocks()', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(MEM, 8192);
    sim.free(LIBC, p);
    expect(sim.events[0]).toMatchObject({ effect: 'performed', inPool: false });
    expect(sim.events[0].debug).toMatch(/^crash: free\(\) receives a pointer 16 bytes past/);
    expect(sim.describe(p)).toBeUndefined();
    expect(sim.allocatedBlocks()).toBe(1);
  });

  it('PyMem_Free on a malloc block is forwarded silently and makes sys.getallocatedblocks() drop below the truth', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(LIBC, 16);
    sim.free(MEM, p);
    expect(sim.events[0]).toMatchObject({ effect: 'performed', allocFamily: 'libc' });
    expect(sim.events[0].debug).toMatch(/never wrote/);
    expect(sim.allocatedBlocks()).toBe(-1);
  });

  it('PyMem_RawFree on a PyMem_RawMalloc block and free() on a malloc block raise nothing', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    sim.free(RAW, sim.malloc(RAW, 16));
    sim.free(LIBC, sim.malloc(LIBC, 16));
    sim.free(OBJECT, sim.malloc(OBJECT, 700));
    expect(sim.events).toEqual([]);
    expect(sim.allocatedBlocks()).toBe(0);
  });
});

describe('double frees and unknown pointers', () => {
  it('flags the second PyMem_Free of a pool block and does not corrupt the simulated free list', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(MEM, 16);
    sim.free(MEM, p);
    sim.free(MEM, p);
    expect(sim.events[0]).toMatchObject({ kind: 'double-free', effect: 'skipped' });
    expect(sim.events[0].debug).toMatch(/0xDD/);
    const a = sim.malloc(MEM, 16);
    const b = sim.malloc(MEM, 16);
    expect(a).toBe(p);
    expect(b).not.toBe(p);
  });

  it('flags a double free() of a C-heap block as a glibc abort', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(LIBC, 100);
    sim.free(LIBC, p);
    sim.free(LIBC, p);
    expect(sim.events[0]).toMatchObject({ kind: 'double-free', effect: 'crash' });
    expect(sim.events[0].release).toMatch(/double free detected/);
  });

  it('flags a pointer that no allocator handed out', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    sim.free(OBJECT, 123456789);
    sim.free(MEM, -42);
    expect(sim.events.map((e) => e.kind)).toEqual(['unknown-pointer', 'unknown-pointer']);
  });

  it('treats free(NULL) as a no-op', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    sim.free(LIBC, 0);
    sim.free(OBJECT, 0);
    expect(sim.events).toEqual([]);
    expect(sim.ops).toBe(2);
  });
});
