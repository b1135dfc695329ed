/**
 * pymalloc's arenas, pools and blocks, replayed step by step as Objects/obmalloc.c does them
 * (pymalloc_alloc, allocate_from_new_pool, pymalloc_pool_extend, pymalloc_free, insert_to_usedpool,
 * insert_to_freepool, new_arena).
 *
 * Everything lives in typed arrays indexed by small integers so that the hot path allocates no
 * JavaScript objects:
 *  - arena a is slot a of CPython's `arenas` vector (same growth from 16 by doubling, same reuse of
 *    slots through the unused_arena_objects list), so arena numbers match the real ones;
 *  - pool ids: 0..NC-1 are the usedpools[] list heads of the NC size classes, pool k of arena a is
 *    NC + a*MAXP + k where k counts pools in address order;
 *  - block j of a pool is the j-th block after the pool header, in address order, so the free-list
 *    LIFO order and "free a, then malloc the same size, get a back" are exactly CPython's;
 *  - a block handle (the simulated pointer) is (a*MAXP + k) * 1024 + j + 1, never 0 (NULL).
 *
 * Per-block arrays (free-list link, family tag, allocation site) are allocated per arena and dropped
 * when the arena is released, so memory follows the live arenas as it does in CPython.
 */
import { blocksPerPool, type PymallocGeometry } from '../../../allocator-model/src/geometry';

const NIL = -1;
const DUMMY_SIZE_IDX = 0xffff;
const INITIAL_ARENA_OBJECTS = 16;
/** Block index bits in a handle: every supported geometry has at most 1021 blocks per pool. */
const BLOCK_BITS = 10;
const BLOCK_MASK = (1 << BLOCK_BITS) - 1;
/** Keeping handles below 2^31 keeps all handle arithmetic in int32. */
const MAX_POOL_INDEX = 1 << (31 - BLOCK_BITS);
/** Per-arena block arrays kept for reuse so that arena churn (3.8 frees arenas at once) stays cheap. */
const SPARE_CHUNKS = 4;

interface Chunk {
  next: Int32Array;
  tag: Uint8Array;
  site: Int32Array;
}

/** Whether a handle names a live block, a released block, or nothing pymalloc owns. */
export const BLOCK_LIVE = 1;
export const BLOCK_FREE = 2;
export const BLOCK_FOREIGN = 0;

export class Pymalloc {
  readonly g: PymallocGeometry;
  readonly nClasses: number;
  readonly maxPools: number;
  readonly poolShift: number;
  readonly maxBlocks: number;
  readonly shift: number;
  readonly threshold: number;
  readonly misaligned: boolean;
  /** NUMBLOCKS per class index. */
  readonly numBlocks: Int32Array;

  // pools (including the NC list heads at the front)
  pNext: Int32Array;
  pPrev: Int32Array;
  pCount: Int32Array;
  pFree: Int32Array;
  pNextIdx: Int32Array;
  pSz: Int32Array;

  // arenas
  maxArenas = 0;
  aLive = new Uint8Array(0);
  aCarved = new Int32Array(0);
  aNfree = new Int32Array(0);
  aNtotal = new Int32Array(0);
  aFreepools = new Int32Array(0);
  aNext = new Int32Array(0);
  aPrev = new Int32Array(0);
  chunks: (Chunk | null)[] = [];
  private spare: Chunk[] = [];

  unusedArenas = NIL;
  usableArenas = NIL;
  readonly nfp2lasta: Int32Array;

  narenasCurrent = 0;
  ntimesArenaAllocated = 0;
  narenasHighwater = 0;
  /** Block index chosen by allocateFromNewPool, returned this way to avoid allocating a tuple. */
  private lastBlock = 0;

  constructor(g: PymallocGeometry) {
    this.g = g;
    this.nClasses = g.smallRequestThreshold >> g.alignmentShift;
    this.maxPools = g.maxPoolsInArena;
    this.poolShift = Math.log2(this.maxPools);
    if (!Number.isInteger(this.poolShift)) throw new Error('pools per arena must be a power of two');
    this.maxBlocks = Math.floor((g.poolSize - g.poolOverhead) >> g.alignmentShift);
    if (this.maxBlocks > BLOCK_MASK + 1) throw new Error('geometry has more blocks per pool than a handle can address');
    this.shift = g.alignmentShift;
    this.threshold = g.smallRequestThreshold;
    this.misaligned = g.arenaAlignment === 'misaligned';
    this.numBlocks = new Int32Array(this.nClasses);
    for (let c = 0; c < this.nClasses; c++) this.numBlocks[c] = blocksPerPool(g, c);
    const n = this.nClasses;
    this.pNext = new Int32Array(n);
    this.pPrev = new Int32Array(n);
    this.pCount = new Int32Array(n);
    this.pFree = new Int32Array(n);
    this.pNextIdx = new Int32Array(n);
    this.pSz = new Int32Array(n);
    for (let c = 0; c < n; c++) {
      this.pNext[c] = c;
      this.pPrev[c] = c;
    }
    this.nfp2lasta = new Int32Array(this.maxPools + 1).fill(NIL);
  }

