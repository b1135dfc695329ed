/**
 * The heap of one CPython process as an extension sees it: pymalloc for the mem and object domains,
 * the C library for libc, raw and pymalloc's fall-back requests, and a family tag on every block so
 * that releases by another family are flagged the way PYTHONMALLOC=debug would.
 *
 * Pointers are integer handles: positive for pymalloc blocks, negative for C-heap blocks, 0 for NULL.
 */
import {
  pymallocGeometryFor,
  DEFAULT_SIMULATED_PYTHON,
  type ArenaAlignment,
  type PointerBits,
  type PymallocGeometry,
} from '../../../allocator-model/src/geometry';
import { CHeap } from './cheap';
import { FAMILY_NAMES, MEM, OBJECT, apiName, usesPymalloc, type Family } from './families';
import {
  doubleFreeVerdict,
  mismatchVerdict,
  unknownPointerVerdict,
  type EventKind,
  type ReleaseEffect,
  type ReleaseOp,
  type Verdict,
} from './outcomes';
import { BLOCK_FREE, BLOCK_LIVE, Pymalloc } from './pymalloc';
import { collectStats, type HeapStats } from './stats';

export interface SimulatorOptions {
  /** CPython version, "3.11" by default. */
  python?: string;
  arenaAlignment?: ArenaAlignment;
  bits?: PointerBits;
  /** A geometry to use instead of looking one up (tests, custom builds). */
  geometry?: PymallocGeometry;
}

export interface HeapEvent {
  /** Ordinal of the operation in the run, from 0. */
  op: number;
  /** The caller's site for the operation (a trace line). */
  site: number;
  kind: EventKind;
  /** The releasing function, e.g. "PyObject_Free". */
  api: string;
  /** Family that allocated the block, when the block is known. */
  allocFamily?: 'libc' | 'raw' | 'mem' | 'object';
  /** Site of the block's allocation (or last reallocation), when known. */
  allocSite?: number;
  /** Whether the block lies in a pymalloc pool (false: C heap). */
  inPool?: boolean;
  /** What PYTHONMALLOC=debug does. */
  debug: string;
  /** What a release build does. */
  release: string;
  effect: ReleaseEffect;
}

export interface BlockInfo {
  handle: number;
  family: 'libc' | 'raw' | 'mem' | 'object';
  site: number;
  inPool: boolean;
  /** Block size for pool blocks, requested size for C-heap blocks. */
  size: number;
  arena?: number;
  pool?: number;
  block?: number;
}

export class HeapSimulator {
  readonly geometry: PymallocGeometry;
  readonly pymalloc: Pymalloc;
  readonly cheap = new CHeap();
  /** raw_allocated_blocks (3.10+) or its equivalent share of _Py_AllocatedBlocks (before 3.10). */
  rawAllocatedBlocks = 0;
  /** Operations performed so far (every malloc, calloc, realloc and free call). */
  ops = 0;
  readonly events: HeapEvent[] = [];

  constructor(opts: SimulatorOptions = {}) {
    this.geometry =
      opts.geometry ??
      pymallocGeometryFor(opts.python ?? DEFAULT_SIMULATED_PYTHON, { arenaAlignment: opts.arenaAlignment, bits: opts.bits });
    this.pymalloc = new Pymalloc(this.geometry);
  }

  malloc(family: Family, nbytes: number, site = 0): number {
    this.ops++;
    return this.allocate(family, nbytes, site);
  }

  calloc(family: Family, nelem: number, elsize: number, site = 0): number {
    this.ops++;
    return this.allocate(family, nelem * elsize, site);
  }

  /** _PyObject_Malloc / _PyObject_Calloc for mem and object; malloc for libc and raw. */
  private allocate(family: Family, nbytes: number, site: number): number {
    if (family === MEM || family === OBJECT) {
      const h = this.pymalloc.alloc(nbytes, family, site);
      if (h !== 0) return h;
      this.rawAllocatedBlocks++;
    }
    return this.cheap.alloc(nbytes, family, site);
  }

  free(family: Family, ptr: number, site = 0): void {
    const op = this.ops++;
    if (ptr === 0) return;
    if (ptr > 0) {
      const state = this.pymalloc.blockState(ptr);
      if (state === BLOCK_LIVE) {
        const owner = this.pymalloc.tagOf(ptr) as Family;
        if (owner !== family) {
          const v = mismatchVerdict(this.geometry, 'free', owner, family, true)!;
          this.record(op, site, 'free', family, v, ptr, true);
          if (v.effect !== 'performed') return;
        }
        this.pymalloc.free(ptr);
        return;
      }
      if (state === BLOCK_FREE) {
        this.record(op, site, 'free', family, doubleFreeVerdict(family, true, 'free'), 0, true);
        return;
      }
      this.record(op, site, 'free', family, unknownPointerVerdict(family, 'free'), 0, false);
      return;
    }
    if (this.cheap.isLive(ptr)) {
      const owner = this.cheap.tagOf(ptr) as Family;
      if (owner !== family) {
        const v = mismatchVerdict(this.geometry, 'free', owner, family, false)!;
        this.record(op, site, 'free', family, v, ptr, false);
        if (v.effect !== 'performed') return;
      }
      // _PyObject_Free hands pointers it does not own to PyMem_RawFree and counts one block less,
      // whoever allocated them.
      if (usesPymalloc(family)) this.rawAllocatedBlocks--;
      this.cheap.free(ptr);
      return;
    }
    const v = this.cheap.wasAllocated(ptr) ? doubleFreeVerdict(family, false, 'free') : unknownPointerVerdict(family, 'free');
    this.record(op, site, 'free', family, v, 0, false);
  }

