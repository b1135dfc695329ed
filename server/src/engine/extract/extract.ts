/**
 * Trace extraction: the heap operations of one C function, in the order a successful run performs
 * them, for the pymalloc simulator.
 *
 * This is a separate, deliberately simple walk over the function body: the lint analysis asks
 * "can this go wrong on some path", the Heap View asks "what does the heap look like on the usual
 * path". So the walk follows one path:
 *  - allocations succeed (a NULL test after an allocation takes the non-NULL side);
 *  - a branch that leaves the function (return, goto, a noreturn call) is the error path and is
 *    skipped unless it is the only way forward; otherwise the `then` side is taken;
 *  - `for` loops with constant bounds become `repeat N`; a loop whose sizes depend on the index, or
 *    whose index is not 0, 1, 2 … (so `a[i]` is not slot i of the repeat), is unrolled; any other
 *    loop runs once;
 *  - `goto label` continues at a label of the function's top level (the usual `error:`/`done:`);
 *  - functions of the same file are followed into (their parameters bound to the arguments);
 *    wrappers elsewhere are applied through their summaries (what they return, what they release);
 *  - sizes are constant expressions over literals, `sizeof` (LP64), enum constants, object-like
 *    macros, constant globals and locals; anything else takes the default size the caller gives.
 * Every assumption that changes what is simulated is reported as a note with its line.
 */
import type { Api } from '../../../../allocator-model/src/types';
import type { Model } from '../../../../allocator-model/src/model';
import { apiName, type Family } from '../../simulator/families';
import type { Summary } from '../flow/summary';
import { neutralise } from '../parse/neutralise';
import { parseC } from '../parse/parser';
import { child, childrenOf, declaredName, textOf, unwrap, walk, toSyntax, type Syntax } from '../parse/syntax';
import { readFacts, type FileFacts, type FunctionInfo } from '../project/facts';
import { describeType, pointee, sizeOf, TypeTable, type CType } from './ctypes';
import type {
  AllocOp,
  ExtractNote,
  ExtractResult,
  ExtractedFunction,
  FreeOp,
  NoteKind,
  Pos,
  ReallocOp,
  SimFamily,
  SourceRange,
  TraceName,
  TraceOp,
} from './types';

export interface ExtractOptions {
  model: Model;
  /** Function summaries of the workspace (Workspace.analyze().summaries), for wrappers in other files. */
  summaries?: Map<string, Summary>;
  /** Bytes used for every size that cannot be computed. */
  defaultSize?: number;
  /** CPython version (for the GC header size); the model's version by default. */
  python?: string;
  /** Longest loop unrolled when its sizes or array slots depend on the index (default 4096 iterations). */
  maxUnroll?: number;
  /** How deep calls into functions of the same file are followed (default 6). */
  maxInlineDepth?: number;
}

export const DEFAULT_UNKNOWN_SIZE = 64;

const FAMILY_NUMBERS: Record<SimFamily, Family> = { libc: 1, raw: 2, mem: 3, object: 4 };

/** A file parsed once for extraction: several functions can be extracted from it. */
export interface ParsedC {
  text: string;
  analysed: string;
  root: Syntax;
  facts: FileFacts;
  types: TypeTable;
}

/** Parses C text for extraction. initParser() must have completed. */
export function parseForExtraction(text: string, model: Model, file = 'input.c'): ParsedC {
  const analysed = neutralise(text, model);
  const tree = parseC(analysed);
  try {
    const root = toSyntax(tree, analysed);
    const facts = readFacts(root, analysed, file, model);
    return { text, analysed, root, facts, types: new TypeTable(root, analysed, text) };
  } finally {
    tree.delete();
  }
}

/** The function definition containing a zero-based position, or undefined. */
export function functionAt(parsed: ParsedC, pos: Pos): FunctionInfo | undefined {
  let best: FunctionInfo | undefined;
  for (const f of parsed.facts.functions) {
    const n = f.node;
    const inside =
      (pos.line > n.row || (pos.line === n.row && pos.character >= n.col)) &&
      (pos.line < n.endRow || (pos.line === n.endRow && pos.character <= n.endCol));
    if (inside && (!best || n.start >= best.node.start)) best = f;
  }
  return best;
}

/** Extracts the trace of the function at `pos` (zero-based). */
export function extractTrace(text: string, pos: Pos, opts: ExtractOptions): ExtractResult {
  const parsed = parseForExtraction(text, opts.model);
  const fn = functionAt(parsed, pos);
  if (!fn) {
    return { function: null, ops: [], notes: [], opCount: 0, error: 'the cursor is not inside a function definition' };
  }
  return extractFunction(parsed, fn, opts);
}

/** Extracts the trace of a named function of the text. */
export function extractTraceOf(text: string, name: string, opts: ExtractOptions): ExtractResult {
  const parsed = parseForExtraction(text, opts.model);
  const fn = parsed.facts.functions.find((f) => f.name === name && !f.macro);
  if (!fn) return { function: null, ops: [], notes: [], opCount: 0, error: `no function named ${name}() in this file` };
  return extractFunction(parsed, fn, opts);
}

export function extractFunction(parsed: ParsedC, fn: FunctionInfo, opts: ExtractOptions): ExtractResult {
  const ex = new Extractor(parsed, opts);
  const ops = ex.run(fn);
  const info = describeFunction(parsed, fn);
  const count = countOps(ops);
  const result: ExtractResult = { function: info, ops, notes: ex.notes, opCount: count };
  if (ops.length === 0) result.error = `${fn.name}() makes no heap allocation that heaplint can follow`;
  return result;
}

function describeFunction(parsed: ParsedC, fn: FunctionInfo): ExtractedFunction {
  let nameRange: SourceRange = { start: { line: fn.node.row, character: fn.node.col }, end: { line: fn.node.row, character: fn.node.col } };
  walk(child(fn.node, 'declarator') ?? fn.node, (n) => {
    if (n.type === 'identifier' && textOf(n, parsed.analysed) === fn.name) {
      nameRange = rangeOf(n);
      return false;
    }
    if (n.type === 'parameter_list') return false;
  });
  return { name: fn.name, startLine: fn.node.row, endLine: fn.node.endRow, nameRange };
}

/** Heap operations performed when the trace runs. */
export function countOps(ops: TraceOp[]): number {
  let n = 0;
  for (const o of ops) n += o.op === 'repeat' ? o.count * countOps(o.body) : 1;
  return n;
}

/**
 * Functions of the file that allocate, directly, through a function of the same file, or through a
 * wrapper whose summary says it returns or hands out a fresh block (for "Simulate heap" CodeLenses).
 */
export function allocatingFunctions(parsed: ParsedC, opts: Pick<ExtractOptions, 'model' | 'summaries'>): ExtractedFunction[] {
  const fns = parsed.facts.functions.filter((f) => !f.macro);
  const byName = new Map(fns.map((f) => [f.name, f]));
  const allocates = new Set<string>();
  const calls = new Map<string, Set<string>>();
  for (const f of fns) {
    const callees = new Set<string>();
    walk(f.body, (n) => {
      if (n.type !== 'call_expression') return;
      const fnNode = child(n, 'function');
      if (fnNode?.type === 'identifier') callees.add(textOf(fnNode, parsed.analysed));
    });
    calls.set(f.name, callees);
    for (const c of callees) {
      const api = opts.model.apis.get(c);
      if (api && ALLOCATING_KINDS.has(api.kind)) allocates.add(f.name);
      const s = opts.summaries?.get(c);
      if (s && !byName.has(c) && (s.returns.some((r) => r.kind === 'alloc') || s.outAllocs.length > 0)) allocates.add(f.name);
    }
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, callees] of calls) {
      if (allocates.has(name)) continue;
      for (const c of callees) {
        if (allocates.has(c)) {
          allocates.add(name);
          changed = true;
          break;
        }
      }
    }
  }
  return fns.filter((f) => allocates.has(f.name)).map((f) => describeFunction(parsed, f));
}