  /** Block size in bytes of size class c (INDEX2SIZE). */
  classSize(c: number): number {
    return (c + 1) << this.shift;
  }

  /**
   * pymalloc_alloc: a handle, or 0 when the request is not pymalloc's (0 bytes or above the
   * threshold) and must go to the raw allocator.
   */
  alloc(nbytes: number, tag: number, site: number): number {
    // Written so that NaN and negative sizes (a size_t that wrapped) also go to the raw allocator.
    if (!(nbytes > 0) || nbytes > this.threshold) return 0;
    const c = (nbytes - 1) >> this.shift;
    let pid = this.pNext[c];
    let j: number;
    if (pid !== c) {
      this.pCount[pid]++;
      j = this.pFree[pid];
      const pi = pid - this.nClasses;
      const ch = this.chunks[pi >> this.poolShift]!;
      const base = (pi & (this.maxPools - 1)) * this.maxBlocks;
      const nb = ch.next[base + j];
      this.pFree[pid] = nb;
      if (nb === NIL) this.extend(pid, c, ch, base);
      ch.tag[base + j] = tag;
      ch.site[base + j] = site;
      return pi * (BLOCK_MASK + 1) + j + 1;
    }
    pid = this.allocateFromNewPool(c);
    const pi = pid - this.nClasses;
    const ch = this.chunks[pi >> this.poolShift]!;
    const base = (pi & (this.maxPools - 1)) * this.maxBlocks;
    j = this.lastBlock;
    ch.tag[base + j] = tag;
    ch.site[base + j] = site;
    return pi * (BLOCK_MASK + 1) + j + 1;
  }

  /** pymalloc_pool_extend: carve the next virgin block, or unlink the now full pool. */
  private extend(pid: number, c: number, ch: Chunk, base: number): void {
    const k = this.pNextIdx[pid];
    if (k < this.numBlocks[c]) {
      this.pFree[pid] = k;
      this.pNextIdx[pid] = k + 1;
      ch.next[base + k] = NIL;
      return;
    }
    const next = this.pNext[pid];
    const prev = this.pPrev[pid];
    this.pPrev[next] = prev;
    this.pNext[prev] = next;
  }

  private allocateFromNewPool(c: number): number {
    const nfp = this.nfp2lasta;
    if (this.usableArenas === NIL) {
      const a = this.newArena();
      this.usableArenas = a;
      this.aNext[a] = NIL;
      this.aPrev[a] = NIL;
      nfp[this.aNfree[a]] = a;
    }
    const ua = this.usableArenas;
    const nf = this.aNfree[ua];
    if (nfp[nf] === ua) nfp[nf] = NIL;
    if (nf > 1) nfp[nf - 1] = ua;

    let pid = this.aFreepools[ua];
    if (pid !== NIL) {
      this.aFreepools[ua] = this.pNext[pid];
    } else {
      const k = this.aCarved[ua];
      pid = this.nClasses + ua * this.maxPools + k;
      this.pSz[pid] = DUMMY_SIZE_IDX;
      this.aCarved[ua] = k + 1;
    }
    this.aNfree[ua] = nf - 1;
    if (nf - 1 === 0) {
      // Wholly allocated: the arena leaves usable_arenas.
      const nxt = this.aNext[ua];
      this.usableArenas = nxt;
      if (nxt !== NIL) this.aPrev[nxt] = NIL;
    }

    // Frontlink to the (empty) used list of class c.
    this.pNext[pid] = c;
    this.pPrev[pid] = c;
    this.pNext[c] = pid;
    this.pPrev[c] = pid;
    this.pCount[pid] = 1;
    const pi = pid - this.nClasses;
    const ch = this.chunks[pi >> this.poolShift]!;
    const base = (pi & (this.maxPools - 1)) * this.maxBlocks;
    if (this.pSz[pid] === c) {
      // The pool last held this class: its free list is intact.
      const j = this.pFree[pid];
      this.pFree[pid] = ch.next[base + j];
      this.lastBlock = j;
      return pid;
    }
    this.pSz[pid] = c;
    this.pNextIdx[pid] = 2;
    this.pFree[pid] = 1;
    ch.next[base + 1] = NIL;
    this.lastBlock = 0;
    return pid;
  }

