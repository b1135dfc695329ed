/**
 * Runs a parsed trace against a heap: resolves names and slots, tracks what every name holds (for
 * the name-flow diagnostics), and calls the heap for every allocation and release.
 *
 * The same executor serves the diagnostics (with a heap that only counts) and the replay (with the
 * simulator), so both agree on what each line does.
 */
import type { ApiKind, Family } from '../families';
import type { Diagnostic, DiagnosticCode, Program, Range, Ref, Stmt } from './ast';

/** The calls the executor needs from a heap. */
export interface TraceHeap {
  malloc(family: Family, nbytes: number, site: number): number;
  calloc(family: Family, nelem: number, elsize: number, site: number): number;
  realloc(family: Family, ptr: number, nbytes: number, site: number): number;
  free(family: Family, ptr: number, site: number): void;
  readonly ops: number;
}

/** One heap call as executed, for callers that re-play the trace elsewhere (the fidelity tests). */
export interface ExecutedOp {
  kind: ApiKind;
  family: Family;
  /** One-based line. */
  line: number;
  nelem: number;
  size: number;
  /** Pointer passed in (realloc, free); 0 for NULL or none. */
  input: number;
  /** Pointer returned (malloc, calloc, realloc); 0 otherwise. */
  output: number;
}

export interface ExecuteHooks {
  /** Called at every `snapshot` line; `line` is one-based. */
  snapshot?(label: string, line: number): void;
  /** Called after every heap call. */
  op?(op: ExecutedOp): void;
  /**
   * Called after each heap call so events can be attributed. `call` is reused from call to call;
   * `call.name()` spells the name involved ("a[3]") only when asked, since most calls need none.
   */
  afterCall?(call: CallInfo): void;
  /** Called after every statement that touches the heap or takes a snapshot (one-based line). */
  statementDone?(line: number): void;
}

export interface CallInfo {
  /** One-based line of the call. */
  line: number;
  name(): string | null;
}

export interface ExecuteOptions {
  /** Stop once the heap has performed this many operations. */
  stopAfterOps?: number;
  /** Refuse to run more operations than this (a diagnostic says so). */
  maxOps?: number;
}

export interface ExecuteResult {
  diagnostics: Diagnostic[];
  /** The run stopped at stopAfterOps or maxOps before the end of the trace. */
  stopped: boolean;
}

const UNASSIGNED = 0;
const LIVE = 1;
const RELEASED = 2;
const NULLPTR = 3;

/** What one name (or every slot of one array name) holds. */
class NameVar {
  ptr = new Float64Array(1);
  state = new Uint8Array(1);
  /** One-based line of the last assignment or release of each slot. */
  line = new Int32Array(1);
  constructor(
    readonly name: string,
    readonly isArray: boolean,
  ) {}
  ensure(slot: number): void {
    if (slot < this.ptr.length) return;
    let n = this.ptr.length;
    while (n <= slot) n *= 2;
    const p = new Float64Array(n);
    p.set(this.ptr);
    this.ptr = p;
    const s = new Uint8Array(n);
    s.set(this.state);
    this.state = s;
    const l = new Int32Array(n);
    l.set(this.line);
    this.line = l;
  }
}

interface Slot {
  v: NameVar;
  index: null | 'i' | number;
  ref: Ref;
}

type Instr =
  | { op: 'alloc'; family: Family; calloc: boolean; count: number; size: number; target: Slot; line: number; range: Range }
  | { op: 'realloc'; family: Family; target: Slot; source: Slot | null; size: number; line: number; range: Range }
  | { op: 'free'; family: Family; arg: Slot | null; line: number; range: Range }
  | { op: 'repeat'; count: number; body: Instr[]; line: number }
  | { op: 'snapshot'; label: string; line: number };

class Stop extends Error {}

export function executeTrace(program: Program, heap: TraceHeap, hooks: ExecuteHooks = {}, opts: ExecuteOptions = {}): ExecuteResult {
  return new Executor(heap, hooks, opts).run(program);
}

class Executor {
  private names = new Map<string, NameVar>();
  private diags: Diagnostic[] = [];
  private seen = new Set<string>();
  private readonly stopAt: number;
  private readonly maxOps: number;

