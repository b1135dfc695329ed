/*
 * The Heap View's model of the heap at any step of a recorded simulation (no DOM here, so the tests
 * can load it in Node too).
 *
 * The server sends every operation as the block-level changes it made (see
 * server/src/engine/extract/recording.ts for the encoding). Moving forward applies changes, moving
 * back undoes them; a jump across the whole of a million-operation trace touches each change once.
 * Memory follows the live pools, like the simulator's.
 */
(function (root, factory) {
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.HeapModel = api;
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const BLOCK_ALLOC = 1;
  const BLOCK_FREE = 2;
  const ARENA_NEW = 3;
  const ARENA_FREE = 4;
  const C_HEAP = 5;
  const RAW_COUNT = 6;
  const FAMILIES = ['', 'libc', 'raw', 'mem', 'object'];

  function decode(b64, Type) {
    if (!b64) return new Type(0);
    const bin = atob(b64);
    const n = bin.length;
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = bin.charCodeAt(i);
    return new Type(bytes.buffer, 0, n / Type.BYTES_PER_ELEMENT);
  }

  /** One pool: its size class, live-block count and, per block, family (0: free) and allocating line. */
  function Pool(cls, nb) {
    this.cls = cls;
    this.count = 0;
    this.fam = new Uint8Array(nb);
    this.site = new Int32Array(nb);
  }

  function Arena(ntotal, maxPools) {
    this.ntotal = ntotal;
    this.used = 0;
    this.pools = new Array(maxPools).fill(null);
  }

  class HeapModel {
    /** @param result a SimulateHeapResult (server/src/lsp/protocol/heap.ts) */
    constructor(result) {
      const g = result.geometry;
      this.g = g;
      this.maxPools = g.maxPoolsInArena;
      this.poolShift = Math.round(Math.log2(this.maxPools));
      this.nClasses = g.smallRequestThreshold >> g.alignmentShift;
      this.nb = Int32Array.from(result.blocksPerPool);
      this.ops = result.steps.ops;
      this.opLine = decode(result.steps.opLine, Int32Array);
      const counts = decode(result.steps.opCount, Uint8Array);
      this.rec = decode(result.steps.records, Int32Array);
      this.cBytes = decode(result.steps.cHeapBytes, Float64Array);
      this.opStart = new Uint32Array(this.ops + 1);
      for (let i = 0; i < this.ops; i++) this.opStart[i + 1] = this.opStart[i] + counts[i];

      // High-water mark of arenas: a maximum, so not undoable; computed once by op.
      this.hwOps = [];
      this.hwValues = [];
      let cur = 0;
      let hw = 0;
      for (let op = 0; op < this.ops; op++) {
        for (let r = this.opStart[op]; r < this.opStart[op + 1]; r++) {
          const kind = this.rec[2 * r + 1] & 7;
          if (kind === ARENA_NEW) cur++;
          else if (kind === ARENA_FREE) cur--;
          if (cur > hw) {
            hw = cur;
            this.hwOps.push(op + 1);
            this.hwValues.push(hw);
          }
        }
      }

      this.step = 0;
      this.rIndex = 0;
      this.cIndex = 0;
      this.arenas = [];
      this.classPools = new Float64Array(this.nClasses);
      this.classBlocks = new Float64Array(this.nClasses);
      this.arenasCurrent = 0;
      this.arenasTotal = 0;
      this.rawCount = 0;
      this.cHeapBlocks = 0;
      this.cHeapBytes = 0;
      /** Bumped on every change, so a view can tell whether to redraw. */
      this.version = 0;
    }

    /** One-based source line of the operation that produced step s (s >= 1), or 0. */
    lineAt(s) {
      return s >= 1 && s <= this.ops ? this.opLine[s - 1] : 0;
    }

    /** Moves to the state after `target` operations. */
    seek(target) {
      target = Math.max(0, Math.min(this.ops, Math.round(target)));
      if (target === this.step) return;
      const end = this.opStart[target];
      if (target > this.step) {
        for (let r = this.rIndex; r < end; r++) this.apply(r, 1);
      } else {
        for (let r = this.rIndex - 1; r >= end; r--) this.apply(r, -1);
      }
      this.rIndex = end;
      this.step = target;
      this.version++;
    }

    /** Applies record r (dir 1) or undoes it (dir -1). */
    apply(r, dir) {
      const a = this.rec[2 * r];
      const b = this.rec[2 * r + 1];
      let kind = b & 7;
      if (dir < 0) {
        if (kind === BLOCK_ALLOC) kind = BLOCK_FREE;
        else if (kind === BLOCK_FREE) kind = BLOCK_ALLOC;
      }
      switch (kind) {
        case BLOCK_ALLOC:
        case BLOCK_FREE: {
          const pi = a >>> 10;
          const j = a & 1023;
          const arena = this.arenas[pi >> this.poolShift];
          const k = pi & (this.maxPools - 1);
          const cls = (b >>> 6) & 127;
          let pool = arena.pools[k];
          if (kind === BLOCK_ALLOC) {
            if (!pool || (pool.cls !== cls && pool.count === 0)) pool = arena.pools[k] = new Pool(cls, this.nb[cls]);
            if (pool.count === 0) {
              arena.used++;
              this.classPools[cls]++;
            }
            pool.count++;
            pool.fam[j] = (b >>> 3) & 7;
            pool.site[j] = b >>> 13;
            this.classBlocks[cls]++;
          } else {
            pool.fam[j] = 0;
            pool.count--;
            this.classBlocks[cls]--;
            if (pool.count === 0) {
              arena.used--;
              this.classPools[cls]--;
            }
          }
          break;
        }
        case ARENA_NEW:
          if (dir > 0) {
            this.arenas[a] = new Arena(b >>> 3, this.maxPools);
            this.arenasCurrent++;
            this.arenasTotal++;
          } else {
            this.arenas[a] = undefined;
            this.arenasCurrent--;
            this.arenasTotal--;
          }
          break;
        case ARENA_FREE:
          if (dir > 0) {
            this.arenas[a] = undefined;
            this.arenasCurrent--;
          } else {
            this.arenas[a] = new Arena(b >>> 3, this.maxPools);
            this.arenasCurrent++;
          }
          break;
        case C_HEAP: {
          const bytes = dir > 0 ? this.cBytes[this.cIndex++] : -this.cBytes[--this.cIndex];
          this.cHeapBlocks += dir * a;
          this.cHeapBytes += bytes;
          break;
        }
        case RAW_COUNT:
          this.rawCount += dir * a;
          break;
      }
    }

    highwater() {
      let lo = 0;
      let hi = this.hwOps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.hwOps[mid] <= this.step) lo = mid + 1;
        else hi = mid;
      }
      return lo === 0 ? 0 : this.hwValues[lo - 1];
    }

    classSize(c) {
      return (c + 1) << this.g.alignmentShift;
    }

    /** The figures of sys._debugmallocstats() at the current step (names as in HeapStats). */
    stats() {
      const g = this.g;
      const classes = [];
      let allocated = 0;
      let available = 0;
      let headers = 0;
      let quantization = 0;
      let blocks = 0;
      for (let c = 0; c < this.nClasses; c++) {
        const pools = this.classPools[c];
        if (pools === 0) continue;
        const size = this.classSize(c);
        const used = this.classBlocks[c];
        const avail = pools * this.nb[c] - used;
        classes.push({ index: c, size, pools, blocks: used, avail });
        allocated += used * size;
        available += avail * size;
        headers += pools * g.poolOverhead;
        quantization += pools * ((g.poolSize - g.poolOverhead) % size);
        blocks += used;
      }
      let unused = 0;
      let alignment = 0;
      for (const a of this.arenas) {
        if (!a) continue;
        unused += a.ntotal - a.used;
        if (a.ntotal < this.maxPools) alignment += g.poolSize;
      }
      return {
        classes,
        arenas: {
          allocatedTotal: this.arenasTotal,
          reclaimed: this.arenasTotal - this.arenasCurrent,
          highwater: this.highwater(),
          current: this.arenasCurrent,
        },
        unusedPools: unused,
        bytes: {
          arenas: this.arenasCurrent * g.arenaSize,
          inAllocatedBlocks: allocated,
          inAvailableBlocks: available,
          unusedPools: unused * g.poolSize,
          poolHeaders: headers,
          quantization,
          arenaAlignment: alignment,
        },
        allocatedBlocks: blocks + this.rawCount,
        cHeap: { blocks: this.cHeapBlocks, bytes: this.cHeapBytes },
      };
    }

    /** Live arena slots in slot order, each with its pools (null: never used or emptied). */
    liveArenas() {
      const out = [];
      this.arenas.forEach((a, slot) => {
        if (a) out.push({ slot, arena: a });
      });
      return out;
    }

    /** What is at (arena slot, pool, block): undefined when free or not laid out. */
    blockAt(slot, k, j) {
      const a = this.arenas[slot];
      const p = a && a.pools[k];
      if (!p || p.count === 0 || j >= p.fam.length || p.fam[j] === 0) return undefined;
      return { family: FAMILIES[p.fam[j]], line: p.site[j], size: this.classSize(p.cls), cls: p.cls };
    }
  }

  return { HeapModel, FAMILIES, decode };
});
