/**
 * A simulation recorded for the Heap View: every heap operation as the block-level changes it made,
 * compact enough for a million operations, so the view can step to any point by applying or undoing
 * changes instead of asking the server again.
 *
 * Encoding (all little-endian typed arrays, base64 on the wire):
 *  - `opLine`   Int32, one per operation: the one-based source line of the call;
 *  - `opCount`  Uint8, one per operation: how many records it produced (0 … 7);
 *  - `records`  Int32 pairs [a, b]; kind = b & 7:
 *      1 BLOCK_ALLOC / 2 BLOCK_FREE: a = handle - 1 = (arena * poolsPerArenaSlot + pool) * 1024 + block,
 *        b = kind | family << 3 | size class << 6 | line << 13 (the block's family and allocating line;
 *        a free record carries the values the block had, so it can be undone);
 *      3 ARENA_NEW / 4 ARENA_FREE: a = arena slot, b = kind | usable pools << 3;
 *      5 C_HEAP: a = change in live C-heap blocks (-1, 0, +1), the byte change is the next entry of `cHeapBytes`;
 *      6 RAW_COUNT: a = change in pymalloc's count of its C-heap fall-backs (sys.getallocatedblocks()).
 *  - `cHeapBytes` Float64, one per C_HEAP record.
 * Everything the view shows (pools, blocks, the _debugmallocstats totals) follows from these.
 */
import type { ArenaAlignment, PymallocGeometry } from '../../../../allocator-model/src/geometry';
import { blocksPerPool } from '../../../../allocator-model/src/geometry';
import type { Family } from '../../simulator/families';
import { HeapSimulator } from '../../simulator/heap';
import { BLOCK_LIVE } from '../../simulator/pymalloc';
import type { HeapStats } from '../../simulator/stats';
import type { Diagnostic, Program } from '../../simulator/heaptrace/ast';
import { executeTrace, type TraceHeap } from '../../simulator/heaptrace/execute';
import { resolveGeometry, type TraceEvent } from '../../simulator/heaptrace/replay';

export const REC_BLOCK_ALLOC = 1;
export const REC_BLOCK_FREE = 2;
export const REC_ARENA_NEW = 3;
export const REC_ARENA_FREE = 4;
export const REC_C_HEAP = 5;
export const REC_RAW_COUNT = 6;
const MAX_LINE = (1 << 19) - 1;

export interface RecordedSnapshot {
  label: string;
  /** One-based line. */
  line: number;
  /** Operations performed when the snapshot was taken. */
  op: number;
  stats: HeapStats;
}

export interface HeapRecording {
  python: string;
  geometry: PymallocGeometry;
  /** Blocks per pool for each size class (NUMBLOCKS), so the view needs no formula. */
  blocksPerPool: number[];
  /** Heap operations recorded. */
  ops: number;
  opLine: string;
  opCount: string;
  records: string;
  cHeapBytes: string;
  snapshots: RecordedSnapshot[];
  events: TraceEvent[];
  /** Statistics after the last recorded operation (for checking the view's own totals). */
  final: HeapStats;
  /** The run stopped before the end of the trace (maxOps). */
  stopped: boolean;
  /** Name-flow diagnostics from running the trace (a pointer overwritten while live, …). */
  diagnostics: Diagnostic[];
}

export interface RecordOptions {
  python?: string;
  arenaAlignment?: ArenaAlignment;
  /** Stop recording after this many operations (default 4,000,000). */
  maxOps?: number;
}

export const DEFAULT_MAX_RECORDED_OPS = 4_000_000;

class Growable<T extends Int32Array | Uint8Array | Float64Array> {
  n = 0;
  constructor(public a: T) {}
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new (this.a.constructor as new (n: number) => T)(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  base64(): string {
    return Buffer.from(this.a.buffer, this.a.byteOffset, this.n * this.a.BYTES_PER_ELEMENT).toString('base64');
  }
}

interface BlockBefore {
  live: boolean;
  word: number;
  arena: number;
  cSize: number;
}

/** The simulator behind the trace executor, writing down what every call changed. */
class RecordingHeap implements TraceHeap {
  readonly sim: HeapSimulator;
  readonly records = new Growable(new Int32Array(1024));
  readonly opLine = new Growable(new Int32Array(1024));
  readonly opCount = new Growable(new Uint8Array(1024));
  readonly cBytes = new Growable(new Float64Array(64));
  private readonly poolShift: number;
  private readonly nClasses: number;

  constructor(geometry: PymallocGeometry) {
    this.sim = new HeapSimulator({ geometry });
    this.poolShift = this.sim.pymalloc.poolShift;
    this.nClasses = this.sim.pymalloc.nClasses;
  }

  get ops(): number {
    return this.sim.ops;
  }

  malloc(family: Family, nbytes: number, site: number): number {
    const m = this.mark();
    const h = this.sim.malloc(family, nbytes, site);
    this.allocated(h, nbytes, m);
    this.finish(m, site);
    return h;
  }

  calloc(family: Family, nelem: number, elsize: number, site: number): number {
    const m = this.mark();
    const h = this.sim.calloc(family, nelem, elsize, site);
    this.allocated(h, nelem * elsize, m);
    this.finish(m, site);
    return h;
  }

  free(family: Family, ptr: number, site: number): void {
    const m = this.mark();
    const before = this.before(ptr);
    this.sim.free(family, ptr, site);
    this.released(ptr, before, m);
    this.finish(m, site);
  }