const ALLOCATING_KINDS = new Set(['alloc', 'realloc', 'result', 'typed-alloc', 'out-alloc']);

function rangeOf(n: Syntax): SourceRange {
  return { start: { line: n.row, character: n.col }, end: { line: n.endRow, character: n.endCol } };
}

/** Loop-index marker in the value environment: the value changes from one repetition to the next. */
const LOOP_INDEX = Symbol('loop index');
type Value = number | undefined | typeof LOOP_INDEX;

interface LoopCtx {
  id: number;
  /** The index variable, when the loop is a repeat with one. */
  variable: string | null;
  /** The index runs 0, 1, 2 … like the repeat's own index, so `a[i]` is slot i of the trace. */
  canonical: boolean;
  /** Sizes inside depended on the index (the loop should be unrolled). */
  dependent: boolean;
}

interface Scope {
  /** The function whose body runs. */
  fn: FunctionInfo;
  /** Qualifier for names local to a function followed into ("" for the function simulated). */
  prefix: string;
  values: Map<string, Value>;
  types: Map<string, CType>;
  /** Pointer variables (by normalised lvalue text) and the trace name of the block they hold. */
  pointers: Map<string, TraceName>;
  /** Top-level statements of the body and the labels among them, for goto. */
  labels: Map<string, number>;
  returned?: TraceName;
}

type Flow = 'next' | 'return' | 'break' | 'continue' | { goto: string };

class Stop extends Error {}

const MAX_OPS_EMITTED = 20_000;

class Extractor {
  readonly notes: ExtractNote[] = [];
  /** The text node offsets refer to: the neutralised file, or a macro body being evaluated. */
  private src: string;
  /** The user's text at the same offsets (for messages). */
  private orig: string;
  private readonly model: Model;
  private readonly defaultSize: number;
  private readonly maxUnroll: number;
  private readonly maxDepth: number;
  private readonly gcHead: number;
  private out: TraceOp[] = [];
  private loops: LoopCtx[] = [];
  private loopIds = 0;
  private scope!: Scope;
  private depth = 0;
  private readonly active = new Set<string>();
  /** Trace names that an allocation wrote (plain names, and the base of slotted names). */
  private readonly allocated = new Set<string>();
  /** Trace names of blocks from PyObject_New & co (released by Py_DECREF). */
  private readonly objects = new Set<TraceName>();
  private readonly macroValues = new Map<string, number | undefined>();
  private readonly macroBusy = new Set<string>();
  private readonly enumValues = new Map<string, number | undefined>();
  private readonly fnByName: Map<string, FunctionInfo>;
  private emitted = 0;
  private readonly noteKeys = new Set<string>();

  constructor(
    private readonly parsed: ParsedC,
    private readonly opts: ExtractOptions,
  ) {
    this.src = parsed.analysed;
    this.orig = parsed.text;
    this.model = opts.model;
    this.defaultSize = opts.defaultSize && opts.defaultSize > 0 ? Math.floor(opts.defaultSize) : DEFAULT_UNKNOWN_SIZE;
    this.maxUnroll = opts.maxUnroll ?? 4096;
    this.maxDepth = opts.maxInlineDepth ?? 6;
    this.gcHead = gcHeaderSize(opts.python ?? `3.${opts.model.python.minor}`);
    this.fnByName = new Map(parsed.facts.functions.filter((f) => !f.macro).map((f) => [f.name, f]));
    this.computeEnums();
  }

  run(fn: FunctionInfo): TraceOp[] {
    this.active.add(fn.name);
    this.scope = this.newScope(fn, '');
    for (const p of this.paramsOf(fn)) {
      this.scope.values.set(p.name, undefined);
      this.scope.types.set(p.name, p.type);
    }
    try {
      this.runBody(fn.body);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
    }
    return this.out;
  }

  // ---------------------------------------------------------------- notes

  private note(n: Syntax | number, kind: NoteKind, message: string): void {
    const line = typeof n === 'number' ? n : n.row + 1;
    const key = `${line}:${kind}:${message}`;
    if (this.noteKeys.has(key)) return;
    this.noteKeys.add(key);
    this.notes.push({ line, kind, message });
  }

  private text(n: Syntax): string {
    return this.orig.slice(n.start, n.end).replace(/\s+/g, ' ').trim();
  }

  // ---------------------------------------------------------------- scopes

  private newScope(fn: FunctionInfo, prefix: string): Scope {
    const labels = new Map<string, number>();
    fn.body.children.forEach((s, i) => {
      if (s.type === 'labeled_statement') {
        const l = child(s, 'label');
        if (l) labels.set(textOf(l, this.src), i);
      }
    });
    return { fn, prefix, values: new Map(), types: new Map(), pointers: new Map(), labels };
  }

  private paramsOf(fn: FunctionInfo): { name: string; type: CType }[] {
    let fd: Syntax | undefined = child(fn.node, 'declarator');
    while (fd && fd.type !== 'function_declarator') fd = child(fd, 'declarator');
    const list = fd ? child(fd, 'parameters') : undefined;
    const out: { name: string; type: CType }[] = [];
    for (const p of list?.children ?? []) {
      if (p.type !== 'parameter_declaration') continue;
      const d = child(p, 'declarator');
      const id = declaredName(d);
      const base = this.parsed.types.fromSpecifier(child(p, 'type'), (s) => this.num(s));
      if (!id) continue;
      out.push({ name: textOf(id, this.src), type: this.parsed.types.apply(base, d, (s) => this.num(s)) });
    }
    return out;
  }

  // ---------------------------------------------------------------- statements

  /** A function body: top-level statements, with goto to a top-level label. */
  private runBody(body: Syntax): Flow {
    const stmts = body.children;
    let visits = 0;
    for (let i = 0; i < stmts.length; i++) {
      const f = this.stmt(stmts[i]);
      if (f === 'next') continue;
      if (typeof f === 'object') {
        const at = this.scope.labels.get(f.goto);
        if (at === undefined || at <= i || ++visits > 16) {
          this.note(stmts[i], 'branch', `goto ${f.goto}: the label is not a top-level statement after this point; the trace stops here`);
          return 'return';
        }
        i = at - 1;
        continue;
      }
      return f;
    }
    return 'next';
  }

  private block(stmts: Syntax[]): Flow {
    for (const s of stmts) {
      const f = this.stmt(s);
      if (f !== 'next') return f;
    }
    return 'next';
  }

  private stmt(s: Syntax): Flow {
    switch (s.type) {
      case 'compound_statement':
        return this.block(s.children);
      case 'declaration':
        this.declaration(s);
        return 'next';
      case 'expression_statement':
        for (const c of s.children) this.expr(c);
        return 'next';
      case 'if_statement':
        return this.ifStmt(s);
      case 'for_statement':
        return this.forStmt(s);
      case 'while_statement':
      case 'do_statement':
        return this.otherLoop(s);
      case 'return_statement': {
        const v = s.children[0];
        if (v) this.scope.returned = this.expr(v);
        return 'return';
      }
      case 'goto_statement': {
        const l = child(s, 'label');
        return { goto: l ? textOf(l, this.src) : '' };
      }
      case 'break_statement':
        return 'break';
      case 'continue_statement':
        return 'continue';
      case 'labeled_statement': {
        const inner = s.children.find((c) => c.field !== 'label');
        return inner ? this.stmt(inner) : 'next';
      }
      case 'switch_statement':
        return this.switchStmt(s);
      case 'preproc_if':
      case 'preproc_ifdef':
        return this.preprocBranch(s);
      default:
        return 'next';
    }
  }

  /** #if/#ifdef inside a body: the first branch is followed (both are in the tree). */
  private preprocBranch(s: Syntax): Flow {
    const stmts = s.children.filter((c) => c.field !== 'condition' && c.field !== 'name' && c.field !== 'alternative');
    return this.block(stmts);
  }