  private newArena(): number {
    if (this.unusedArenas === NIL) this.growArenas();
    const a = this.unusedArenas;
    this.unusedArenas = this.aNext[a];
    if (a * this.maxPools >= MAX_POOL_INDEX) {
      throw new RangeError(`simulated heap exceeds ${MAX_POOL_INDEX / this.maxPools} arenas`);
    }
    this.aLive[a] = 1;
    this.narenasCurrent++;
    this.ntimesArenaAllocated++;
    if (this.narenasCurrent > this.narenasHighwater) this.narenasHighwater = this.narenasCurrent;
    this.aFreepools[a] = NIL;
    this.aCarved[a] = 0;
    const pools = this.misaligned ? this.maxPools - 1 : this.maxPools;
    this.aNfree[a] = pools;
    this.aNtotal[a] = pools;
    this.chunks[a] = this.takeChunk();
    return a;
  }

  private takeChunk(): Chunk {
    const s = this.spare.pop();
    if (s) return s;
    const n = this.maxPools * this.maxBlocks;
    return { next: new Int32Array(n), tag: new Uint8Array(n), site: new Int32Array(n) };
  }

  /** The arena_object vector doubles like CPython's; new slots join the unused list in order. */
  private growArenas(): void {
    const old = this.maxArenas;
    const n = old ? old * 2 : INITIAL_ARENA_OBJECTS;
    const grow32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const live = new Uint8Array(n);
    live.set(this.aLive);
    this.aLive = live;
    this.aCarved = grow32(this.aCarved);
    this.aNfree = grow32(this.aNfree);
    this.aNtotal = grow32(this.aNtotal);
    this.aFreepools = grow32(this.aFreepools);
    this.aNext = grow32(this.aNext);
    this.aPrev = grow32(this.aPrev);
    for (let i = old; i < n; i++) {
      this.aNext[i] = i < n - 1 ? i + 1 : NIL;
      this.chunks.push(null);
    }
    const np = this.nClasses + n * this.maxPools;
    this.pNext = resize(this.pNext, np);
    this.pPrev = resize(this.pPrev, np);
    this.pCount = resize(this.pCount, np);
    this.pFree = resize(this.pFree, np);
    this.pNextIdx = resize(this.pNextIdx, np);
    this.pSz = resize(this.pSz, np);
    this.unusedArenas = old;
    this.maxArenas = n;
  }

  /** Decode a handle: BLOCK_LIVE, BLOCK_FREE (pymalloc's block, already released) or BLOCK_FOREIGN. */
  blockState(h: number): number {
    if (h <= 0) return BLOCK_FOREIGN;
    const x = h - 1;
    const pi = x >>> BLOCK_BITS;
    const j = x & BLOCK_MASK;
    const a = pi >> this.poolShift;
    if (a >= this.maxArenas || this.aLive[a] === 0) return BLOCK_FOREIGN;
    const k = pi & (this.maxPools - 1);
    if (k >= this.aCarved[a]) return BLOCK_FOREIGN;
    const pid = this.nClasses + pi;
    if (this.pCount[pid] === 0) return BLOCK_FREE;
    if (j >= this.numBlocks[this.pSz[pid]]) return BLOCK_FOREIGN;
    return this.chunks[a]!.tag[k * this.maxBlocks + j] === 0 ? BLOCK_FREE : BLOCK_LIVE;
  }

  /** Arena slot, pool (in address order within the arena) and block index of a handle. */
  locate(h: number): { arena: number; pool: number; block: number } {
    const x = h - 1;
    const pi = x >>> BLOCK_BITS;
    return { arena: pi >> this.poolShift, pool: pi & (this.maxPools - 1), block: x & BLOCK_MASK };
  }

  /** Family tag of a live block. */
  tagOf(h: number): number {
    const pi = (h - 1) >>> BLOCK_BITS;
    return this.chunks[pi >> this.poolShift]!.tag[(pi & (this.maxPools - 1)) * this.maxBlocks + ((h - 1) & BLOCK_MASK)];
  }

  /** Allocation site of a live block. */
  siteOf(h: number): number {
    const pi = (h - 1) >>> BLOCK_BITS;
    return this.chunks[pi >> this.poolShift]!.site[(pi & (this.maxPools - 1)) * this.maxBlocks + ((h - 1) & BLOCK_MASK)];
  }

  /** Block size of the pool a handle lies in. */
  blockSizeOf(h: number): number {
    const pi = (h - 1) >>> BLOCK_BITS;
    return this.classSize(this.pSz[this.nClasses + pi]);
  }

