/**
 * A heap trace extracted from C: the operations the simulator replays, each with the source range of
 * the call that performs it, plus the assumptions made on the way (unknown sizes, loops run once,
 * branches not followed) so the Heap View can say what it simulated.
 */

/** Zero-based, like LSP and the .heaptrace syntax tree. */
export interface Pos {
  line: number;
  character: number;
}

export interface SourceRange {
  start: Pos;
  end: Pos;
}

/** The simulator's four heaps-with-a-family. */
export type SimFamily = 'libc' | 'raw' | 'mem' | 'object';

/**
 * The pointer variable an operation writes or reads, as the trace names it. Objects are shared by
 * every operation on the same block, so renaming one (a wrapper's result assigned in the caller, a
 * block stored into `arr[i]`) renames it everywhere.
 */
export interface TraceName {
  name: string;
  /** null: a plain name; 'i': slot = index of the innermost repeat; a number: a fixed slot. */
  index: null | 'i' | number;
  /** A name made up for a value not yet stored anywhere (`PyMem_Malloc@12`) or a wrapper's local. */
  temp: boolean;
  /** Id of the innermost loop the name was created in (0: none), so `i` keeps its meaning. */
  loop: number;
}

interface OpBase {
  range: SourceRange;
  /** The source text of the call, one line, for lists and hovers. */
  text: string;
}

export interface AllocOp extends OpBase {
  op: 'alloc';
  /** The function the source calls: "PyMem_New", "dup_buffer" (a wrapper). */
  call: string;
  /** The simulated allocator: malloc, calloc, PyMem_Malloc, PyObject_Calloc … */
  api: string;
  family: SimFamily;
  /** calloc-style calls: the element count. */
  count: number | null;
  size: number;
  sizeKnown: boolean;
  target: TraceName;
}

export interface ReallocOp extends OpBase {
  op: 'realloc';
  call: string;
  api: string;
  family: SimFamily;
  size: number;
  sizeKnown: boolean;
  target: TraceName;
  /** null: realloc(NULL, n). */
  source: TraceName | null;
}

export interface FreeOp extends OpBase {
  op: 'free';
  call: string;
  api: string;
  family: SimFamily;
  arg: TraceName;
}

export interface RepeatOp extends OpBase {
  op: 'repeat';
  count: number;
  /** The count came from constant loop bounds (false: the loop was run once). */
  countKnown: boolean;
  body: TraceOp[];
}

export type TraceOp = AllocOp | ReallocOp | FreeOp | RepeatOp;

export type NoteKind = 'size' | 'loop' | 'branch' | 'wrapper' | 'skipped' | 'assumption';

export interface ExtractNote {
  /** One-based line. */
  line: number;
  kind: NoteKind;
  message: string;
}

export interface ExtractedFunction {
  name: string;
  /** Zero-based lines of the definition. */
  startLine: number;
  endLine: number;
  /** Where the name is (for a CodeLens). */
  nameRange: SourceRange;
}

export interface ExtractResult {
  function: ExtractedFunction | null;
  ops: TraceOp[];
  notes: ExtractNote[];
  /** Heap operations the trace performs when run (repeats multiplied out). */
  opCount: number;
  /** Set when nothing could be extracted; says why. */
  error?: string;
}