  private declaration(d: Syntax): void {
    const base = this.parsed.types.fromSpecifier(child(d, 'type'), (s) => this.num(s));
    for (const decl of childrenOf(d, 'declarator')) {
      const target = decl.type === 'init_declarator' ? child(decl, 'declarator') : decl;
      const id = declaredName(target);
      if (!id) continue;
      const name = textOf(id, this.src);
      this.scope.types.set(name, this.parsed.types.apply(base, target, (s) => this.num(s)));
      this.scope.pointers.delete(name);
      const value = decl.type === 'init_declarator' ? child(decl, 'value') : undefined;
      if (!value) {
        this.scope.values.set(name, undefined);
        continue;
      }
      if (value.type === 'initializer_list') {
        this.scope.values.set(name, undefined);
        continue;
      }
      const tn = this.expr(value);
      this.scope.values.set(name, tn ? undefined : this.num(value));
      if (tn) this.store(id, tn);
    }
  }

  private ifStmt(s: Syntax): Flow {
    const cond = child(s, 'condition');
    const then = child(s, 'consequence');
    const elseClause = child(s, 'alternative');
    const otherwise = elseClause ? (elseClause.type === 'else_clause' ? elseClause.children[0] : elseClause) : undefined;
    if (cond) this.expr(cond);
    let takeThen: boolean;
    const c = cond ? unwrap(cond) : undefined;
    const nullTest = c ? this.nullTest(c) : undefined;
    const value = c ? this.num(c) : undefined;
    if (nullTest !== undefined) takeThen = !nullTest;
    else if (typeof value === 'number') takeThen = value !== 0;
    else {
      const thenExits = then ? this.exits(then) : false;
      const elseExits = otherwise ? this.exits(otherwise) : false;
      takeThen = !(thenExits && !elseExits);
      const skipped = takeThen ? otherwise : then;
      if (skipped && this.hasHeapCall(skipped)) {
        this.note(
          skipped,
          'branch',
          takeThen
            ? `the else branch (line ${skipped.row + 1}) is not followed: heaplint takes the first branch of a condition it cannot decide`
            : `this branch is taken as the error path (it leaves the function) and is not simulated`,
        );
      }
    }
    const branch = takeThen ? then : otherwise;
    return branch ? this.stmt(branch) : 'next';
  }

  /**
   * true: the condition holds when a block pointer is NULL (`!p`, `p == NULL`, `!a || !b`);
   * false: it holds when the pointer is not NULL (`p`, `p != NULL`); undefined: not a NULL test.
   */
  private nullTest(c: Syntax): boolean | undefined {
    const n = unwrap(c);
    if (n.type === 'unary_expression' && n.op === '!') {
      const inner = this.nullTest(n.children[0]);
      return inner === undefined ? undefined : !inner;
    }
    if (n.type === 'binary_expression' && (n.op === '||' || n.op === '&&')) {
      const l = this.nullTest(n.children[0]);
      const r = this.nullTest(n.children[1]);
      if (l === undefined && r === undefined) return undefined;
      if (n.op === '||') return l === true || r === true ? true : l === false && r === false ? false : undefined;
      return l === false || r === false ? false : l === true && r === true ? true : undefined;
    }
    if (n.type === 'binary_expression' && (n.op === '==' || n.op === '!=')) {
      const [a, b] = n.children;
      const isNull = (x: Syntax) => {
        const u = unwrap(x);
        return u.type === 'null' || (u.type === 'number_literal' && Number(u.text) === 0) || (u.type === 'identifier' && u.text === 'NULL');
      };
      const other = isNull(b) ? a : isNull(a) ? b : undefined;
      if (other && this.held(other)) return n.op === '==';
      return undefined;
    }
    if (this.held(n)) return false;
    return undefined;
  }

  /** Whether an expression holds a block the trace allocated. */
  private held(n: Syntax): boolean {
    const tn = this.lookup(n);
    return !!tn && this.allocated.has(tn.name);
  }

  /** The statement leaves the function, or skips the rest of the loop it is in (break, continue). */
  private exits(n: Syntax): boolean {
    let found = false;
    const inner = new Set<Syntax>();
    walk(n, (x) => {
      if (found) return false;
      if (x !== n && (x.type === 'for_statement' || x.type === 'while_statement' || x.type === 'do_statement' || x.type === 'switch_statement')) inner.add(x);
      if (x.type === 'return_statement' || x.type === 'goto_statement') found = true;
      else if ((x.type === 'break_statement' || x.type === 'continue_statement') && !this.insideAny(x, inner)) found = true;
      else if (x.type === 'call_expression') {
        const f = child(x, 'function');
        if (f?.type === 'identifier' && this.model.noreturn.has(textOf(f, this.src))) found = true;
      }
    });
    return found;
  }

  private insideAny(x: Syntax, containers: Set<Syntax>): boolean {
    for (let p = x.parent; p; p = p.parent) if (containers.has(p)) return true;
    return false;
  }

  private hasHeapCall(n: Syntax): boolean {
    let found = false;
    walk(n, (x) => {
      if (found) return false;
      if (x.type !== 'call_expression') return;
      const f = child(x, 'function');
      if (f?.type !== 'identifier') return;
      const name = textOf(f, this.src);
      const api = this.model.apis.get(name);
      if ((api && (ALLOCATING_KINDS.has(api.kind) || api.kind === 'free')) || this.fnByName.has(name) || this.opts.summaries?.has(name)) found = true;
    });
    return found;
  }

  private switchStmt(s: Syntax): Flow {
    this.expr(child(s, 'condition') ?? s);
    const body = child(s, 'body');
    const first = body?.children.find((c) => c.type === 'case_statement');
    if (!first) return 'next';
    if (body && this.hasHeapCall(body)) this.note(s, 'branch', 'switch: only the first case is simulated');
    const f = this.block(first.children.filter((c) => c.field !== 'value'));
    return f === 'break' ? 'next' : f;
  }

  // ---------------------------------------------------------------- loops

  private forStmt(s: Syntax): Flow {
    const init = child(s, 'initializer');
    const cond = child(s, 'condition');
    const update = child(s, 'update');
    const body = child(s, 'body');
    if (init) {
      if (init.type === 'declaration') this.declaration(init);
      else this.expr(init);
    }
    const bounds = this.tripCount(init, cond, update);
    if (!body) return 'next';
    if (!bounds) {
      const text = this.text(s).slice(0, 60);
      if (this.hasHeapCall(body)) this.note(s, 'loop', `loop bounds are not constant (${text}…): the body is simulated once`);
      return this.loopOnce(s, body, null, false);
    }
    const { variable, start, step, count } = bounds;
    if (count === 0) {
      if (this.hasHeapCall(body)) this.note(s, 'loop', 'the loop runs zero times');
      this.scope.values.set(variable, start);
      return 'next';
    }
    // First pass: as a repeat, watching whether sizes depend on the index.
    const saved = this.save();
    const ops = this.out;
    const loop = this.pushLoop(variable, start === 0 && step === 1);
    this.out = [];
    this.scope.values.set(variable, LOOP_INDEX);
    let flow: Flow;
    try {
      flow = this.block([body]);
    } finally {
      this.loops.pop();
    }
    const repeated = this.out;
    this.out = ops;
    const bodyOps = Math.max(1, countOps(repeated));
    if (loop.dependent && count <= this.maxUnroll && count * bodyOps <= MAX_OPS_EMITTED - this.emitted) {
      this.restore(saved);
      this.emitted -= countOps(repeated);
      for (let k = 0; k < count; k++) {
        this.scope.values.set(variable, start + k * step);
        const f = this.block([body]);
        if (f === 'break' || f === 'return' || typeof f === 'object') return f === 'break' ? 'next' : f;
      }
      this.scope.values.set(variable, start + count * step);
      return 'next';
    }
    if (loop.dependent) {
      this.note(s, 'loop', `sizes or slots depend on '${variable}' and the loop runs ${count} times (too many to unroll): simulated as a repeat, with the default size where the size depends on '${variable}'`);
    }
    if (flow === 'break' && this.hasHeapCall(body)) this.note(s, 'loop', 'the body always breaks out: simulated once');
    this.emitRepeat(s, flow === 'break' ? 1 : count, true, repeated);
    this.forgetAssigned(body);
    this.scope.values.set(variable, start + count * step);
    return flow === 'return' || typeof flow === 'object' ? flow : 'next';
  }