  realloc(family: Family, ptr: number, nbytes: number, site: number): number {
    const m = this.mark();
    if (ptr === 0) {
      const h = this.sim.realloc(family, ptr, nbytes, site);
      this.allocated(h, nbytes, m);
      this.finish(m, site);
      return h;
    }
    const before = this.before(ptr);
    const h = this.sim.realloc(family, ptr, nbytes, site);
    if (h === ptr) {
      if (ptr > 0 && before.live) {
        const now = this.blockWord(ptr, site);
        if (now !== before.word) {
          this.rec(ptr - 1, (before.word & ~7) | REC_BLOCK_FREE);
          this.rec(ptr - 1, now);
        }
      } else if (ptr < 0 && before.live) {
        const size = this.sim.cheap.sizeOf(ptr);
        if (size !== before.cSize) this.cheap(0, size - before.cSize);
      }
    } else if (h !== 0) {
      this.allocated(h, nbytes, m);
      this.released(ptr, before, m);
    }
    this.finish(m, site);
    return h;
  }

  private mark(): { records: number; arenas: number; current: number; raw: number } {
    const p = this.sim.pymalloc;
    return { records: this.records.n, arenas: p.ntimesArenaAllocated, current: p.narenasCurrent, raw: this.sim.rawAllocatedBlocks };
  }

  private before(ptr: number): BlockBefore {
    const p = this.sim.pymalloc;
    if (ptr > 0 && p.blockState(ptr) === BLOCK_LIVE) {
      return { live: true, word: this.blockWord(ptr, p.siteOf(ptr)), arena: ((ptr - 1) >>> 10) >> this.poolShift, cSize: 0 };
    }
    if (ptr < 0 && this.sim.cheap.isLive(ptr)) return { live: true, word: 0, arena: -1, cSize: this.sim.cheap.sizeOf(ptr) };
    return { live: false, word: 0, arena: -1, cSize: 0 };
  }

  /** The b word of a block record, from the block's current family and class and the given line. */
  private blockWord(h: number, line: number): number {
    const p = this.sim.pymalloc;
    const pi = (h - 1) >>> 10;
    const cls = p.pSz[this.nClasses + pi];
    const tag = p.tagOf(h);
    return REC_BLOCK_ALLOC | (tag << 3) | (cls << 6) | (Math.min(Math.max(line, 0), MAX_LINE) << 13);
  }

  private rec(a: number, b: number): void {
    this.records.push(a);
    this.records.push(b);
  }

  private cheap(blocks: number, bytes: number): void {
    this.rec(blocks, REC_C_HEAP);
    this.cBytes.push(bytes);
  }

  private allocated(h: number, nbytes: number, m: { arenas: number }): void {
    const p = this.sim.pymalloc;
    if (h > 0) {
      if (p.ntimesArenaAllocated > m.arenas) {
        const a = ((h - 1) >>> 10) >> this.poolShift;
        this.rec(a, REC_ARENA_NEW | (p.aNtotal[a] << 3));
      }
      this.rec(h - 1, this.blockWord(h, p.siteOf(h)));
    } else if (h < 0) {
      this.cheap(1, nbytes);
    }
  }

  private released(ptr: number, before: BlockBefore, m: { arenas: number; current: number }): void {
    if (!before.live) return;
    const p = this.sim.pymalloc;
    if (ptr > 0) {
      if (p.blockState(ptr) === BLOCK_LIVE) return; // the release build crashed: nothing changed
      this.rec(ptr - 1, (before.word & ~7) | REC_BLOCK_FREE);
      const opened = p.ntimesArenaAllocated - m.arenas;
      if (p.narenasCurrent < m.current + opened) this.rec(before.arena, REC_ARENA_FREE | (p.aNtotal[before.arena] << 3));
    } else if (!this.sim.cheap.isLive(ptr)) {
      this.cheap(-1, -before.cSize);
    }
  }

  private finish(m: { records: number; raw: number }, site: number): void {
    const raw = this.sim.rawAllocatedBlocks - m.raw;
    if (raw !== 0) this.rec(raw, REC_RAW_COUNT);
    this.opCount.push((this.records.n - m.records) / 2);
    this.opLine.push(site);
  }
}

/** Runs a trace program through the simulator and records it for the Heap View. */
export function recordSimulation(program: Program, opts: RecordOptions = {}): HeapRecording {
  const geometry = resolveGeometry(program, opts);
  const heap = new RecordingHeap(geometry);
  const sim = heap.sim;
  const events: TraceEvent[] = [];
  const snapshots: RecordedSnapshot[] = [];
  const res = executeTrace(
    program,
    heap,
    {
      afterCall(call) {
        while (events.length < sim.events.length) events.push({ ...sim.events[events.length], line: call.line, name: call.name() });
      },
      snapshot(label, line) {
        const s: RecordedSnapshot = { label, line, op: sim.ops, stats: sim.stats() };
        const prev = snapshots.findIndex((x) => x.line === line);
        if (prev >= 0) snapshots[prev] = s;
        else snapshots.push(s);
      },
    },
    { maxOps: opts.maxOps ?? DEFAULT_MAX_RECORDED_OPS },
  );
  const perClass: number[] = [];
  for (let c = 0; c < sim.pymalloc.nClasses; c++) perClass.push(blocksPerPool(geometry, c));
  return {
    python: geometry.python,
    geometry,
    blocksPerPool: perClass,
    ops: sim.ops,
    opLine: heap.opLine.base64(),
    opCount: heap.opCount.base64(),
    records: heap.records.base64(),
    cHeapBytes: heap.cBytes.base64(),
    snapshots,
    events,
    final: sim.stats(),
    stopped: res.stopped,
    diagnostics: res.diagnostics,
  };
}