  constructor(
    private heap: TraceHeap,
    private hooks: ExecuteHooks,
    opts: ExecuteOptions,
  ) {
    this.stopAt = opts.stopAfterOps ?? Infinity;
    this.maxOps = opts.maxOps ?? Infinity;
  }

  run(program: Program): ExecuteResult {
    const code = this.compile(program.body, 0);
    let stopped = false;
    try {
      this.exec(code, -1);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      stopped = true;
    }
    return { diagnostics: this.diags, stopped };
  }

  private diag(range: Range, code: DiagnosticCode, message: string, severity: 'error' | 'warning'): void {
    const key = `${code}:${range.start.line}:${range.start.character}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diags.push({ range, code, message, severity });
  }

  private slot(ref: Ref, depth: number): Slot {
    const isArray = ref.index !== null;
    let v = this.names.get(ref.name);
    if (!v) {
      v = new NameVar(ref.name, isArray);
      this.names.set(ref.name, v);
    } else if (v.isArray !== isArray) {
      this.diag(
        ref.range,
        'name-and-array',
        v.isArray
          ? `'${ref.name}' is an array elsewhere: write ${ref.name}[i] or ${ref.name}[N]`
          : `'${ref.name}' is a plain name elsewhere: it has no slots`,
        'error',
      );
    }
    if (ref.index === 'i' && depth === 0) {
      this.diag(ref.range, 'index-outside-repeat', `'i' is the index of the innermost repeat; ${ref.name}[i] is outside any repeat`, 'error');
    }
    return { v, index: ref.index, ref };
  }

  private compile(body: Stmt[], depth: number): Instr[] {
    const out: Instr[] = [];
    for (const s of body) {
      const line = s.range.start.line + 1;
      switch (s.type) {
        case 'alloc':
          out.push({
            op: 'alloc',
            family: s.fn.family,
            calloc: s.count !== null,
            count: s.count ?? 1,
            size: s.size,
            target: this.slot(s.target, depth),
            line,
            range: s.range,
          });
          break;
        case 'realloc':
          out.push({
            op: 'realloc',
            family: s.fn.family,
            target: this.slot(s.target, depth),
            source: s.source ? this.slot(s.source, depth) : null,
            size: s.size,
            line,
            range: s.range,
          });
          break;
        case 'free':
          out.push({ op: 'free', family: s.fn.family, arg: s.arg ? this.slot(s.arg, depth) : null, line, range: s.range });
          break;
        case 'repeat':
          out.push({ op: 'repeat', count: s.count, body: this.compile(s.body, depth + 1), line });
          break;
        case 'snapshot':
          out.push({ op: 'snapshot', label: s.label, line });
          break;
      }
    }
    return out;
  }

  /** Slot number of a ref in the current iteration; -1 when it cannot be resolved. */
  private at(s: Slot, i: number): number {
    if (s.index === null) return 0;
    const k = s.index === 'i' ? i : s.index;
    if (k < 0) return -1;
    s.v.ensure(k);
    return k;
  }

  private label(s: Slot, k: number): string {
    if (s.index === null) return s.v.name;
    return `${s.v.name}[${k}]`;
  }

  /** Read a pointer for free/realloc; undefined when the name holds nothing usable. */
  private read(s: Slot, i: number, using: string): number | undefined {
    const k = this.at(s, i);
    if (k < 0) return undefined;
    const st = s.v.state[k];
    if (st === UNASSIGNED) {
      this.diag(s.ref.range, 'used-before-assignment', `'${this.label(s, k)}' is used before it is assigned`, 'error');
      return undefined;
    }
    if (st === RELEASED) {
      this.diag(
        s.ref.range,
        'holds-nothing',
        `${using} '${this.label(s, k)}', which holds nothing: its block was released at line ${s.v.line[k]}`,
        'warning',
      );
    }
    return s.v.ptr[k];
  }

  private write(s: Slot, i: number, ptr: number, line: number, range: Range, overwriting: boolean): void {
    const k = this.at(s, i);
    if (k < 0) return;
    if (overwriting && s.v.state[k] === LIVE) {
      this.diag(
        range,
        'overwrites-live',
        `'${this.label(s, k)}' still holds the block from line ${s.v.line[k]}: assigning over it leaks that block`,
        'warning',
      );
    }
    s.v.ptr[k] = ptr;
    s.v.state[k] = ptr === 0 ? NULLPTR : LIVE;
    s.v.line[k] = line;
  }

  private release(s: Slot, i: number, line: number): void {
    const k = this.at(s, i);
    if (k < 0) return;
    s.v.state[k] = RELEASED;
    s.v.line[k] = line;
  }

  private lastSlot: Slot | null = null;
  private lastIndex = 0;
  private readonly call: CallInfo = {
    line: 0,
    name: () => (this.lastSlot ? this.label(this.lastSlot, this.at(this.lastSlot, this.lastIndex)) : null),
  };

  private afterOp(s: Slot | null, i: number, line: number): void {
    if (this.hooks.afterCall) {
      this.lastSlot = s;
      this.lastIndex = i;
      this.call.line = line;
      this.hooks.afterCall(this.call);
    }
    const ops = this.heap.ops;
    if (ops >= this.stopAt) throw new Stop();
    if (ops >= this.maxOps) {
      this.diags.push({
        range: { start: { line: line - 1, character: 0 }, end: { line: line - 1, character: 0 } },
        code: 'too-long',
        severity: 'warning',
        message: `the trace was stopped after ${this.maxOps} operations`,
      });
      throw new Stop();
    }
  }

  private exec(code: Instr[], i: number): void {
    const heap = this.heap;
    const hooks = this.hooks;
    for (let n = 0; n < code.length; n++) {
      const ins = code[n];
      switch (ins.op) {
        case 'alloc': {
          const ptr = ins.calloc
            ? heap.calloc(ins.family, ins.count, ins.size, ins.line)
            : heap.malloc(ins.family, ins.size, ins.line);
          hooks.op?.({
            kind: ins.calloc ? 'calloc' : 'malloc',
            family: ins.family,
            line: ins.line,
            nelem: ins.count,
            size: ins.size,
            input: 0,
            output: ptr,
          });
          this.write(ins.target, i, ptr, ins.line, ins.range, true);
          this.afterOp(ins.target, i, ins.line);
          hooks.statementDone?.(ins.line);
          break;
        }
        case 'realloc': {
          let input = 0;
          if (ins.source) {
            const p = this.read(ins.source, i, 'reallocating');
            if (p === undefined) break;
            input = p;
          }
          const out = heap.realloc(ins.family, input, ins.size, ins.line);
          hooks.op?.({ kind: 'realloc', family: ins.family, line: ins.line, nelem: 1, size: ins.size, input, output: out });
          const sameName =
            ins.source !== null && ins.source.v === ins.target.v && this.at(ins.source, i) === this.at(ins.target, i);
          // After y = realloc(x, n) only y may be used, whether or not the block moved.
          if (ins.source && !sameName) this.release(ins.source, i, ins.line);
          this.write(ins.target, i, out, ins.line, ins.range, !sameName);
          this.afterOp(ins.source ?? ins.target, i, ins.line);
          hooks.statementDone?.(ins.line);
          break;
        }
        case 'free': {
          let input = 0;
          if (ins.arg) {
            const p = this.read(ins.arg, i, 'releasing');
            if (p === undefined) break;
            input = p;
          }
          heap.free(ins.family, input, ins.line);
          hooks.op?.({ kind: 'free', family: ins.family, line: ins.line, nelem: 0, size: 0, input, output: 0 });
          if (ins.arg && input !== 0) this.release(ins.arg, i, ins.line);
          this.afterOp(ins.arg, i, ins.line);
          hooks.statementDone?.(ins.line);
          break;
        }
        case 'repeat':
          for (let k = 0; k < ins.count; k++) this.exec(ins.body, k);
          break;
        case 'snapshot':
          hooks.snapshot?.(ins.label, ins.line);
          hooks.statementDone?.(ins.line);
          break;
      }
    }
  }
}

/** A heap that hands out distinct pointers and checks nothing: enough for the name-flow diagnostics. */
export class CountingHeap implements TraceHeap {
  ops = 0;
  private nextPtr = 1;
  malloc(): number {
    this.ops++;
    return this.nextPtr++;
  }
  calloc(): number {
    this.ops++;
    return this.nextPtr++;
  }
  realloc(_f: Family, ptr: number): number {
    this.ops++;
    return ptr === 0 ? this.nextPtr++ : ptr;
  }
  free(): void {
    this.ops++;
  }
}