  private otherLoop(s: Syntax): Flow {
    const body = child(s, 'body');
    if (s.type === 'while_statement') {
      const cond = child(s, 'condition');
      if (cond && this.num(cond) === 0) return 'next';
      if (cond) this.expr(cond);
    }
    if (!body) return 'next';
    if (this.hasHeapCall(body)) this.note(s, 'loop', `${s.type === 'do_statement' ? 'do … while' : 'while'} loop: the body is simulated once`);
    return this.loopOnce(s, body, null, true);
  }

  /** A loop whose count is unknown: its body once, as `repeat 1` so that `a[i]` still means slot 0. */
  private loopOnce(s: Syntax, body: Syntax, variable: string | null, _while: boolean): Flow {
    const ops = this.out;
    this.pushLoop(variable);
    this.out = [];
    let flow: Flow;
    try {
      flow = this.block([body]);
    } finally {
      this.loops.pop();
    }
    const repeated = this.out;
    this.out = ops;
    this.emitRepeat(s, 1, false, repeated);
    this.forgetAssigned(body);
    return flow === 'return' || typeof flow === 'object' ? flow : 'next';
  }

  private pushLoop(variable: string | null, canonical = false): LoopCtx {
    const ctx: LoopCtx = { id: ++this.loopIds, variable, canonical, dependent: false };
    this.loops.push(ctx);
    return ctx;
  }

  private emitRepeat(s: Syntax, count: number, countKnown: boolean, body: TraceOp[]): void {
    if (body.length === 0) return;
    if (count === 1 && !body.some((o) => usesIndex(o))) {
      this.out.push(...body);
      return;
    }
    const ops = countOps(body);
    this.emitted += ops * (count - 1);
    this.out.push({ op: 'repeat', count, countKnown, body, range: rangeOf(s), text: this.text(s).split('{')[0].trim().slice(0, 80) });
  }

  /** Variables assigned in a loop body have no single value after it. */
  private forgetAssigned(body: Syntax): void {
    walk(body, (n) => {
      if (n.type === 'assignment_expression' || n.type === 'update_expression') {
        const target = n.type === 'assignment_expression' ? child(n, 'left') : child(n, 'argument');
        if (target?.type === 'identifier') {
          const name = textOf(target, this.src);
          if (this.scope.values.get(name) !== LOOP_INDEX) this.scope.values.set(name, undefined);
        }
      }
    });
  }

  /** `for (i = A; i < B; i += S)` and its variants, with constant A, B and S. */
  private tripCount(init: Syntax | undefined, cond: Syntax | undefined, update: Syntax | undefined): { variable: string; start: number; step: number; count: number } | undefined {
    if (!cond || !update) return undefined;
    let variable: string | undefined;
    let start: number | undefined;
    if (init?.type === 'declaration') {
      const d = childrenOf(init, 'declarator')[0];
      const id = d ? declaredName(d) : undefined;
      const v = d?.type === 'init_declarator' ? child(d, 'value') : undefined;
      if (id && v) {
        variable = textOf(id, this.src);
        start = this.numeric(v);
      }
    } else if (init?.type === 'assignment_expression' && init.op === '=') {
      const l = child(init, 'left');
      const r = child(init, 'right');
      if (l?.type === 'identifier' && r) {
        variable = textOf(l, this.src);
        start = this.numeric(r);
      }
    } else {
      // `for (; i < n; i++)` with i known beforehand
      const c = unwrap(cond);
      const l = c.type === 'binary_expression' ? c.children[0] : undefined;
      if (l?.type === 'identifier') {
        variable = textOf(l, this.src);
        const v = this.scope.values.get(variable);
        start = typeof v === 'number' ? v : undefined;
      }
    }
    if (!variable || start === undefined) return undefined;
    // step
    let step: number | undefined;
    const u = unwrap(update);
    const target = u.type === 'update_expression' ? child(u, 'argument') : u.type === 'assignment_expression' ? child(u, 'left') : undefined;
    if (!target || target.type !== 'identifier' || textOf(target, this.src) !== variable) return undefined;
    if (u.type === 'update_expression') step = u.op === '++' ? 1 : -1;
    else if (u.op === '+=' || u.op === '-=') {
      const k = this.numeric(child(u, 'right')!);
      if (k !== undefined) step = u.op === '+=' ? k : -k;
    } else if (u.op === '=') {
      const r = unwrap(child(u, 'right')!);
      if (r.type === 'binary_expression' && (r.op === '+' || r.op === '-') && r.children[0].type === 'identifier' && textOf(r.children[0], this.src) === variable) {
        const k = this.numeric(r.children[1]);
        if (k !== undefined) step = r.op === '+' ? k : -k;
      }
    }
    if (!step) return undefined;
    // bound
    const c = unwrap(cond);
    if (c.type !== 'binary_expression') return undefined;
    let [l, r] = c.children;
    let op = c.op ?? '';
    if (r.type === 'identifier' && textOf(r, this.src) === variable) {
      [l, r] = [r, l];
      op = ({ '<': '>', '>': '<', '<=': '>=', '>=': '<=' } as Record<string, string>)[op] ?? op;
    }
    if (l.type !== 'identifier' || textOf(l, this.src) !== variable) return undefined;
    const bound = this.numeric(r);
    if (bound === undefined) return undefined;
    let count: number;
    const a = start;
    const b = bound;
    switch (op) {
      case '<':
        count = step > 0 ? Math.ceil((b - a) / step) : NaN;
        break;
      case '<=':
        count = step > 0 ? Math.floor((b - a) / step) + 1 : NaN;
        break;
      case '>':
        count = step < 0 ? Math.ceil((a - b) / -step) : NaN;
        break;
      case '>=':
        count = step < 0 ? Math.floor((a - b) / -step) + 1 : NaN;
        break;
      case '!=':
        count = (b - a) / step;
        if (!Number.isInteger(count) || count < 0) count = NaN;
        break;
      default:
        return undefined;
    }
    if (!Number.isFinite(count)) return undefined;
    return { variable, start, step, count: Math.max(0, count) };
  }

  private save(): { values: Map<string, Value>; pointers: Map<string, TraceName>; notes: number; allocated: Set<string> } {
    return {
      values: new Map(this.scope.values),
      pointers: new Map(this.scope.pointers),
      notes: this.notes.length,
      allocated: new Set(this.allocated),
    };
  }

  private restore(s: ReturnType<Extractor['save']>): void {
    this.scope.values = s.values;
    this.scope.pointers = s.pointers;
    this.notes.length = s.notes;
    this.allocated.clear();
    for (const a of s.allocated) this.allocated.add(a);
    this.noteKeys.clear();
    for (const n of this.notes) this.noteKeys.add(`${n.line}:${n.kind}:${n.message}`);
  }

  // ---------------------------------------------------------------- expressions