  /**
   * realloc with pymalloc's rules: a pool block stays when the new size fits its class and shrinking
   * would save less than 25 %; otherwise it moves (to a pool or to the C heap) by malloc, copy, free.
   * C-heap blocks stay on the C heap whatever the new size. A release that a release build would
   * crash on leaves the block where it was and returns it; an invalid pointer yields NULL.
   */
  realloc(family: Family, ptr: number, nbytes: number, site = 0): number {
    if (ptr === 0) return this.malloc(family, nbytes, site);
    const op = this.ops++;
    if (ptr > 0) {
      const state = this.pymalloc.blockState(ptr);
      if (state === BLOCK_LIVE) {
        const owner = this.pymalloc.tagOf(ptr) as Family;
        if (owner !== family) {
          const v = mismatchVerdict(this.geometry, 'realloc', owner, family, true)!;
          this.record(op, site, 'realloc', family, v, ptr, true);
          if (v.effect !== 'performed') return ptr;
        }
        const size = this.pymalloc.blockSizeOf(ptr);
        if (nbytes <= size && 4 * nbytes > 3 * size) {
          this.pymalloc.retag(ptr, family, site);
          return ptr;
        }
        const moved = this.allocate(family, nbytes, site);
        this.pymalloc.free(ptr);
        return moved;
      }
      const v = state === BLOCK_FREE ? doubleFreeVerdict(family, true, 'realloc') : unknownPointerVerdict(family, 'realloc');
      this.record(op, site, 'realloc', family, v, 0, state === BLOCK_FREE);
      return 0;
    }
    if (this.cheap.isLive(ptr)) {
      const owner = this.cheap.tagOf(ptr) as Family;
      if (owner !== family) {
        const v = mismatchVerdict(this.geometry, 'realloc', owner, family, false)!;
        this.record(op, site, 'realloc', family, v, ptr, false);
        if (v.effect !== 'performed') return ptr;
      }
      this.cheap.resize(ptr, nbytes, family, site);
      return ptr;
    }
    const v = this.cheap.wasAllocated(ptr)
      ? doubleFreeVerdict(family, false, 'realloc')
      : unknownPointerVerdict(family, 'realloc');
    this.record(op, site, 'realloc', family, v, 0, false);
    return 0;
  }

  private record(op: number, site: number, kind: ReleaseOp, family: Family, v: Verdict, ptr: number, inPool: boolean): void {
    const e: HeapEvent = {
      op,
      site,
      kind: v.kind,
      api: apiName(family, kind),
      inPool,
      debug: v.debug,
      release: v.release,
      effect: v.effect,
    };
    if (ptr !== 0) {
      const info = this.describe(ptr);
      if (info) {
        e.allocFamily = info.family;
        e.allocSite = info.site;
      }
    }
    this.events.push(e);
  }

  /** What a live pointer is, or undefined for NULL, released or unknown pointers. */
  describe(ptr: number): BlockInfo | undefined {
    if (ptr > 0) {
      if (this.pymalloc.blockState(ptr) !== BLOCK_LIVE) return undefined;
      const p = this.pymalloc;
      return {
        handle: ptr,
        family: FAMILY_NAMES[p.tagOf(ptr) as Family],
        site: p.siteOf(ptr),
        inPool: true,
        size: p.blockSizeOf(ptr),
        ...p.locate(ptr),
      };
    }
    if (ptr < 0 && this.cheap.isLive(ptr)) {
      return {
        handle: ptr,
        family: FAMILY_NAMES[this.cheap.tagOf(ptr) as Family],
        site: this.cheap.siteOf(ptr),
        inPool: false,
        size: this.cheap.sizeOf(ptr),
      };
    }
    return undefined;
  }

  /** sys.getallocatedblocks(). */
  allocatedBlocks(): number {
    let n = this.rawAllocatedBlocks;
    const p = this.pymalloc;
    for (let a = 0; a < p.maxArenas; a++) {
      if (p.aLive[a] === 0) continue;
      const first = p.nClasses + a * p.maxPools;
      for (let k = 0; k < p.aCarved[a]; k++) n += p.pCount[first + k];
    }
    return n;
  }

  /** Everything sys._debugmallocstats() reports for pymalloc, plus sys.getallocatedblocks(). */
  stats(): HeapStats {
    return collectStats(this.pymalloc, this.rawAllocatedBlocks, { blocks: this.cheap.liveBlocks, bytes: this.cheap.liveBytes });
  }
}
