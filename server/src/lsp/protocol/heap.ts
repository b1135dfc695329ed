/**
 * The wire contract of the Heap View: `heaplint/simulateHeap` and the commands around it. The client
 * (client/src/heap-view) and the server (server/src/lsp/simulate-heap.ts) both import this file; the
 * webview page (client/media/heap-view) receives `SimulateHeapResult` unchanged through postMessage.
 */
import { RequestType } from 'vscode-languageserver-protocol';
import type { PymallocGeometry } from '../../../../allocator-model/src/geometry';
import type { HeapStats } from '../../simulator/stats';

export interface WirePosition {
  line: number;
  character: number;
}

export interface SimulateHeapParams {
  /** A C document (the function at `position` is simulated) or a .heaptrace document (the whole trace). */
  uri: string;
  /** Zero-based; for C documents. Without it the first function of the file that allocates is used. */
  position?: WirePosition;
  /** Bytes assumed for every allocation whose size is not a constant (C only; default 64). */
  defaultSize?: number;
  /** CPython version to simulate, e.g. "3.9"; default: the trace's `python` line, else the project's version. */
  python?: string;
  /** 'misaligned': every arena loses one pool to alignment (see docs/simulator.md). */
  arenaAlignment?: 'aligned' | 'misaligned';
}

/** One statement of the trace, in source order (a repeat's body follows it, one level deeper). */
export interface HeapTraceOp {
  /** One-based line in the document the request was about. */
  line: number;
  /** Nesting inside repeats (0 at top level). */
  depth: number;
  kind: 'alloc' | 'realloc' | 'free' | 'repeat' | 'snapshot';
  /** The simulated allocator function (PyMem_Malloc, free …); empty for repeat and snapshot. */
  api: string;
  family?: 'libc' | 'raw' | 'mem' | 'object';
  /** The pointer name written or released, as the trace spells it (a[i], self->buf). */
  name?: string;
  size?: number;
  count?: number;
  /** false: the size is the default because the C expression is not constant. */
  sizeKnown?: boolean;
  /** repeat: how many times; snapshot: its label. */
  repeat?: number;
  label?: string;
  /** The source text of the statement or call. */
  text: string;
}

export interface HeapNote {
  /** One-based line. */
  line: number;
  kind: 'size' | 'loop' | 'branch' | 'wrapper' | 'skipped' | 'assumption' | 'trace';
  message: string;
}

export interface HeapSnapshot {
  label: string;
  line: number;
  /** Operations performed when the snapshot was taken. */
  op: number;
  stats: HeapStats;
}

export interface HeapEventInfo {
  /** Ordinal of the operation (0-based): the event is visible once the view has performed op + 1 operations. */
  op: number;
  /** One-based line of the releasing call. */
  line: number;
  kind: 'family-mismatch' | 'double-free' | 'unknown-pointer';
  api: string;
  name: string | null;
  allocFamily?: 'libc' | 'raw' | 'mem' | 'object';
  /** One-based line that allocated the block. */
  allocLine?: number;
  inPool?: boolean;
  /** What PYTHONMALLOC=debug prints (the "bad ID: Allocated using API …" message). */
  debug: string;
  /** What a release build does. */
  release: string;
  effect: 'performed' | 'crash' | 'skipped';
}

/** What the view steps through; see server/src/engine/extract/recording.ts for the encoding. */
export interface HeapSteps {
  ops: number;
  /** base64 Int32Array: one-based line of each operation. */
  opLine: string;
  /** base64 Uint8Array: records per operation. */
  opCount: string;
  /** base64 Int32Array pairs. */
  records: string;
  /** base64 Float64Array: byte change of each C-heap record. */
  cHeapBytes: string;
}

export interface SimulateHeapResult {
  /** The document simulated. */
  uri: string;
  source: 'c-function' | 'heaptrace';
  /** "spam_fill() in spammodule.c", "arena-churn.heaptrace". */
  title: string;
  /** The simulated function, for C documents. */
  function?: { name: string; startLine: number; endLine: number };
  python: string;
  geometry: PymallocGeometry;
  /** NUMBLOCKS per size class. */
  blocksPerPool: number[];
  /** The default size used for non-constant sizes (C only). */
  defaultSize?: number;
  /** The trace's statements (for C, the calls extracted), in source order. */
  ops: HeapTraceOp[];
  steps: HeapSteps;
  snapshots: HeapSnapshot[];
  events: HeapEventInfo[];
  /** Statistics after the last operation (equal to what the view computes at the last step). */
  final: HeapStats;
  /** One-based line number → text of that source line, for every line an operation or event names. */
  sourceLines: Record<number, string>;
  /** Assumptions made while extracting from C, and name-flow warnings from running the trace. */
  notes: HeapNote[];
  /** The trace as .heaptrace text (C only), for "Open as trace". */
  heaptrace?: string;
  /** The run stopped early (more operations than the server records). */
  truncated: boolean;
  /** Nothing could be simulated: why (the other fields are empty). */
  error?: string;
  /** CPython versions the view offers. */
  pythonVersions: string[];
}

/**
 * `heaplint/simulateHeap`, client → server: extract the heap trace of the C function at a position
 * (or take a .heaptrace document), run it through the pymalloc simulator, and return everything the
 * Heap View draws. Sent by "HeapLint: Simulate Heap for Current Function", "HeapLint: Simulate Heap
 * Trace File", the "Simulate heap" CodeLens, and by the view itself when the user changes the
 * default size or the CPython version.
 */
export namespace SimulateHeapRequest {
  export const method = 'heaplint/simulateHeap';
  export const type = new RequestType<SimulateHeapParams, SimulateHeapResult, void>(method);
}

/** Commands of the Heap View (client side; the CodeLenses invoke them with arguments). */
export namespace HeapCommands {
  /** Arguments (optional): `[uri: string, position: WirePosition]`; default: the active editor and cursor. */
  export const simulateFunction = 'heaplint.simulateHeapForFunction';
  /** Arguments (optional): `[uri: string]`; default: the active .heaptrace editor. */
  export const simulateTraceFile = 'heaplint.simulateHeapTraceFile';
}