  /** Retag a live block (a realloc that keeps the block changes the family on record). */
  retag(h: number, tag: number, site: number): void {
    const x = h - 1;
    const pi = x >>> BLOCK_BITS;
    const ch = this.chunks[pi >> this.poolShift]!;
    const i = (pi & (this.maxPools - 1)) * this.maxBlocks + (x & BLOCK_MASK);
    ch.tag[i] = tag;
    ch.site[i] = site;
  }

  /** pymalloc_free of a block known to be live (check with blockState first). */
  free(h: number): void {
    const x = h - 1;
    const pi = x >>> BLOCK_BITS;
    const j = x & BLOCK_MASK;
    const a = pi >> this.poolShift;
    const ch = this.chunks[a]!;
    const base = (pi & (this.maxPools - 1)) * this.maxBlocks;
    const pid = this.nClasses + pi;
    ch.tag[base + j] = 0;
    const lastfree = this.pFree[pid];
    ch.next[base + j] = lastfree;
    this.pFree[pid] = j;
    const count = --this.pCount[pid];
    if (lastfree === NIL) {
      // The pool was full and on no list: insert_to_usedpool links it at the front of its class's
      // list, so the next allocation of the class reuses this very block.
      const c = this.pSz[pid];
      const next = this.pNext[c];
      const prev = this.pPrev[next];
      this.pNext[pid] = next;
      this.pPrev[pid] = prev;
      this.pPrev[next] = pid;
      this.pNext[prev] = pid;
      return;
    }
    if (count !== 0) return;
    this.insertToFreepool(pid, a);
  }

  private insertToFreepool(pid: number, ao: number): void {
    const next = this.pNext[pid];
    const prev = this.pPrev[pid];
    this.pPrev[next] = prev;
    this.pNext[prev] = next;

    this.pNext[pid] = this.aFreepools[ao];
    this.aFreepools[ao] = pid;
    const nfp = this.nfp2lasta;
    let nf = this.aNfree[ao];
    const lastnf = nfp[nf];
    if (lastnf === ao) {
      const p = this.aPrev[ao];
      nfp[nf] = p !== NIL && this.aNfree[p] === nf ? p : NIL;
    }
    this.aNfree[ao] = ++nf;

    const keepLast = this.g.arenaRelease === 'keep-one-empty';
    if (nf === this.aNtotal[ao] && (!keepLast || this.aNext[ao] !== NIL)) {
      // Case 1: every pool is free: unlink and release the arena.
      const ap = this.aPrev[ao];
      const an = this.aNext[ao];
      if (ap === NIL) this.usableArenas = an;
      else this.aNext[ap] = an;
      if (an !== NIL) this.aPrev[an] = ap;
      this.aNext[ao] = this.unusedArenas;
      this.unusedArenas = ao;
      this.aLive[ao] = 0;
      this.narenasCurrent--;
      // Every block of a released arena is free, so its tags are already zero; links and sites are
      // rewritten when pools are initialised again.
      const ch = this.chunks[ao]!;
      this.chunks[ao] = null;
      if (this.spare.length < SPARE_CHUNKS) this.spare.push(ch);
      return;
    }
    if (nf === 1) {
      // Case 2: the arena had no free pool and was on no list: it goes to the head.
      this.aNext[ao] = this.usableArenas;
      this.aPrev[ao] = NIL;
      if (this.usableArenas !== NIL) this.aPrev[this.usableArenas] = ao;
      this.usableArenas = ao;
      if (nfp[1] === NIL) nfp[1] = ao;
      return;
    }
    if (nfp[nf] === NIL) nfp[nf] = ao;
    if (ao === lastnf) return; // Case 4: still in order.
    // Case 3: slide right, to just after the last arena with the old count.
    const ap = this.aPrev[ao];
    const an = this.aNext[ao];
    if (ap !== NIL) this.aNext[ap] = an;
    else this.usableArenas = an;
    this.aPrev[an] = ap;
    this.aPrev[ao] = lastnf;
    const after = this.aNext[lastnf];
    this.aNext[ao] = after;
    if (after !== NIL) this.aPrev[after] = ao;
    this.aNext[lastnf] = ao;
  }

  /** Arenas in usable_arenas order (most allocated first): for tests and the view. */
  usableOrder(): number[] {
    const out: number[] = [];
    for (let a = this.usableArenas; a !== NIL; a = this.aNext[a]) out.push(a);
    return out;
  }
}

function resize(a: Int32Array, n: number): Int32Array {
  if (a.length >= n) return a;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}
