/**
 * Program -> simulator run: snapshots with the statistics _debugmallocstats would print, the flagged
 * events with their lines, and the heap state after any line (for hovers and the Heap View).
 */
import {
  DEFAULT_SIMULATED_PYTHON,
  UnknownPythonVersionError,
  geometryFor,
  type ArenaAlignment,
  type PointerBits,
  type PymallocGeometry,
} from '../../../../allocator-model/src/geometry';
import { HeapSimulator, type HeapEvent } from '../heap';
import type { HeapStats } from '../stats';
import type { Diagnostic, Program, Range } from './ast';
import { CountingHeap, executeTrace, type ExecutedOp } from './execute';
import { parseHeaptrace } from './parser';

export interface TraceEvent extends HeapEvent {
  /** One-based line of the operation. */
  line: number;
  /** The trace name released or reallocated, e.g. "a[3]". */
  name: string | null;
}

export interface TraceSnapshot {
  label: string;
  /** One-based line of the snapshot statement. */
  line: number;
  stats: HeapStats;
  /** Events flagged from the start of the trace up to this snapshot. */
  events: TraceEvent[];
  /** How many times the snapshot line ran (inside a repeat the state is the one after the last run). */
  runs: number;
}

export interface ReplayOptions {
  /** Overrides the trace's own `python` line. */
  python?: string;
  arenaAlignment?: ArenaAlignment;
  bits?: PointerBits;
  /** Stop after this many heap operations (the Heap View's step slider). */
  stopAfterOps?: number;
  /** Give up after this many operations (a warning diagnostic says so). */
  maxOps?: number;
  /** Every heap call as executed. */
  onOp?: (op: ExecutedOp) => void;
}

export interface ReplayResult {
  python: string;
  geometry: PymallocGeometry;
  /** One per snapshot line in order of first execution; an "end" snapshot when the trace has none. */
  snapshots: TraceSnapshot[];
  /** Every flagged event. */
  events: TraceEvent[];
  /** The state at the end of the run. */
  final: HeapStats;
  /** Name-flow diagnostics found while running (parse diagnostics are not repeated here). */
  diagnostics: Diagnostic[];
  ops: number;
  /** The run ended early (stopAfterOps or maxOps). */
  stopped: boolean;
}

/** The version cannot be simulated: unknown, or a free-threaded (mimalloc) build. */
export class TraceVersionError extends Error {
  constructor(
    message: string,
    readonly range: Range | null,
  ) {
    super(message);
    this.name = 'TraceVersionError';
  }
}

/** Geometry for a program: option first, then the trace's `python` line, then the default. */
export function resolveGeometry(program: Program, opts: Pick<ReplayOptions, 'python' | 'arenaAlignment' | 'bits'> = {}): PymallocGeometry {
  const fromTrace = opts.python === undefined && program.python !== null;
  const version = opts.python ?? program.python?.version ?? DEFAULT_SIMULATED_PYTHON;
  const range = fromTrace ? program.python!.range : null;
  let g;
  try {
    g = geometryFor(version, { arenaAlignment: opts.arenaAlignment, bits: opts.bits });
  } catch (e) {
    if (e instanceof UnknownPythonVersionError) throw new TraceVersionError(e.message, range);
    throw e;
  }
  if (g.kind !== 'pymalloc') {
    throw new TraceVersionError(
      `CPython ${g.python} is a free-threaded build using mimalloc; heaplint simulates pymalloc only ` +
        `(mimalloc's heap layout is not simulated, see docs/simulator.md)`,
      range,
    );
  }
  return g;
}

export function replayProgram(program: Program, opts: ReplayOptions = {}): ReplayResult {
  const geometry = resolveGeometry(program, opts);
  const sim = new HeapSimulator({ geometry });
  const events: TraceEvent[] = [];
  const snapshots: TraceSnapshot[] = [];
  const byLine = new Map<number, TraceSnapshot>();
  const res = executeTrace(
    program,
    sim,
    {
      afterCall(call) {
        while (events.length < sim.events.length) events.push({ ...sim.events[events.length], line: call.line, name: call.name() });
      },
      snapshot(label, line) {
        const snap: TraceSnapshot = { label, line, stats: sim.stats(), events: events.slice(), runs: 1 };
        const prev = byLine.get(line);
        if (prev) {
          prev.stats = snap.stats;
          prev.events = snap.events;
          prev.runs++;
        } else {
          byLine.set(line, snap);
          snapshots.push(snap);
        }
      },
      op: opts.onOp,
    },
    { stopAfterOps: opts.stopAfterOps, maxOps: opts.maxOps },
  );
  const final = sim.stats();
  if (snapshots.length === 0 && !hasSnapshot(program)) {
    snapshots.push({ label: 'end', line: Math.max(program.lineCount, 1), stats: final, events: events.slice(), runs: 1 });
  }
  return {
    python: geometry.python,
    geometry,
    snapshots,
    events,
    final,
    diagnostics: res.diagnostics,
    ops: sim.ops,
    stopped: res.stopped,
  };
}

function hasSnapshot(program: Program): boolean {
  const walk = (body: Program['body']): boolean =>
    body.some((s) => s.type === 'snapshot' || (s.type === 'repeat' && walk(s.body)));
  return walk(program.body);
}

export interface LineState {
  /** One-based line asked about. */
  line: number;
  stats: HeapStats;
  /** Events flagged up to and including that line's last run. */
  events: TraceEvent[];
  /** Heap operations performed up to that point. */
  ops: number;
}

/**
 * The heap after the last run of the statement on `line` (one-based), or undefined when no statement
 * on that line runs. A first pass finds how many operations had run by then; a second pass stops there.
 */
export function heapStateAfterLine(program: Program, line: number, opts: Omit<ReplayOptions, 'stopAfterOps' | 'onOp'> = {}): LineState | undefined {
  const geometry = resolveGeometry(program, opts);
  const counter = new CountingHeap();
  let opsAtLine = -1;
  executeTrace(
    program,
    counter,
    {
      statementDone(l) {
        if (l === line) opsAtLine = counter.ops;
      },
    },
    { maxOps: opts.maxOps },
  );
  if (opsAtLine < 0) return undefined;
  const sim = new HeapSimulator({ geometry });
  const events: TraceEvent[] = [];
  if (opsAtLine > 0) {
    executeTrace(
      program,
      sim,
      {
        afterCall(call) {
          while (events.length < sim.events.length) events.push({ ...sim.events[events.length], line: call.line, name: call.name() });
        },
      },
      { stopAfterOps: opsAtLine },
    );
  }
  return { line, stats: sim.stats(), events, ops: sim.ops };
}

/** Parse diagnostics plus the name-flow diagnostics, without simulating the heap. */
export function checkHeaptrace(text: string, opts: { maxOps?: number } = {}): { program: Program; diagnostics: Diagnostic[] } {
  const { program, diagnostics } = parseHeaptrace(text);
  const res = executeTrace(program, new CountingHeap(), {}, { maxOps: opts.maxOps ?? 5_000_000 });
  const all = [...diagnostics, ...res.diagnostics];
  all.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { program, diagnostics: all };
}