  /** Evaluates for effect; returns the trace name of the block the expression yields, if any. */
  private expr(n: Syntax): TraceName | undefined {
    switch (n.type) {
      case 'call_expression':
        return this.call(n);
      case 'assignment_expression':
        return this.assign(n);
      case 'parenthesized_expression':
      case 'comma_expression': {
        let last: TraceName | undefined;
        for (const c of n.children) last = this.expr(c);
        return last;
      }
      case 'cast_expression': {
        const v = child(n, 'value');
        return v ? this.expr(v) : undefined;
      }
      case 'update_expression': {
        const a = child(n, 'argument');
        if (a?.type === 'identifier') {
          const name = textOf(a, this.src);
          const v = this.scope.values.get(name);
          if (typeof v === 'number') this.scope.values.set(name, n.op === '++' ? v + 1 : v - 1);
        }
        return undefined;
      }
      case 'conditional_expression': {
        const c = child(n, 'condition');
        if (c) this.expr(c);
        const v = c ? this.num(c) : undefined;
        const pick = v === 0 ? child(n, 'alternative') : child(n, 'consequence');
        return pick ? this.expr(pick) : undefined;
      }
      case 'identifier':
      case 'field_expression':
      case 'subscript_expression':
      case 'pointer_expression':
        for (const c of n.children) if (c.type === 'call_expression' || c.type === 'assignment_expression') this.expr(c);
        return this.lookup(n);
      default:
        for (const c of n.children) if (c.type !== 'sizeof_expression') this.expr(c);
        return undefined;
    }
  }

  private assign(n: Syntax): TraceName | undefined {
    const left = child(n, 'left');
    const right = child(n, 'right');
    if (!left || !right) return undefined;
    const tn = this.expr(right);
    if (n.op === '=') {
      if (tn) {
        this.store(left, tn);
        return tn;
      }
      if (left.type === 'identifier') {
        const name = textOf(left, this.src);
        this.scope.values.set(name, this.num(right));
      }
      this.scope.pointers.delete(this.key(left));
      return undefined;
    }
    if (left.type === 'identifier') {
      const name = textOf(left, this.src);
      const old = this.scope.values.get(name);
      const r = this.num(right);
      let v: Value = undefined;
      if (typeof old === 'number' && typeof r === 'number') v = arith(n.op!.slice(0, -1), old, r);
      this.scope.values.set(name, v);
    }
    return undefined;
  }

  /** Records that the lvalue `left` now holds the block named `tn`, renaming temporary names. */
  private store(left: Syntax, tn: TraceName): void {
    const ref = this.refFor(left, true);
    const durable = left.type !== 'identifier' || !this.isLocal(left);
    const canIndex = ref.index !== 'i' || tn.loop === this.innerLoop();
    if ((tn.temp || (durable && !this.allocated.has(ref.name))) && canIndex) {
      const wasAllocated = this.allocated.has(tn.name);
      tn.name = ref.name;
      tn.index = ref.index;
      tn.temp = ref.temp;
      if (wasAllocated) this.allocated.add(tn.name);
    }
    if (ref.index === null) this.scope.pointers.set(this.key(left), tn);
  }

  private isLocal(id: Syntax): boolean {
    const name = textOf(id, this.src);
    return this.scope.types.has(name) && !this.parsed.facts.globals.has(name);
  }

  private innerLoop(): number {
    return this.loops.length ? this.loops[this.loops.length - 1].id : 0;
  }

  /** Normalised lvalue text (scope-qualified for locals of a followed function). */
  private key(n: Syntax): string {
    return this.scope.prefix + this.text(unwrap(n)).replace(/\s+/g, '');
  }

  /**
   * The trace name an lvalue denotes: `a[i]` (index of the innermost repeat) and `a[3]` become
   * slots of `a`; other expressions are plain names spelled as in the source.
   */
  private refFor(n: Syntax, fresh: boolean): TraceName {
    const u = unwrap(n);
    const loop = this.innerLoop();
    if (u.type === 'subscript_expression') {
      const arr = child(u, 'argument');
      const idx = child(u, 'index') ?? u.children[1];
      if (arr && idx) {
        const inner = this.loops[this.loops.length - 1];
        const iu = unwrap(idx);
        const base = this.key(arr);
        if (inner?.variable && iu.type === 'identifier' && textOf(iu, this.src) === inner.variable && this.scope.values.get(inner.variable) === LOOP_INDEX) {
          if (inner.canonical) return { name: base, index: 'i', temp: false, loop };
          // `for (i = 1; …; i += 3) a[i]`: slot i is not the repeat's index, the loop must be unrolled
          inner.dependent = true;
        }
        const k = this.num(idx);
        if (typeof k === 'number' && Number.isInteger(k) && k >= 0) return { name: base, index: k, temp: false, loop };
      }
    }
    if (!fresh) {
      const held = this.scope.pointers.get(this.key(u));
      if (held) return held;
    }
    const temp = this.scope.prefix !== '' && u.type === 'identifier' && this.isLocal(u);
    return { name: this.key(u), index: null, temp, loop };
  }

  /** The block an expression refers to, if the trace knows one. */
  private lookup(n: Syntax): TraceName | undefined {
    const u = unwrap(n);
    if (u.type === 'null') return undefined;
    if (u.type === 'pointer_expression' && u.op === '&') return undefined;
    if (u.type === 'subscript_expression') {
      // a slot is computed afresh: the same text names another slot in another loop
      const ref = this.refFor(u, true);
      if (ref.index !== null) return this.allocated.has(ref.name) ? ref : undefined;
    }
    const held = this.scope.pointers.get(this.key(u));
    if (held) return held;
    if (u.type === 'binary_expression' && (u.op === '+' || u.op === '-')) return undefined;
    return undefined;
  }

  // ---------------------------------------------------------------- calls

  private args(n: Syntax): Syntax[] {
    return child(n, 'arguments')?.children ?? [];
  }

  private call(n: Syntax): TraceName | undefined {
    const fnNode = child(n, 'function');
    const args = this.args(n);
    if (fnNode?.type !== 'identifier') {
      for (const a of args) this.expr(a);
      return undefined;
    }
    const name = textOf(fnNode, this.src);
    const api = this.model.apis.get(name);
    if (api && (ALLOCATING_KINDS.has(api.kind) || api.kind === 'free')) return this.apiCall(n, name, api, args);
    if (this.model.refcountReleases.has(name)) {
      this.decref(n, name, args);
      return undefined;
    }
    const local = this.fnByName.get(name);
    if (local && !this.active.has(name) && this.depth < this.maxDepth) return this.inline(n, local, args);
    const summary = this.opts.summaries?.get(name);
    if (summary && !summary.unknown) return this.viaSummary(n, name, summary, args);
    for (const a of args) this.expr(a);
    return undefined;
  }

  private simFamily(n: Syntax, family: string | undefined): SimFamily {
    switch (family) {
      case 'libc':
      case 'raw':
      case 'mem':
      case 'object':
        return family;
      case 'gc-object':
      case 'type-dependent':
        return 'object';
      default:
        this.note(n, 'assumption', `family '${family ?? '?'}' is not one of CPython's heaps: simulated as the C library heap (malloc)`);
        return 'libc';
    }
  }

