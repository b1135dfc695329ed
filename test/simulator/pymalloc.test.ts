import { describe, expect, it } from 'vitest';
import { HeapSimulator, LIBC, MEM, OBJECT, RAW } from '../../server/src/simulator';

const classOf = (sim: HeapSimulator, size: number) => sim.stats().classes.find((c) => c.size === size);

describe('pymalloc block and pool layout', () => {
  it('hands a freed block back to the next request of the same size class', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const a = sim.malloc(OBJECT, 24);
    sim.malloc(OBJECT, 24);
    sim.free(OBJECT, a);
    expect(sim.malloc(MEM, 32)).toBe(a); // 24 and 32 bytes share the 32-byte class
  });

  it('hands blocks out in address order from a fresh pool, and frees last-in first-out', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const ptrs = [0, 1, 2, 3].map(() => sim.malloc(OBJECT, 16));
    expect(ptrs.map((p) => sim.describe(p)!.block)).toEqual([0, 1, 2, 3]);
    sim.free(OBJECT, ptrs[1]);
    sim.free(OBJECT, ptrs[3]);
    expect(sim.malloc(OBJECT, 16)).toBe(ptrs[3]);
    expect(sim.malloc(OBJECT, 16)).toBe(ptrs[1]);
    expect(sim.describe(sim.malloc(OBJECT, 16))!.block).toBe(4);
  });

  it('fills a 16 KiB pool with 1021 16-byte blocks before opening a second pool', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    for (let i = 0; i < 1021; i++) sim.malloc(OBJECT, 16);
    expect(classOf(sim, 16)).toMatchObject({ pools: 1, blocks: 1021, avail: 0 });
    sim.malloc(OBJECT, 16);
    expect(classOf(sim, 16)).toMatchObject({ pools: 2, blocks: 1022, avail: 1020 });
  });

  it('needs four 1 MiB arenas for 200,000 16-byte blocks and keeps one empty arena after freeing them (3.11)', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p: number[] = [];
    for (let i = 0; i < 200_000; i++) p.push(sim.malloc(OBJECT, 16));
    let s = sim.stats();
    expect(s.classes).toEqual([{ index: 0, size: 16, pools: 196, blocks: 200_000, avail: 116 }]);
    expect(s.arenas).toEqual({ allocatedTotal: 4, reclaimed: 0, highwater: 4, current: 4 });
    for (const h of p) sim.free(OBJECT, h);
    s = sim.stats();
    expect(s.arenas).toEqual({ allocatedTotal: 4, reclaimed: 3, highwater: 4, current: 1 });
    expect(s.unusedPools).toBe(64);
    expect(s.allocatedBlocks).toBe(0);
  });

  it('releases every empty arena at once on 3.8, but keeps one since 3.9', () => {
    for (const [python, current] of [
      ['3.8', 0],
      ['3.9', 1],
    ] as const) {
      const sim = new HeapSimulator({ python });
      const p: number[] = [];
      for (let i = 0; i < 20_000; i++) p.push(sim.malloc(OBJECT, 16));
      for (const h of p) sim.free(OBJECT, h);
      expect(sim.stats().arenas.current, python).toBe(current);
    }
  });

  it('one surviving block per pool pins every pool and every arena', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p: number[] = [];
    for (let i = 0; i < 100_000; i++) p.push(sim.malloc(OBJECT, 64));
    const arenas = sim.stats().arenas.current;
    p.forEach((h, i) => {
      if (i % 100 !== 99) sim.free(OBJECT, h);
    });
    const s = sim.stats();
    expect(s.arenas.current).toBe(arenas);
    expect(classOf(sim, 64)!.blocks).toBe(1000);
    expect(classOf(sim, 64)!.pools).toBe(Math.ceil(100_000 / 255));
  });

  it('prefers the most allocated usable arena, so nearly empty arenas can drain', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const perArena = 64 * 63; // 256-byte blocks: 63 per pool
    const blocks: number[] = [];
    for (let i = 0; i < perArena * 3; i++) blocks.push(sim.malloc(OBJECT, 256));
    // Empty two pools of arena 0 and one pool of arena 1.
    for (let i = 0; i < 63 * 2; i++) sim.free(OBJECT, blocks[i]);
    for (let i = perArena; i < perArena + 63; i++) sim.free(OBJECT, blocks[i]);
    expect(sim.pymalloc.usableOrder()).toEqual([1, 0]);
    const next = sim.malloc(OBJECT, 48);
    expect(sim.describe(next)!.arena).toBe(1);
  });

  it('reuses an emptied pool for the same class with its free list intact, or re-carves it for another', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const keep = sim.malloc(OBJECT, 16); // keeps the arena's first pool busy
    const a = sim.malloc(OBJECT, 32);
    const b = sim.malloc(OBJECT, 32);
    sim.free(OBJECT, a);
    sim.free(OBJECT, b); // pool of 32-byte blocks is now empty, b on top of its free list
    expect(sim.malloc(OBJECT, 32)).toBe(b);
    sim.free(OBJECT, b);
    const c = sim.malloc(OBJECT, 64);
    expect(sim.describe(c)).toMatchObject({ pool: sim.describe(keep)!.pool! + 1, block: 0, size: 64 });
  });
});