  /** Size from an API's size arguments (product), typed argument and string literals. */
  private sizeOfCall(n: Syntax, api: Api, args: Syntax[]): { size: number | undefined; count: number | null; unknown: string[] } {
    const unknown: string[] = [];
    const get = (i: number): number | undefined => {
      const a = args[i];
      if (!a) return undefined;
      const v = this.sizeValue(a);
      if (v === undefined) unknown.push(this.text(a));
      return v;
    };
    if (api.kind === 'typed-alloc') {
      const t = args[0] ? this.typeFromArg(args[0]) : undefined;
      let size = t ? sizeOf(t) : undefined;
      if (size === undefined) unknown.push(`sizeof(${args[0] ? this.text(args[0]) : '?'})`);
      if (/NewVar|NEW_VAR|GenericAlloc/.test(api.name)) {
        unknown.push('the item size of a variable-size object');
        size = undefined;
      } else if (/GenericNew|GenericAlloc/.test(api.name)) size = undefined;
      if (size !== undefined && api.family === 'gc-object') size += this.gcHead;
      return { size, count: null, unknown };
    }
    if (api.typeArg !== undefined && api.sizeArgs?.length) {
      const texts = this.argTexts(n);
      const typeText = texts[api.typeArg] ?? '?';
      const t = this.typeFromText(typeText);
      const el = t ? sizeOf(t) : undefined;
      if (el === undefined) unknown.push(`sizeof(${typeText})`);
      let n0: number | undefined;
      if (texts.length === args.length) n0 = get(api.sizeArgs[0]);
      else {
        const countText = texts[api.sizeArgs[0]] ?? '?';
        n0 = this.evalText(countText);
        if (n0 === undefined) unknown.push(countText);
      }
      return { size: el !== undefined && n0 !== undefined ? el * n0 : undefined, count: null, unknown };
    }
    if (api.sizeArgs?.length) {
      if (api.sizeArgs.length === 2 && /calloc/i.test(api.aliasOf ?? api.name)) {
        const c = get(api.sizeArgs[0]);
        const s = get(api.sizeArgs[1]);
        return { size: c !== undefined && s !== undefined ? s : undefined, count: c !== undefined && s !== undefined ? c : null, unknown };
      }
      let size = 1;
      let ok = true;
      for (const i of api.sizeArgs) {
        const v = get(i);
        if (v === undefined) ok = false;
        else size *= v;
      }
      return { size: ok ? size : undefined, count: null, unknown };
    }
    // strdup-like: the length of a string literal
    const s = args[0] ? unwrap(args[0]) : undefined;
    if (s?.type === 'string_literal' && /dup/i.test(api.name)) {
      const lit = this.text(s).slice(1, -1).replace(/\\./g, 'x');
      let len = lit.length;
      const limit = /ndup/.test(api.name) && args[1] ? this.sizeValue(args[1]) : undefined;
      if (limit !== undefined) len = Math.min(len, limit);
      return { size: (/wcsdup/.test(api.name) ? 4 : 1) * (len + 1), count: null, unknown };
    }
    unknown.push(args[0] ? `the size ${api.name}() allocates for ${this.text(args[0])}` : `the size ${api.name}() allocates`);
    return { size: undefined, count: null, unknown };
  }

  /** A size expression's value; a dependence on the repeat index marks the loop for unrolling. */
  private sizeValue(a: Syntax): number | undefined {
    const v = this.num(a);
    return typeof v === 'number' && v >= 0 ? Math.floor(v) : undefined;
  }

  private typeFromArg(a: Syntax): CType | undefined {
    const u = unwrap(a);
    if (u.type === 'type_descriptor') return this.parsed.types.fromDescriptor(u, (s) => this.num(s));
    if (u.type === 'identifier') {
      const t = this.parsed.types.named(textOf(u, this.src), (s) => this.num(s));
      return t.k === 'unknown' ? undefined : t;
    }
    return this.typeFromText(this.text(u));
  }

  /** `int`, `void *`, `struct foo`, `char **` given as text (a macro's type argument). */
  private typeFromText(text: string): CType | undefined {
    const m = /^([A-Za-z_][\w\s]*?)\s*(\**)$/.exec(text.trim());
    if (!m) return undefined;
    let t: CType = this.parsed.types.named(m[1], (s) => this.num(s));
    if (t.k === 'unknown' && !m[2]) return undefined;
    for (let k = 0; k < m[2].length; k++) t = { k: 'ptr', to: t };
    return t;
  }

  private sized(n: Syntax, what: string, size: number | undefined, unknown: string[]): { size: number; known: boolean } {
    if (size !== undefined) return { size, known: true };
    const why = unknown.length ? unknown.join(', ') : what;
    this.note(n, 'size', `size not constant (${why}): using the default ${this.defaultSize} bytes`);
    return { size: this.defaultSize, known: false };
  }

  private emit(op: TraceOp): void {
    if (++this.emitted > MAX_OPS_EMITTED) {
      this.note(op.range.start.line + 1, 'skipped', `more than ${MAX_OPS_EMITTED} operations after unrolling and following calls: the trace stops here`);
      throw new Stop();
    }
    this.out.push(op);
  }

  private temp(n: Syntax, label: string): TraceName {
    return { name: `${label}@${n.row + 1}`, index: null, temp: true, loop: this.innerLoop() };
  }

  private apiCall(n: Syntax, name: string, api: Api, args: Syntax[]): TraceName | undefined {
    const family = this.simFamily(n, api.family);
    const fam = FAMILY_NUMBERS[family];
    const text = this.text(n);
    switch (api.kind) {
      case 'alloc':
      case 'result':
      case 'typed-alloc': {
        const { size, count, unknown } = api.kind === 'result' ? { size: undefined, count: null, unknown: [`what ${name}() returns`] } : this.sizeOfCall(n, api, args);
        const s = this.sized(n, name, size, unknown);
        const calloc = count !== null;
        const target = this.temp(n, name);
        const op: AllocOp = {
          op: 'alloc', call: name, api: apiName(fam, calloc ? 'calloc' : 'malloc'), family, count, size: s.size, sizeKnown: s.known,
          target, range: rangeOf(n), text,
        };
        this.emit(op);
        this.allocated.add(target.name);
        if (api.kind === 'typed-alloc') this.objects.add(target);
        return target;
      }
      case 'out-alloc': {
        const out = api.outArg !== undefined ? args[api.outArg] : undefined;
        const { size, unknown } = this.sizeOfCall(n, { ...api, kind: 'alloc' }, args);
        const s = this.sized(n, name, size, unknown);
        const target = this.temp(n, name);
        this.emit({ op: 'alloc', call: name, api: apiName(fam, 'malloc'), family, count: null, size: s.size, sizeKnown: s.known, target, range: rangeOf(n), text });
        this.allocated.add(target.name);
        const o = out ? unwrap(out) : undefined;
        if (o?.type === 'pointer_expression' && o.op === '&') this.store(o.children[0], target);
        return undefined;
      }
      case 'realloc': {
        const ptrArg = api.ptrArg ?? 0;
        const p = args[ptrArg];
        const source = p ? this.lookup(p) : undefined;
        const isNull = !p || unwrap(p).type === 'null' || (unwrap(p).type === 'identifier' && unwrap(p).text === 'NULL') || (!source && this.num(p) === 0);
        let size: number | undefined;
        let unknown: string[] = [];
        if (api.sizeArgs?.length) ({ size, unknown } = this.sizeOfCall(n, api, args));
        else unknown = [`the new size ${name}() asks for`];
        const s = this.sized(n, name, size, unknown);
        if (!source && !isNull) {
          this.note(n, 'skipped', `${name}(): '${p ? this.text(p) : '?'}' holds no block this trace allocated, so the call is simulated as an allocation`);
        }
        const srcName = source && this.allocated.has(source.name) ? source : null;
        const target: TraceName = api.assignsPtrArg && p ? this.refFor(p, true) : this.temp(n, name);
        if (api.assignsPtrArg && srcName && p) {
          target.name = srcName.name;
          target.index = srcName.index;
        }
        const op: ReallocOp = { op: 'realloc', call: name, api: apiName(fam, 'realloc'), family, size: s.size, sizeKnown: s.known, target, source: srcName, range: rangeOf(n), text };
        this.emit(op);
        this.allocated.add(target.name);
        if (api.assignsPtrArg && p) this.scope.pointers.set(this.key(p), target);
        return api.assignsPtrArg ? undefined : target;
      }
      case 'free': {
        const p = args[api.ptrArg ?? 0];
        if (!p) return undefined;
        this.expr(p);
        this.release(n, name, fam, family, p);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private release(n: Syntax, call: string, fam: Family, family: SimFamily, p: Syntax): void {
    const u = unwrap(p);
    if (u.type === 'null' || (u.type === 'identifier' && u.text === 'NULL')) return;
    const tn = this.lookup(p);
    if (!tn || !this.allocated.has(tn.name)) {
      this.note(n, 'skipped', `${call}(${this.text(p)}): not a block this trace allocated (a parameter, or memory from elsewhere): not simulated`);
      return;
    }
    const op: FreeOp = { op: 'free', call, api: apiName(fam, 'free'), family, arg: tn, range: rangeOf(n), text: this.text(n) };
    this.emit(op);
  }

  private decref(n: Syntax, name: string, args: Syntax[]): void {
    const p = args[0];
    if (!p || name === 'Py_SETREF' || name === 'Py_XSETREF') {
      for (const a of args) this.expr(a);
      return;
    }
    const tn = this.lookup(p);
    if (!tn || !this.objects.has(tn)) return;
    this.note(n, 'assumption', `${name}(${this.text(p)}) is taken to drop the last reference: the object is released by PyObject_Free`);
    this.emit({ op: 'free', call: name, api: 'PyObject_Free', family: 'object', arg: tn, range: rangeOf(n), text: this.text(n) });
  }

  /** A function of the same file: its body runs with parameters bound to the arguments. */
  private inline(n: Syntax, fn: FunctionInfo, args: Syntax[]): TraceName | undefined {
    const params = this.paramsOf(fn);
    const bound: { name: string; type: CType; value: Value; ptr?: TraceName }[] = [];
    params.forEach((p, i) => {
      const a = args[i];
      const ptr = a ? this.expr(a) : undefined;
      const v = a && !ptr ? this.num(a) : undefined;
      bound.push({ name: p.name, type: p.type, value: v, ptr });
    });
    for (let i = params.length; i < args.length; i++) this.expr(args[i]);
    const caller = this.scope;
    const scope = this.newScope(fn, `${fn.name}.`);
    for (const b of bound) {
      scope.values.set(b.name, b.value);
      scope.types.set(b.name, b.type);
      if (b.ptr) scope.pointers.set(`${fn.name}.${b.name}`, b.ptr);
    }
    this.scope = scope;
    this.active.add(fn.name);
    this.depth++;
    try {
      this.runBody(fn.body);
    } finally {
      this.depth--;
      this.active.delete(fn.name);
      this.scope = caller;
    }
    return scope.returned;
  }

  /** A wrapper in another file: what its summary says it returns and releases. */
  private viaSummary(n: Syntax, name: string, s: Summary, args: Syntax[]): TraceName | undefined {
    const argNames = args.map((a) => this.expr(a));
    for (const r of s.releases) {
      if (r.path !== '') continue;
      const a = args[r.param];
      if (!a) continue;
      const family = this.simFamily(n, r.family);
      const tn = argNames[r.param] ?? this.lookup(a);
      if (!tn || !this.allocated.has(tn.name)) continue;
      this.note(n, 'wrapper', `${name}() releases its argument ${r.param + 1} with ${r.api}() (from its summary)`);
      this.emit({ op: 'free', call: name, api: apiName(FAMILY_NUMBERS[family], 'free'), family, arg: tn, range: rangeOf(n), text: this.text(n) });
    }
    for (const o of s.outAllocs) {
      const a = args[o.param];
      const u = a ? unwrap(a) : undefined;
      if (!u || u.type !== 'pointer_expression' || u.op !== '&') continue;
      const family = this.simFamily(n, o.alloc.family);
      const target = this.temp(n, name);
      this.note(n, 'wrapper', `${name}() hands out a block from ${o.alloc.api}() of unknown size: using the default ${this.defaultSize} bytes`);
      this.emit({ op: 'alloc', call: name, api: apiName(FAMILY_NUMBERS[family], 'malloc'), family, count: null, size: this.defaultSize, sizeKnown: false, target, range: rangeOf(n), text: this.text(n) });
      this.allocated.add(target.name);
      this.store(u.children[0], target);
    }
    const ret = s.returns.find((r) => r.kind === 'alloc');
    if (ret && ret.kind === 'alloc') {
      const family = this.simFamily(n, ret.alloc.family);
      const target = this.temp(n, name);
      this.note(n, 'wrapper', `${name}() returns a block from ${ret.alloc.api}()${ret.alloc.via.length > 1 ? ` (via ${ret.alloc.via.join(' → ')})` : ''} of unknown size: using the default ${this.defaultSize} bytes`);
      this.emit({ op: 'alloc', call: name, api: apiName(FAMILY_NUMBERS[family], 'malloc'), family, count: null, size: this.defaultSize, sizeKnown: false, target, range: rangeOf(n), text: this.text(n) });
      this.allocated.add(target.name);
      if (ret.alloc.typed) this.objects.add(target);
      return target;
    }
    const param = s.returns.find((r) => r.kind === 'param');
    if (param && param.kind === 'param') return argNames[param.index];
    return undefined;
  }

  // ---------------------------------------------------------------- constants

  /** The numeric value, ignoring (but recording) a dependence on the repeat index. */
  private numeric(n: Syntax): number | undefined {
    const v = this.num(n);
    return typeof v === 'number' ? v : undefined;
  }

  /** Constant value of an expression, or undefined; LOOP_INDEX use marks the innermost loop dependent. */
  num(n: Syntax): number | undefined {
    const v = this.value(n);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  }

  private value(n: Syntax): Value {
    switch (n.type) {
      case 'number_literal':
        return parseNumber(n.text ?? this.text(n));
      case 'char_literal': {
        const t = this.text(n);
        const m = /^'(\\?.)'$/.exec(t);
        if (!m) return undefined;
        const c = m[1];
        const esc: Record<string, number> = { '\\n': 10, '\\t': 9, '\\0': 0, '\\r': 13, "\\'": 39, '\\\\': 92 };
        return c.length === 1 ? c.charCodeAt(0) : esc[c];
      }
      case 'true':
        return 1;
      case 'false':
      case 'null':
        return 0;
      case 'parenthesized_expression':
        return n.children.length === 1 ? this.value(n.children[0]) : undefined;
      case 'cast_expression': {
        const v = child(n, 'value');
        return v ? this.value(v) : undefined;
      }
      case 'identifier':
        return this.identValue(textOf(n, this.src));
      case 'sizeof_expression':
        return this.sizeofValue(n);
      case 'unary_expression': {
        const a = this.value(n.children[0]);
        if (typeof a !== 'number') return a === LOOP_INDEX ? this.dependent() : undefined;
        switch (n.op) {
          case '-':
            return -a;
          case '+':
            return a;
          case '~':
            return ~a;
          case '!':
            return a ? 0 : 1;
        }
        return undefined;
      }
      case 'binary_expression': {
        const a = this.value(n.children[0]);
        const b = this.value(n.children[1]);
        if (a === LOOP_INDEX || b === LOOP_INDEX) return this.dependent();
        if (typeof a !== 'number' || typeof b !== 'number') return undefined;
        return arith(n.op ?? '', a, b);
      }
      case 'conditional_expression': {
        const c = this.value(child(n, 'condition')!);
        if (typeof c !== 'number') return undefined;
        const pick = c ? child(n, 'consequence') : child(n, 'alternative');
        return pick ? this.value(pick) : undefined;
      }
      default:
        return undefined;
    }
  }

  /** The innermost loop's sizes depend on its index: a value that changes per repetition. */
  private dependent(): Value {
    const inner = this.loops[this.loops.length - 1];
    if (inner) inner.dependent = true;
    return undefined;
  }

  private identValue(name: string): Value {
    if (this.scope?.values.has(name)) {
      const v = this.scope.values.get(name);
      if (v === LOOP_INDEX) {
        const inner = this.loops[this.loops.length - 1];
        if (inner && inner.variable === name) inner.dependent = true;
        return undefined;
      }
      return v;
    }
    if (this.enumValues.has(name)) return this.enumValues.get(name);
    const g = this.parsed.facts.globals.get(name);
    if (g) {
      const init = g.node.type === 'init_declarator' ? child(g.node, 'value') : undefined;
      return init ? this.num(init) : undefined;
    }
    return this.macroValue(name);
  }

  private macroValue(name: string): number | undefined {
    if (this.macroValues.has(name)) return this.macroValues.get(name);
    const m = this.parsed.facts.macros.find((x) => x.name === name && x.params === null);
    if (!m || this.macroBusy.has(name)) return undefined;
    this.macroBusy.add(name);
    let v: number | undefined;
    try {
      v = this.evalText(m.body);
    } finally {
      this.macroBusy.delete(name);
    }
    this.macroValues.set(name, v);
    return v;
  }

  /** Value of an expression given as text (a macro body, a macro argument the tree split badly). */
  private evalText(text: string): number | undefined {
    const snippet = `long __hl_value = (${text});`;
    const tree = parseC(snippet);
    try {
      const root = toSyntax(tree, snippet);
      const d = root.children[0];
      const init = d ? childrenOf(d, 'declarator')[0] : undefined;
      const value = init?.type === 'init_declarator' ? child(init, 'value') : undefined;
      if (!value || root.broken) return undefined;
      const saved = [this.src, this.orig];
      // Evaluate against the snippet's text: swap the source the evaluator slices.
      this.src = this.orig = snippet;
      try {
        return this.num(value);
      } finally {
        [this.src, this.orig] = saved;
      }
    } finally {
      tree.delete();
    }
  }

  /** Macro arguments split at top-level commas, from the text (`PyMem_New(void *, n)` misparses). */
  private argTexts(call: Syntax): string[] {
    const list = child(call, 'arguments');
    if (!list) return [];
    const t = this.orig.slice(list.start + 1, list.end - 1);
    const out: string[] = [];
    let depth = 0;
    let cur = '';
    for (const ch of t) {
      if (ch === '(' || ch === '[' || ch === '{') depth++;
      else if (ch === ')' || ch === ']' || ch === '}') depth--;
      if (ch === ',' && depth === 0) {
        out.push(cur.trim());
        cur = '';
      } else cur += ch;
    }
    if (cur.trim()) out.push(cur.trim());
    return out;
  }

  private computeEnums(): void {
    let prev: number | undefined = -1;
    let lastEnum: Syntax | undefined;
    for (const e of this.parsed.types.enumerators) {
      if (e.enumNode !== lastEnum) {
        prev = -1;
        lastEnum = e.enumNode;
      }
      const v: number | undefined = e.value ? this.num(e.value) : prev === undefined ? undefined : prev + 1;
      this.enumValues.set(e.name, v);
      prev = v;
    }
  }

  private sizeofValue(n: Syntax): number | undefined {
    const t = this.sizeofType(n);
    return t ? sizeOf(t) : undefined;
  }

  private sizeofType(n: Syntax): CType | undefined {
    const evalSize = (s: Syntax) => this.num(s);
    const td = child(n, 'type');
    if (td) return this.parsed.types.fromDescriptor(td, evalSize);
    const v = child(n, 'value') ?? n.children[0];
    if (!v) return undefined;
    const u = unwrap(v);
    // sizeof(FooObject): a typedef name parses as an expression
    if (u.type === 'identifier' && !this.scope.types.has(textOf(u, this.src)) && !this.parsed.facts.globals.has(textOf(u, this.src))) {
      const t = this.parsed.types.named(textOf(u, this.src), evalSize);
      if (t.k !== 'unknown') return t;
    }
    return this.typeOf(v);
  }

  /** Static type of an expression, for `sizeof expr`. */
  private typeOf(n: Syntax): CType | undefined {
    const evalSize = (s: Syntax) => this.num(s);
    switch (n.type) {
      case 'parenthesized_expression':
        return n.children[0] ? this.typeOf(n.children[0]) : undefined;
      case 'identifier': {
        const name = textOf(n, this.src);
        const local = this.scope.types.get(name);
        if (local) return local;
        const g = this.parsed.facts.globals.get(name);
        if (g) {
          const decl = g.node.type === 'init_declarator' ? child(g.node, 'declarator') : g.node;
          const typeNode = g.node.parent ? child(g.node.parent, 'type') : undefined;
          return this.parsed.types.apply(this.parsed.types.fromSpecifier(typeNode, evalSize), decl, evalSize);
        }
        return undefined;
      }
      case 'pointer_expression': {
        const inner = this.typeOf(n.children[0]);
        if (n.op === '*') return pointee(inner);
        return inner ? { k: 'ptr', to: inner } : undefined;
      }
      case 'subscript_expression':
        return pointee(this.typeOf(child(n, 'argument') ?? n.children[0]));
      case 'field_expression': {
        const base = this.typeOf(child(n, 'argument') ?? n.children[0]);
        const rec = n.op === '->' ? pointee(base) : base;
        const field = child(n, 'field');
        if (rec?.k !== 'record' || !field) return undefined;
        return rec.fields.get(textOf(field, this.src));
      }
      case 'cast_expression': {
        const t = child(n, 'type');
        return t ? this.parsed.types.fromDescriptor(t, evalSize) : undefined;
      }
      case 'string_literal': {
        const body = this.text(n).slice(1, -1).replace(/\\./g, 'x');
        return { k: 'array', of: { k: 'scalar', name: 'char', size: 1, align: 1 }, n: body.length + 1 };
      }
      case 'number_literal':
        return /[.eE]/.test(n.text ?? '') && !/^0[xX]/.test(n.text ?? '') ? { k: 'scalar', name: 'double', size: 8, align: 8 } : { k: 'scalar', name: 'int', size: 4, align: 4 };
      default:
        return undefined;
    }
  }
}

function usesIndex(o: TraceOp): boolean {
  switch (o.op) {
    case 'alloc':
      return o.target.index === 'i';
    case 'realloc':
      return o.target.index === 'i' || o.source?.index === 'i';
    case 'free':
      return o.arg.index === 'i';
    case 'repeat':
      return false;
  }
}

function arith(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return b === 0 ? undefined : Math.trunc(a / b);
    case '%':
      return b === 0 ? undefined : a % b;
    case '<<':
      return a * 2 ** b;
    case '>>':
      return Math.floor(a / 2 ** b);
    case '&':
      return Number(BigInt(Math.trunc(a)) & BigInt(Math.trunc(b)));
    case '|':
      return Number(BigInt(Math.trunc(a)) | BigInt(Math.trunc(b)));
    case '^':
      return Number(BigInt(Math.trunc(a)) ^ BigInt(Math.trunc(b)));
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '&&':
      return a && b ? 1 : 0;
    case '||':
      return a || b ? 1 : 0;
    default:
      return undefined;
  }
}

/** C integer and floating literals: 0x1F, 017, 0b101, 10UL, 1e3, 1'000 is not C. */
export function parseNumber(raw: string): number | undefined {
  const t = raw.replace(/[uUlL]+$/, '');
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[bB][01]+$/.test(t)) return parseInt(t.slice(2), 2);
  if (/^0[0-7]+$/.test(t)) return parseInt(t.slice(1), 8);
  if (/^\d+$/.test(t)) return parseInt(t, 10);
  const f = Number(t.replace(/[fF]$/, ''));
  return Number.isFinite(f) ? f : undefined;
}

/** sizeof(PyGC_Head) on 64-bit: 16 since 3.8, 32 on 3.7.4+, 24 before (allocator-facts §GC presize). */
export function gcHeaderSize(python: string): number {
  const m = /^3\.(\d+)(?:\.(\d+))?/.exec(python.trim());
  if (!m) return 16;
  const minor = Number(m[1]);
  if (minor >= 8) return 16;
  if (minor === 7 && Number(m[2] ?? 0) >= 4) return 32;
  return 24;
}

export { describeType };