describe('requests pymalloc does not serve', () => {
  it('sends 0-byte and larger-than-512-byte requests to the C heap and counts them as allocated blocks', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const z = sim.malloc(MEM, 0);
    const big = sim.malloc(OBJECT, 513);
    expect(sim.describe(z)!.inPool).toBe(false);
    expect(sim.describe(big)!.inPool).toBe(false);
    expect(sim.stats()).toMatchObject({ classes: [], allocatedBlocks: 2, cHeap: { blocks: 2, bytes: 513 } });
  });

  it('never counts raw or libc blocks in sys.getallocatedblocks()', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    sim.malloc(RAW, 16);
    sim.malloc(LIBC, 16);
    expect(sim.allocatedBlocks()).toBe(0);
    expect(sim.stats().cHeap.blocks).toBe(2);
  });
});

describe('realloc', () => {
  it('keeps a block that shrinks by less than 25 % or grows within its class', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(MEM, 100); // 112-byte class
    expect(sim.realloc(MEM, p, 112)).toBe(p);
    expect(sim.realloc(MEM, p, 85)).toBe(p); // 4*85 = 340 > 3*112 = 336
  });

  it('moves a block that shrinks by 25 % or more, or outgrows its class', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(MEM, 100);
    const q = sim.realloc(MEM, p, 84); // 4*84 = 336, not > 336
    expect(q).not.toBe(p);
    expect(sim.describe(q)!.size).toBe(96);
    expect(sim.describe(p)).toBeUndefined();
    const r = sim.realloc(MEM, q, 200);
    expect(sim.describe(r)!.size).toBe(208);
  });

  it('moves a pool block to the C heap above 512 bytes and to a 0-byte C block on realloc to 0', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(OBJECT, 300);
    const big = sim.realloc(OBJECT, p, 600);
    expect(sim.describe(big)).toMatchObject({ inPool: false, size: 600 });
    const q = sim.malloc(OBJECT, 64);
    const z = sim.realloc(OBJECT, q, 0);
    expect(sim.describe(z)).toMatchObject({ inPool: false, size: 0 });
    expect(sim.allocatedBlocks()).toBe(2);
  });

  it('leaves C-heap blocks on the C heap even when they shrink below the threshold', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.malloc(MEM, 1000);
    const q = sim.realloc(MEM, p, 8);
    expect(q).toBe(p);
    expect(sim.describe(q)).toMatchObject({ inPool: false, size: 8 });
  });

  it('behaves as malloc for NULL', () => {
    const sim = new HeapSimulator({ python: '3.11' });
    const p = sim.realloc(OBJECT, 0, 40);
    expect(sim.describe(p)).toMatchObject({ inPool: true, size: 48, family: 'object' });
  });
});

describe('speed and memory', () => {
  it('frees the per-arena block tables when arenas are released', () => {
    const sim = new HeapSimulator({ python: '3.8' });
    const p: number[] = [];
    for (let i = 0; i < 100_000; i++) p.push(sim.malloc(OBJECT, 16));
    expect(sim.pymalloc.chunks.filter(Boolean).length).toBe(sim.stats().arenas.current);
    for (const h of p) sim.free(OBJECT, h);
    expect(sim.pymalloc.chunks.filter(Boolean).length).toBe(0);
  });
});
