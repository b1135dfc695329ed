/**
 * Flow-sensitive analysis of one function: what every pointer-valued location holds, the state of
 * every block it reaches, whether the GIL is held, and whether an allocation failure is pending.
 * It observes events for the rules and produces the function's summary for its callers.
 *
 * Path sensitivity is bounded: states that differ in a branch fact (a flag tested twice, an #ifdef,
 * a switch case), in the GIL or in a pending allocation failure are kept apart, up to MAX_DISJUNCTS
 * per program point; beyond that they are merged. Merged paths can pair a flag with the wrong
 * buffer, so a function that had to merge and observed something suspicious is analysed again
 * with a much higher limit (and budget) — few functions pay for it, and only where it matters.
 */
import type { Api } from '../../../../allocator-model/src/types';
import type { Model } from '../../../../allocator-model/src/model';
import { needsGil } from '../../../../allocator-model/src/model';
import { buildCfg, conditionKey } from '../cfg/build';
import type { Cfg, CfgNode, EdgeFact } from '../cfg/cfg';
import { child, childrenOf, declaratorShape, declaredName, textOf, unwrap, walk, type Syntax } from '../parse/syntax';
import { GIL_ACQUIRE_MARKER, GIL_RELEASE_MARKER } from '../parse/neutralise';
import type { FunctionInfo, GlobalVar, VarType } from '../project/facts';
import { typeName } from '../project/facts';
import type { FlowEvent, PreprocFacts, Released } from './events';
import type { Status } from './state';
import {
  ABSENT, ESCAPED, EXCEPTION_SET, FREED, SEED_A, SEED_B, combineHalves, factsHash, factsHashOf, statusHash, textHash, varHash, varsHash, GIL_HELD, GIL_RELEASED, LIVE, MAYFREED, MOVED, NO_FAILURE, NONNULL, UAF_REPORTED, State, joinBits, joinInto, sameVal, union, type Val,
} from './state';
import { emptySummary, type AllocFact, type ReleaseFact, type Summary } from './summary';

export const MAX_DISJUNCTS = 8;
/**
 * Path limits (and budget factors) of the refining analyses, tried in turn; a step is tried only if
 * the one before stayed within `nextIfUnder` transfer steps, so huge functions stop early.
 */
const REFINEMENTS = [
  { disjuncts: 64, budget: 2, nextIfUnder: 25_000 },
  { disjuncts: 256, budget: 2, nextIfUnder: 0 },
];
const REFINE_GROWTH = 12;
const REFINE_MIN_BUDGET = 5_000;
/** HEAPLINT_TRACE=<line>: print the states reaching that line (for triaging a finding). Read once. */
const TRACE_LINE = Number(process.env.HEAPLINT_TRACE ?? 0) || 0;
const MAX_PATH_DEPTH = 3;

/** The part of `loc` from `from` to the first `->` (or `.`, with `dot`). */
function headOf(loc: string, from: number, dot: boolean): string {
  let end = loc.indexOf('->', from);
  if (end < 0) end = loc.length;
  if (dot) {
    const d = loc.indexOf('.', from);
    if (d >= 0 && d < end) end = d;
  }
  return loc.slice(from, end);
}

function depth(loc: string): number {
  let n = 0;
  for (let i = loc.indexOf('->'); i >= 0; i = loc.indexOf('->', i + 2)) n++;
  return n;
}

export interface FlowContext {
  source: string;
  model: Model;
  fn: FunctionInfo;
  /** A model API or a workspace/attribute-declared function, resolved for this file. */
  api(name: string): Api | undefined;
  /** A project function's or local macro's summary (callees are analysed first). */
  summary(name: string): Summary | undefined;
  structFields(type: string): Map<string, VarType> | undefined;
  global(name: string): GlobalVar | undefined;
  returnType(name: string): VarType | undefined;
  /** Set when the function is a type's tp_dealloc: its first parameter is the object being destroyed. */
  deallocOf?: { typeName: string; gc: boolean };
  /** Family of objects a PyType_GenericAlloc(&T) / PyObject_New(.., &T) call makes, when T is known. */
  typeIsGc(name: string): boolean | undefined;
  /** Offset of an expression to describe (hover): what it holds where it is evaluated. */
  probe?: number;
  /** Returning NULL / -1 reports an error to Python (nomemory-not-set applies). */
  errorReturn: 'null' | 'minus-one' | undefined;
  budget: number;
}

export interface FlowResult {
  /** Markdown describing the probed expression, when FlowContext.probe was set. */
  probe?: string;
  events: FlowEvent[];
  summary: Summary;
  sites: Map<number, Syntax>;
  aborted: boolean;
}

interface ObjInfo {
  alloc: AllocFact;
  site: number;
  token?: string;
  leakSuppressed?: boolean;
  inSlot?: boolean;
  /** Written through a pointer to one of several locations (`f(table[i])` with table = {&a, &b}): it stands for several blocks. */
  many?: boolean;
}

interface Local extends VarType {
  isStatic: boolean;
  /** The block a local of an inner block lives in (one declaration of the name only). */
  scope?: { start: number; end: number };
}

const NULL_NAMES = new Set(['NULL', 'nullptr']);
/** Keys of API-kept slots (capsule pointers) among field keys: `<slot> <name>`, e.g. `capsule "mod.table"`. */
export const SLOT_PREFIX = '\u0002';

export function analyzeFunction(ctx: FlowContext): FlowResult {
  let analysis = new FunctionAnalysis(ctx, MAX_DISJUNCTS);
  let result = analysis.run();
  let cheap = true;
  let before: string | undefined;
  for (const step of REFINEMENTS) {
    if (!cheap || result.aborted || !analysis.limitHit || !result.events.some(suspicious)) break;
    // a wider analysis that found the same suspicious events as the narrower one is not widened again
    const now = suspicions(result);
    if (before !== undefined && now === before) break;
    before = now;
    // a wider analysis rarely needs more than a dozen times the steps of the narrower one; one that does
    // is a function whose paths do not converge, and giving up early spares the time
    const budget = Math.min(ctx.budget * step.budget, Math.max(REFINE_MIN_BUDGET, analysis.steps * REFINE_GROWTH));
    const next = new FunctionAnalysis({ ...ctx, budget }, step.disjuncts);
    const refined = next.run();
    if (refined.aborted) break;
    analysis = next;
    result = refined;
    cheap = next.steps < step.nextIfUnder;
  }
  return result;
}

/** The suspicious events of a result, as one string that is equal for equal events. */
function suspicions(result: FlowResult): string {
  return result.events.filter(suspicious).map(e => JSON.stringify(e)).sort().join('\n');
}

/** Events that may become findings (a well-matched release or a field assignment never does on its own). */
function suspicious(e: FlowEvent): boolean {
  switch (e.kind) {
    case 'release': {
      const r = e.released;
      if (r.what === 'block') return r.freed || r.moved || (e.family !== '*' && r.alloc.family !== e.family);
      if (r.what === 'borrowed' || r.what === 'nonheap' || r.what === 'newref') return true;
      if (r.what === 'typed-self') return r.freed || r.family !== e.family;
      return r.freed;
    }
    case 'field-assign':
    case 'field-release':
      return false;
    default:
      return true;
  }
}

class FunctionAnalysis {
  private readonly src: string;
  private readonly model: Model;
  private readonly locals = new Map<string, Local>();
  private readonly params = new Map<string, number>();
  private readonly sites = new Map<number, Syntax>();
  private readonly objs = new Map<string, ObjInfo>();
  private readonly targetApi = new Map<string, string>();
  private readonly fieldKeys = new Map<string, string>();
  private readonly events: FlowEvent[] = [];
  private readonly summary: Summary;
  private readonly releases = new Map<string, ReleaseFact>();
  /**
   * Events are reported (rules' events, not the summary): on during the fixpoint too, where each
   * transfer's events are kept on the state transferred, so that the reporting pass replays those of
   * the final states instead of transferring them again.
   */
  private reporting = false;
  /** The reporting pass: returns and the exit also write the summary and the leak checks then. */
  private finalPass = false;
  /** `p = realloc(p, n)` calls: reported as realloc-leak, so their blocks are not also leaks. */
  private readonly reallocLeakSites = new Set<number>();
  steps = 0;
  private cur!: State;

  /** Some program point had more paths than the limit, so some were merged. */
  limitHit = false;

  constructor(private readonly ctx: FlowContext, private readonly maxDisjuncts: number) {
    this.src = ctx.source;
    this.model = ctx.model;
    this.summary = emptySummary(ctx.fn.name);
    if (ctx.fn.macro) this.summary.macro = true;
    ctx.fn.params.forEach((p, i) => this.params.set(p.name, i));
    walk(ctx.fn.body, n => {
      if (n.type !== 'declaration') return;
      const base = typeName(child(n, 'type'), this.src);
      const isStatic = n.children.some(c => c.type === 'storage_class_specifier' && textOf(c, this.src) === 'static');
      for (const d of childrenOf(n, 'declarator')) {
        const target = d.type === 'init_declarator' ? child(d, 'declarator') : d;
        const id = declaredName(target);
        if (!id) continue;
        const shape = declaratorShape(target);
        const name = textOf(id, this.src);
        const block = n.parent?.type === 'compound_statement' && n.parent !== ctx.fn.body ? n.parent : undefined;
        const scope = block && !this.locals.has(name) ? { start: block.start, end: block.end } : undefined;
        this.locals.set(name, { base, pointers: shape.pointers, array: shape.array, isStatic, scope });
      }
    });
  }

  run(): FlowResult {
    const cfg = buildCfg(this.ctx.fn.body, this.src, { noreturn: this.model.noreturn, returnMacros: this.model.returnMacros, transparent: this.model.conditionHints });
    const inStates: State[][] = cfg.nodes.map(() => []);
    const collapsed = new Uint8Array(cfg.nodes.length);
    inStates[cfg.entry].push(this.entryState());
    const rpo = reversePostorder(cfg);
    // loop heads: targets of back edges. Paths are not kept apart by branch facts there, or loops whose
    // conditions flip on every iteration would multiply states without telling anything new.
    for (const n of cfg.nodes) {
      for (const t of n.succ) {
        if (t === undefined || rpo[t] > rpo[n.id]) continue;
        if (!this.loopAssigned.has(t)) this.loopAssigned.set(t, new Set());
        this.collectLoopAssignments(cfg, t, n.id, this.loopAssigned.get(t)!);
      }
    }
    const queued = new Uint8Array(cfg.nodes.length);
    const work = new MinQueue();
    work.push(rpo[cfg.entry]);
    const byRank = new Int32Array(cfg.nodes.length);
    rpo.forEach((rank, id) => (byRank[rank] = id));
    queued[cfg.entry] = 1;
    let aborted = false;
    this.reporting = true;
    // a node queued again because one of its paths changed transfers that path only (the others'
    // results are already at the successors)
    while (work.size) {
      const id = byRank[work.pop()];
      queued[id] = 0;
      const node = cfg.nodes[id];
      for (const s of [...inStates[id]]) {
        if (s.doneVersion === s.version) continue;
        s.doneVersion = s.version;
        if (++this.steps > this.ctx.budget) {
          aborted = true;
          break;
        }
        const mark = this.events.length;
        const outs = this.transfer(node, new State(s));
        const before = s.recorded;
        s.recorded = this.events.length > mark ? this.events.splice(mark) : undefined;
        if (before) this.keepDefinite(before, s.recorded);
        for (const [slot, out] of outs) {
          const to = node.succ[slot];
          if (to === undefined) continue;
          const st = this.applyFact(out, node.facts[slot]);
          if (!st) continue;
          if (this.propagate(inStates, collapsed, to, st) && !queued[to]) {
            queued[to] = 1;
            work.push(rpo[to]);
          }
        }
      }
      if (aborted) break;
    }
    if (!aborted) {
      this.finalPass = true;
      // the exit node last: its summary reads what every return recorded (out-parameter conventions)
      const order = [...cfg.nodes.filter(n => n.id !== cfg.exit), cfg.nodes[cfg.exit]];
      for (const node of order) {
        if (TRACE_LINE && 'n' in node.instr && (node.instr as { n: Syntax }).n.row + 1 === TRACE_LINE) this.trace(node.id, inStates[node.id]);
        const op = node.instr.op;
        if (op === 'return' || op === 'exit') for (const s of inStates[node.id]) this.transfer(node, new State(s));
        else for (const s of inStates[node.id]) if (s.recorded) for (const e of s.recorded) this.events.push(e);
      }
      for (const e of this.superseded.values()) this.events.push(e);
      if (this.ctx.probe !== undefined) this.probeResult = this.describeAt(cfg, inStates, this.ctx.probe);
      this.summary.releases = [...this.releases.values()];
      for (const [param, c] of this.flagCases) {
        const [block] = c.block;
        if (c.block.size === 1 && c.fixed.size === 1 && c.fixed.has('n') && block !== '?' && block !== 'n') {
          this.summary.ownedFlag = { param };
          break;
        }
      }
    } else {
      this.summary.unknown = true;
    }
    return { events: aborted ? [] : this.events, summary: this.summary, sites: this.sites, aborted, probe: this.probeResult };
  }

  // ---------------------------------------------------------------- fixpoint plumbing

  /** For each loop head, the variables assigned somewhere in its loop. */
  private readonly loopAssigned = new Map<number, Set<string>>();

  private trace(node: number, states: State[]): void {
    for (const s of states) {
      console.error(`node ${node} noMem=${s.noMem} facts=${s.factsKey()} ${[...s.vars].map(([k, v]) => `${k}=${v}`).join(' ')} | ${[...s.status].map(([k, v]) => `${k}#${v.bits}`).join(' ')}`);
    }
  }
  private probeResult: string | undefined;
  private nullWithoutException = false;
  /** Out-parameters written with blocks of more than one family. */
  private readonly mixedOut = new Set<number>();

  /** What the expression at `offset` holds on entry to the instruction that evaluates it, over all paths. */
  private describeAt(cfg: Cfg, inStates: State[][], offset: number): string | undefined {
    // the innermost lvalue-like expression around the offset
    let target: Syntax | undefined;
    walk(this.ctx.fn.body, n => {
      if (offset < n.start || offset > n.end) return false;
      if (n.type === 'identifier' || n.type === 'field_expression' || n.type === 'subscript_expression' || (n.type === 'pointer_expression' && n.op === '*')) target = n;
    });
    if (!target) return undefined;
    if (target.type === 'identifier' && target.parent?.type === 'field_expression' && target.field === 'field') target = target.parent;
    if (target.type === 'identifier' && target.parent?.type === 'call_expression' && target.field === 'function') return undefined;
    // the instruction whose syntax encloses it most tightly
    let best: { node: number; size: number } | undefined;
    for (const node of cfg.nodes) {
      const ins = node.instr;
      const syn = ins.op === 'eval' || ins.op === 'decl' ? ins.n : ins.op === 'branch' ? ins.cond : ins.op === 'assign' ? ins.at : ins.op === 'return' && !ins.implicit ? ins.at : undefined;
      if (!syn || syn.start > target.start || syn.end < target.end) continue;
      const size = syn.end - syn.start;
      if (!best || size < best.size) best = { node: node.id, size };
    }
    if (!best || inStates[best.node].length === 0) return undefined;
    const text = this.src.slice(target.start, target.end);
    const lines: string[] = [];
    const seen = new Set<string>();
    for (const s of inStates[best.node]) {
      this.cur = new State(s);
      const saved = this.events.length;
      const v = this.evalQuiet(target);
      this.events.length = saved;
      for (const t of v) {
        const d = this.describeTarget(t, this.cur);
        if (d && !seen.has(d)) {
          seen.add(d);
          lines.push(`- ${d}`);
        }
      }
    }
    if (!lines.length) return undefined;
    return [`**\`${text}\`** here ${lines.length > 1 ? 'may hold, depending on the path' : 'holds'}:`, ...lines].join('\n');
  }

  private describeTarget(t: string, st: State): string | undefined {
    const c = t[0];
    const line = (site: number | undefined) => (site === undefined ? '?' : String((this.sites.get(site)?.row ?? 0) + 1));
    if (t === 'n') return 'NULL';
    if (t === 'u') return undefined;
    if (c === 'o') {
      const info = this.objs.get(t);
      if (!info) return undefined;
      const s = st.status.get(t);
      const bits = s?.bits ?? 0;
      const via = info.alloc.via.length ? `${info.alloc.via[0]}() (which allocates with ${info.alloc.api}())` : `${info.alloc.api}()`;
      const fam = this.model.families.get(info.alloc.family)?.label ?? info.alloc.family;
      const state = bits & FREED ? `released at line ${line(s?.freedAt)}` : bits & MOVED ? `moved by a realloc at line ${line(s?.freedAt)}` : bits & MAYFREED ? 'possibly released' : bits & ESCAPED ? 'live, handed to other code' : bits & LIVE ? 'live' : 'not allocated on this path';
      const release = this.model.families.get(info.alloc.family)?.release;
      return `a block from ${via} at line ${line(info.site)} — ${fam}; ${state}${release && bits & LIVE ? `; release with ${release}()` : ''}`;
    }
    if (c === 'b') return `a buffer borrowed from ${this.targetApi.get(t) ?? 'a Python object'} — never release it`;
    if (c === 'r') return `a new reference from ${this.targetApi.get(t) ?? 'the object API'}() — release with Py_DECREF()`;
    if (c === 's' || c === 't' || c === 'l' || c === 'A') return `${this.describeNonHeap(t)} — not heap memory`;
    if (c === 'p') return `the value passed in as parameter ${Number(t.slice(1)) + 1}${st.bits(t) & FREED ? ' (released in this function)' : ''}`;
    if (c === 'f') {
      const key = this.fieldKeys.get(t);
      const place = !key ? 'this location' : key.startsWith(SLOT_PREFIX) ? key.slice(SLOT_PREFIX.length) : `'${key}'`;
      return `what ${place} held when the function was entered${st.bits(t) & FREED ? ' (released in this function)' : ''}`;
    }
    if (c === 'g') return `the global '${t.slice(1)}'`;
    return undefined;
  }

  /** Names assigned by the nodes of the natural loop of back edge tail -> head. */
  /** CFG nodes inside some loop (between a loop head and one of its back edges). */
  private readonly inLoop = new Set<number>();
  /** The node being transferred. */
  private curNode = -1;

  private collectLoopAssignments(cfg: Cfg, head: number, tail: number, into: Set<string>): void {
    this.inLoop.add(head);
    const seen = new Set<number>([head]);
    const stack = [tail];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      this.inLoop.add(id);
      const ins = cfg.nodes[id].instr;
      const n = ins.op === 'eval' || ins.op === 'decl' ? ins.n : ins.op === 'assign' ? ins.lhs : ins.op === 'branch' ? ins.cond : undefined;
      if (n) {
        if (ins.op === 'assign') {
          const r = rootIdentifier(n, this.src);
          if (r) into.add(r);
        } else {
          walk(n, c => {
            const target = c.type === 'assignment_expression' ? child(c, 'left') : c.type === 'update_expression' ? child(c, 'argument') : c.type === 'init_declarator' ? child(c, 'declarator') : undefined;
            const id = target ? declaredName(target) : undefined;
            const r = target ? rootIdentifier(target, this.src) ?? (id ? textOf(id, this.src) : undefined) : undefined;
            if (r) into.add(r);
          });
        }
      }
      for (const p of cfg.nodes[id].preds) stack.push(p);
    }
  }

  /**
   * Path keys are built from parts cached per map (states share maps until they write, so most
   * transfers find their parts here) or kept by the maps themselves (their entry hashes: two states
   * whose hashes agree are taken to hold the same, with odds of error of 2^-53, which would at worst
   * merge two paths), and interned as small numbers: the states at a node are compared by key on
   * every propagation, and long strings would be hashed and compared again each time.
   */
  private readonly ids = new Map<string, number>();

  private intern(text: string): number {
    let id = this.ids.get(text);
    if (id === undefined) this.ids.set(text, (id = this.ids.size + this.tupleCount));
    return id;
  }

  /** Tuples of numbers interned like strings (ids from the same sequence), without building a string. */
  private readonly tuples = new Map<number, Map<number, Map<number, number>>>();
  private tupleCount = 0;

  private internTuple(a: number, b: number, c = 0): number {
    let byA = this.tuples.get(a);
    if (!byA) this.tuples.set(a, (byA = new Map()));
    let byB = byA.get(b);
    if (!byB) byA.set(b, (byB = new Map()));
    let id = byB.get(c);
    if (id === undefined) byB.set(c, (id = this.ids.size + this.tupleCount++));
    return id;
  }

  /**
   * What the variables contribute to the path key, as a hash of the entries that count: integer flags
   * holding constants (`owned = 1`, not assigned in the loop whose head this is) keep paths apart like
   * branch facts do, and so do local pointers that certainly hold stack or static storage (`out =
   * stackbuf` before it grows onto the heap: merged with the heap paths, `out != stackbuf` could no
   * longer tell the two apart).
   */
  private varsKey(st: State, assigned: Set<string> | undefined): number {
    const vars = st.vars;
    const c = vars.keyMemo;
    if (c && c.writes === vars.writes && c.tag === assigned) return c.value;
    let parts = this.keyParts.get(assigned);
    if (!parts) {
      const part = (seed: number) => (loc: string, v: Val): number => {
        if (v.length !== 1 || !loc.startsWith('v:')) return 0;
        const t = v[0];
        const c0 = t.charCodeAt(0);
        if (c0 === 115 /* s */ || c0 === 116 /* t */) return textHash(seed ^ 0x27d4eb2f, loc);
        if (t !== 'n' && c0 !== 99 /* c */) return 0;
        const name = loc.slice(2);
        const local = this.locals.get(name);
        if (!local || local.pointers > 0 || local.array || assigned?.has(name)) return 0;
        return varHash(seed, loc, v);
      };
      parts = { a: part(SEED_A), b: part(SEED_B), basesA: new WeakMap(), basesB: new WeakMap() };
      this.keyParts.set(assigned, parts);
    }
    const id = combineHalves(vars.entryHash(parts.a, parts.basesA), vars.entryHash(parts.b, parts.basesB));
    vars.keyMemo = { writes: vars.writes, tag: assigned, value: id };
    return id;
  }

  /** varsKey's entry hashes per loop head (a base's hash is computed once per head). */
  private readonly keyParts = new Map<Set<string> | undefined, {
    a: (loc: string, v: Val) => number;
    b: (loc: string, v: Val) => number;
    basesA: WeakMap<object, number>;
    basesB: WeakMap<object, number>;
  }>();

  private releasedKey(st: State): number {
    const status = st.status;
    const c = status.keyMemo;
    if (c && c.writes === status.writes) return c.value;
    const id = this.intern(releasedKey(status));
    status.keyMemo = { writes: status.writes, tag: undefined, value: id };
    return id;
  }

  /** The branch facts; at a loop head only those the loop cannot change. */
  private factsKey(st: State, assigned: Set<string> | undefined): number {
    const facts = st.facts;
    if (!assigned || facts.size === 0) return factsHash(facts);
    const c = facts.keyMemo;
    if (c && c.writes === facts.writes && c.tag === assigned) return c.value;
    const keep: [string, boolean][] = [];
    for (const [k, v] of facts) {
      const deps = st.factDeps.get(k) ?? [];
      if (!deps.some(d => assigned.has(d))) keep.push([k, v]);
    }
    const id = factsHashOf(keep);
    facts.keyMemo = { writes: facts.writes, tag: assigned, value: id };
    return id;
  }

  /** Everything a state holds (values and block states, NONNULL aside), as one number. */
  private valueKey(st: State): number {
    const vars = st.vars;
    let v = vars.hashMemo;
    if (!v || v.writes !== vars.writes) vars.hashMemo = v = { writes: vars.writes, tag: undefined, value: varsHash(vars) };
    const status = st.status;
    let x = status.hashMemo;
    if (!x || x.writes !== status.writes) status.hashMemo = x = { writes: status.writes, tag: undefined, value: statusHash(status) };
    return this.internTuple(v.value, x.value);
  }

  /** Keys of the states waiting at a node, recomputed only when a state changed since. */

  /** Which paths may be joined at `node`: same key, same pending failure, same GIL. */
  private stateKey(st: State, node: number): number {
    let key: number;
    if (st.keyNode === node && st.keyVersion === st.version) key = st.keyId;
    else {
      const assigned = this.loopAssigned.get(node);
      key = this.internTuple(this.factsKey(st, assigned), this.varsKey(st, assigned), this.releasedKey(st));
      st.keyNode = node;
      st.keyVersion = st.version;
      st.keyId = key;
    }
    return withFailureAndGil(key, st);
  }

  private propagate(inStates: State[][], collapsed: Uint8Array, to: number, st: State): boolean {
    const list = inStates[to];
    const implicit = (loc: string) => this.implicit(loc);
    if (collapsed[to]) return joinInto(list[0], st, implicit);
    const key = this.stateKey(st, to);
    for (const s of list) if (this.stateKey(s, to) === key) return joinInto(s, st, implicit);
    if (list.length < this.maxDisjuncts) {
      list.push(st);
      return true;
    }
    this.limitHit = true;
    // too many paths: keep apart only those that differ in facts about stable flags (parameters and
    // variables assigned once, #if conditions), which are the ones later branches test again
    // (the oldest such facts first: flags tested before an allocation are the ones that choose its family)
    const all = [...list, st];
    // first: paths that hold the same values need no fact to tell them apart
    const byValue = new Map<number, State>();
    for (const s of all) {
      const key = withFailureAndGil(this.valueKey(s), s);
      const g = byValue.get(key);
      if (g) this.mergeAway(g, s, implicit);
      else byValue.set(key, s);
    }
    if (byValue.size <= this.maxDisjuncts) {
      inStates[to] = [...byValue.values()];
      return true;
    }
    const stable = all.map(s => this.stableFacts(s));
    const longest = Math.max(...stable.map(f => f.length));
    const prefix = (f: readonly number[], k: number) => (f.length === 0 ? -1 : f[Math.min(k, f.length) - 1]);
    for (let k = longest; k >= 1; k--) {
      const keys = stable.map(f => prefix(f, k));
      if (new Set(keys).size > this.maxDisjuncts) continue;
      const groups = new Map<number, State>();
      all.forEach((s, i) => {
        const key = withFailureAndGil(keys[i] + 1, s);
        const g = groups.get(key);
        if (g) this.mergeAway(g, s, implicit);
        else groups.set(key, s);
      });
      if (groups.size > this.maxDisjuncts) continue;
      inStates[to] = [...groups.values()];
      return true;
    }
    const merged = list[0];
    for (let i = 1; i < list.length; i++) this.mergeAway(merged, list[i], implicit);
    joinInto(merged, st, implicit);
    inStates[to] = [merged];
    collapsed[to] = 1;
    return true;
  }

  private stableNames: Set<string> | undefined;

  /**
   * A state's facts about stable flags, oldest first, as interned prefixes: element k-1 stands for the
   * first k of them (paths are grouped by how many of their oldest such facts they share).
   */
  private stableFacts(st: State): readonly number[] {
    if (!this.stableNames) {
      const counts = new Map<string, number>();
      const bump = (n: string | undefined) => n && counts.set(n, (counts.get(n) ?? 0) + 1);
      walk(this.ctx.fn.body, c => {
        if (c.type === 'assignment_expression') bump(rootIdentifier(child(c, 'left')!, this.src));
        else if (c.type === 'update_expression') bump(rootIdentifier(child(c, 'argument')!, this.src));
        else if (c.type === 'init_declarator') {
          const id = declaredName(child(c, 'declarator'));
          if (id) bump(textOf(id, this.src));
        }
      });
      this.stableNames = new Set([...this.params.keys(), ...this.locals.keys()].filter(n => (counts.get(n) ?? 0) <= 1));
    }
    const c = st.facts.prefixMemo;
    if (c && c.writes === st.facts.writes) return c.value;
    const prefixes: number[] = [];
    let id = -1;
    for (const [k, v] of st.facts) {
      const deps = st.factDeps.get(k) ?? [];
      if (deps.every(d => this.stableNames!.has(d))) prefixes.push((id = this.intern(`${id}${v ? '+' : '-'}${k}`)));
    }
    st.facts.prefixMemo = { writes: st.facts.writes, tag: undefined, value: prefixes };
    return prefixes;
  }

  private applyFact(st: State, fact: EdgeFact | undefined): State | null {
    if (!fact) return st;
    const pairs: [string, boolean][] = fact.key ? [[fact.key, fact.value], ...(fact.others ?? []).map(k => [k, false] as [string, boolean]), ...(fact.also ?? [])] : [];
    for (const [key, value] of pairs) {
      const known = st.facts.get(key);
      if (known !== undefined && known !== value) return null;
    }
    if (fact.notAll?.every(([key, value]) => st.facts.get(key) === value)) return null;
    for (const [key, value] of pairs) st.setFact(key, value, fact.deps);
    return fact.switchCase ? this.applyCase(st, fact.switchCase) : st;
  }

  /** A switch edge narrows the scrutinee's value like `if (x == value)` (or none of the values, for default). */
  private applyCase(st: State, sc: NonNullable<EdgeFact['switchCase']>): State | null {
    this.cur = st;
    const subject = unwrapParens(sc.scrutinee);
    const saved = this.events.length;
    for (const value of sc.values) {
      const literal = literalValue(value, this.src);
      if (literal === undefined) continue;
      const v = st.vars.get(rememberedKey(sc.scrutinee)) ?? this.evalQuiet(subject);
      if (!constantsAllow(v, '==', literal, sc.equal) || !this.refine(subject, v, outcome('==', literal, sc.equal))) {
        this.events.length = saved;
        return null;
      }
    }
    this.events.length = saved;
    return st;
  }

  private entryState(): State {
    const st = new State();
    this.ctx.fn.params.forEach((p, i) => {
      st.setVar(`v:${p.name}`, [`p${i}`]);
    });
    const d = this.ctx.deallocOf;
    if (d && this.ctx.fn.params.length > 0) {
      const t = 'oself';
      this.objs.set(t, {
        alloc: { family: d.gc ? 'gc-object' : 'object', api: `${d.typeName}.tp_alloc`, via: [], setsException: true, typed: true },
        site: this.ctx.fn.node.start,
      });
      this.sites.set(this.ctx.fn.node.start, this.ctx.fn.node);
      st.setStatus(t, { bits: LIVE | ESCAPED });
      st.setVar(`v:${this.ctx.fn.params[0].name}`, [t]);
    }
    return st;
  }

  // ---------------------------------------------------------------- instructions

  private transfer(node: CfgNode, st: State): [number, State][] {
    this.cur = st;
    this.curNode = node.id;
    const ins = node.instr;
    switch (ins.op) {
      case 'entry':
      case 'nop':
        return node.succ.map((_, i) => [i, i === 0 ? st : new State(st)]);
      case 'exit':
        if (this.finalPass) this.collectSummary(st);
        return [];
      case 'eval': {
        const v = this.eval(ins.n);
        if (ins.remember && !isPure(ins.n)) st.setVar(rememberedKey(ins.n), v);
        return node.succ.map((_, i) => [i, i === 0 ? st : new State(st)]);
      }
      case 'decl':
        this.declare(ins.n, ins.lowered);
        return [[0, st]];
      case 'assign': {
        this.assign(ins.lhs, ins.rhs, ins.at);
        return [[0, st]];
      }
      case 'branch':
        return this.branch(ins.cond, st);
      case 'return': {
        const v: Val = ins.value ? this.eval(ins.value) : ['u'];
        if (ins.value) this.handStructOut(ins.value);
        this.site(ins.at);
        if (this.finalPass && !ins.implicit) this.checkNoMem(st, v, ins.at);
        st.ret = v;
        st.retSite = ins.implicit ? -1 : ins.at.start;
        if (this.finalPass) {
          this.atReturn(st);
          this.noteOutParams(st, v);
          // NULL returned while an allocation failure is still without an exception: callers must set one
          if (v.includes('n') && st.noMem >= 0) this.nullWithoutException = true;
        }
        return [[0, st]];
      }
    }
  }

  private declare(n: Syntax, lowered: Set<Syntax> | undefined): void {
    for (const d of childrenOf(n, 'declarator')) {
      const target = d.type === 'init_declarator' ? child(d, 'declarator') : d;
      const id = declaredName(target);
      if (!id) continue;
      const name = textOf(id, this.src);
      const local = this.locals.get(name);
      const loc = `v:${name}`;
      if (local?.array) {
        this.cur.setVar(loc, [local.isStatic ? `t${name}` : `s${name}`]);
        const value = d.type === 'init_declarator' ? child(d, 'value') : undefined;
        if (value) {
          const v = this.eval(value);
          if (value.type === 'initializer_list') {
            const slot = `${local.isStatic ? 't' : 's'}${name}->[]`;
            this.cur.setVar(slot, value.children.map(c => this.eval(c)).reduce((a, b) => union(a, b), [] as Val));
          } else if (v.length) this.cur.setVar(`${local.isStatic ? 't' : 's'}${name}->[]`, ['u']);
        }
        continue;
      }
      if (d.type !== 'init_declarator' || lowered?.has(d)) {
        this.cur.setVar(loc, local?.isStatic ? ['u'] : []);
        this.invalidate(name);
        continue;
      }
      const value = child(d, 'value');
      if (!value) continue;
      if (value.type === 'initializer_list') {
        this.eval(value);
        this.cur.setVar(loc, ['u']);
        continue;
      }
      this.checkReallocLeak(id, value);
      this.store(id, this.eval(value), d);
    }
  }

  private assign(lhs: Syntax, rhs: Syntax, at: Syntax): void {
    this.checkReallocLeak(lhs, rhs);
    this.store(lhs, this.eval(rhs), at);
    this.copyMembers(lhs, rhs);
  }

  /** `*list = copy;` with struct values: every member location of the source is copied too. */
  /**
   * `*list = copy`: a whole-struct assignment copies the members the state knows. The struct may be
   * declared in a header outside the project, so only its members' locations are needed, not its
   * declaration. `x.f` and `p->f` are spelled differently: `*p` with `.f` is `p->f`.
   */
  private copyMembers(lhs: Syntax, rhs: Syntax): void {
    const t = this.typeOf(rhs);
    if (!t || t.pointers > 0 || t.array) return;
    const saved = this.events.length;
    const from = this.places(rhs);
    const to = this.places(lhs);
    this.events.length = saved;
    if (from.locs.length !== 1 || to.locs.length !== 1) return;
    const member = (loc: string) => (loc.endsWith('->*') ? `${loc.slice(0, -1)}` : `${loc}.`);
    const src = member(from.locs[0]);
    const dst = member(to.locs[0]);
    for (const [loc, v] of [...this.cur.vars]) {
      if (loc.startsWith(src)) this.cur.setVar(dst + loc.slice(src.length), v);
    }
  }

  // ---------------------------------------------------------------- expressions

  private site(n: Syntax): number {
    this.sites.set(n.start, n);
    return n.start;
  }

  private eval(n: Syntax): Val {
    switch (n.type) {
      case 'identifier': {
        const name = textOf(n, this.src);
        if (NULL_NAMES.has(name)) return ['n'];
        return this.read(`v:${name}`);
      }
      case 'null':
        return ['n'];
      case 'number_literal': {
        const t = textOf(n, this.src).replace(/[uUlL]+$/, '');
        return t === '0' ? ['n'] : [`c${t}`];
      }
      case 'string_literal':
      case 'concatenated_string':
        return ['l'];
      case 'char_literal':
      case 'true':
      case 'false':
      case 'sizeof_expression':
      case 'alignof_expression':
      case 'offsetof_expression':
        return [];
      case 'parenthesized_expression': {
        let v: Val = [];
        for (const c of n.children) v = this.eval(c);
        return v;
      }
      case 'cast_expression': {
        const value = child(n, 'value');
        return value ? this.eval(value) : ['u'];
      }
      case 'assignment_expression': {
        const left = child(n, 'left')!;
        const right = child(n, 'right')!;
        if (n.op === '=') {
          this.checkReallocLeak(left, right);
          const v = this.eval(right);
          this.store(left, v, n);
          this.copyMembers(left, right);
          return v;
        }
        this.eval(right);
        const old = this.eval(left);
        this.store(left, this.advanced(old, n.op === '+=' || n.op === '-='), n);
        return [];
      }
      case 'update_expression': {
        const arg = child(n, 'argument')!;
        const old = this.eval(arg);
        this.store(arg, this.advanced(old, true), n);
        return [];
      }
      case 'call_expression':
        return this.call(n);
      case 'field_expression':
        return this.memberArray(n) ?? this.readPlace(n);
      case 'subscript_expression':
        return this.readPlace(n);
      case 'pointer_expression': {
        const arg = child(n, 'argument')!;
        if (n.op === '&') return this.addressOf(arg);
        return this.readPlace(n);
      }
      case 'unary_expression': {
        const arg = child(n, 'argument')!;
        const v = this.eval(arg);
        if (n.op === '-' && v.length === 1 && v[0].startsWith('c')) return [`c-${v[0].slice(1)}`];
        if (n.op === '-' && v.length === 1 && v[0] === 'n') return ['n'];
        return [];
      }
      case 'binary_expression': {
        const l = this.eval(child(n, 'left')!);
        const r = this.eval(child(n, 'right')!);
        // p + n points into the same block: whoever keeps it keeps the block
        if (n.op === '+' || n.op === '-') {
          const block = (t: string) => 'opfg'.includes(t[0]);
          const base = l.filter(block);
          if (base.length) return base;
          if (n.op === '+' && r.some(block)) return r.filter(block);
          if (this.hasPointer(l)) return ['u'];
        }
        return [];
      }
      case 'conditional_expression': {
        const cond = child(n, 'condition')!;
        this.eval(cond);
        const c = child(n, 'consequence');
        const a = c ? this.armValue(cond, c, true) : ['u'];
        return union(a, this.armValue(cond, child(n, 'alternative')!, false));
      }
      case 'comma_expression': {
        this.eval(child(n, 'left')!);
        return this.eval(child(n, 'right')!);
      }
      case 'initializer_list':
      case 'compound_literal_expression':
        for (const c of n.children) this.eval(c);
        return ['u'];
      case 'initializer_pair': {
        const v = child(n, 'value');
        return v ? this.eval(v) : [];
      }
      default:
        for (const c of n.children) if (c.type !== 'type_descriptor') this.eval(c);
        return ['u'];
    }
  }

  /**
   * The value of a `?:` arm that repeats the tested pointer, narrowed by the test:
   * `p != stackbuf ? p : NULL` never yields stackbuf, `p ? p : q` never yields NULL from p.
   */
  private armValue(cond: Syntax, arm: Syntax, whenTrue: boolean): Val {
    const v = this.eval(arm);
    if (!isPure(arm)) return v;
    const text = (x: Syntax) => this.spelled(unwrapParens(x));
    let e = unwrapParens(cond);
    let truth = whenTrue;
    while (e.type === 'unary_expression' && e.op === '!') {
      e = unwrapParens(child(e, 'argument')!);
      truth = !truth;
    }
    if (e.type === 'binary_expression' && (e.op === '==' || e.op === '!=')) {
      const l = child(e, 'left');
      const r = child(e, 'right');
      if (!l || !r) return v;
      const [subject, other] = text(l) === text(arm) ? [l, r] : text(r) === text(arm) ? [r, l] : [undefined, undefined];
      if (!subject || !other) return v;
      const equal = (e.op === '==') === truth;
      const ov = this.evalQuiet(other);
      const otherIsNull = literalValue(other, this.src) === 0 || (ov.length === 1 && ov[0] === 'n');
      if (!otherIsNull && !isIdentity(ov)) return v;
      // an empty result: this arm is never taken with this value
      return equal ? v.filter(t => ov.includes(t) || t === 'u') : v.filter(t => !ov.includes(t));
    }
    if (text(e) === text(arm) && truth) {
      const nonNull = v.filter(t => t !== 'n');
      return nonNull.length ? nonNull : v;
    }
    return v;
  }

  /**
   * A pointer after `p++`, `p += n` (arithmetic: still inside the same block, so `p - 1` later
   * releases it) or after another compound assignment (unknown).
   */
  private advanced(old: Val, arithmetic: boolean): Val {
    if (!this.hasPointer(old)) return [];
    const blocks = arithmetic ? old.filter(t => 'opfg'.includes(t[0])) : [];
    return blocks.length ? blocks : ['u'];
  }

  /** `ms.temparray` where `ms` is a local struct and `temparray` an array member: stack (or static) storage. */
  private memberArray(n: Syntax): Val | undefined {
    if (n.op !== '.') return undefined;
    const arg = child(n, 'argument');
    const fieldNode = child(n, 'field');
    if (!arg || !fieldNode) return undefined;
    const base = unwrapParens(arg);
    if (base.type !== 'identifier') return undefined;
    const name = textOf(base, this.src);
    const local = this.locals.get(name);
    if (!local || local.pointers > 0 || local.array) return undefined;
    const field = textOf(fieldNode, this.src);
    if (!this.ctx.structFields(local.base)?.get(field)?.array) return undefined;
    return [`${local.isStatic ? 't' : 's'}${name}.${field}`];
  }

  /** An expression's text without whitespace: how conditions and lvalues are compared. */
  private spelled(n: Syntax): string {
    return this.src.slice(n.start, n.end).replace(/\s+/g, '');
  }

  private hasPointer(v: Val): boolean {
    return v.some(t => t !== 'n' && t[0] !== 'c');
  }

  /** The value a location has where the state never wrote it. */
  private implicit(loc: string): Val {
    if (loc.startsWith('v:')) {
      const name = loc.slice(2);
      const dot = name.indexOf('.');
      if (dot >= 0) return this.isExternalVar(name.slice(0, dot)) ? [`f${loc}`] : ['u'];
      if (this.params.has(name)) return [`p${this.params.get(name)}`];
      const local = this.locals.get(name);
      if (local) return local.array ? [`${local.isStatic ? 't' : 's'}${name}`] : ['u'];
      const g = this.ctx.global(name);
      if (g) return g.array ? [`t${name}`] : [`g${name}`];
      return ['u'];
    }
    // k-limiting: memory three dereferences away is not tracked (a list walk would never converge)
    if (depth(loc) > MAX_PATH_DEPTH) return ['u'];
    return this.externalRoot(loc) ? [`f${loc}`] : ['u'];
  }

  private isExternalVar(name: string): boolean {
    if (this.params.has(name)) return true;
    const local = this.locals.get(name);
    if (local) return local.isStatic;
    return true;
  }

  /** Whether memory at this location existed before the function ran (reached through a parameter or global). */
  private externalRoot(loc: string): boolean {
    const c = loc.charAt(0);
    if (loc.startsWith('oself')) return true;
    if (c === 'A') return this.externalRoot(loc.slice(1));
    if (c === 'v') {
      const name = headOf(loc, 2, true);
      return this.isExternalVar(name);
    }
    return c === 'p' || c === 'f' || c === 'g' || c === 't' || c === 'u' || c === 'T' || c === 'b' || c === 'r' || c === 'q';
  }

  private read(loc: string): Val {
    return this.cur.vars.get(loc) ?? this.implicit(loc);
  }

  /** Locations an lvalue denotes, and whether a write to them is a strong update. */
  private places(n: Syntax): { locs: string[]; strong: boolean; key?: string } {
    const e = unwrapParens(n);
    switch (e.type) {
      case 'identifier':
        return { locs: [`v:${textOf(e, this.src)}`], strong: true };
      case 'field_expression': {
        const arg = child(e, 'argument')!;
        const field = textOf(child(e, 'field')!, this.src);
        const key = this.fieldKey(arg, field, e.op === '->');
        if (e.op === '.') {
          const inner = this.places(arg);
          return { locs: inner.locs.map(l => `${l}.${field}`), strong: inner.strong, key };
        }
        const base = this.eval(arg);
        this.use(base, e);
        return { ...this.through(base, `->${field}`, `.${field}`, key), key };
      }
      case 'subscript_expression': {
        const arg = child(e, 'argument')!;
        const idx = child(e, 'index');
        if (idx) this.eval(idx);
        const base = this.eval(arg);
        this.use(base, e);
        const inner = unwrapParens(arg);
        const fk = inner.type === 'field_expression' ? this.fieldKey(child(inner, 'argument')!, textOf(child(inner, 'field')!, this.src), inner.op === '->') : undefined;
        const key = fk ? `${fk}[]` : undefined;
        const r = this.through(base, '->[]', '', key);
        return { locs: r.locs, strong: false, key };
      }
      case 'pointer_expression': {
        if (e.op !== '*') return { locs: [], strong: false };
        const arg = child(e, 'argument')!;
        const base = this.eval(arg);
        this.use(base, e);
        return this.through(base, '->*', '', undefined);
      }
      case 'cast_expression':
        return this.places(child(e, 'value')!);
      default:
        return { locs: [], strong: false };
    }
  }

  /** Locations reached through the targets of a pointer value. */
  private through(base: Val, arrow: string, dot: string, key: string | undefined): { locs: string[]; strong: boolean } {
    const locs: string[] = [];
    let unknown = false;
    for (const t of base) {
      if (t === 'n' || t[0] === 'c' || t === 'l' || isToken(t)) continue;
      if (t === 'u') {
        unknown = true;
        continue;
      }
      locs.push(t[0] === 'A' ? `${t.slice(1)}${dot}` : `${t}${arrow}`);
    }
    if (unknown && key) locs.push(`T${key}`);
    return { locs, strong: locs.length === 1 && !unknown };
  }

  /**
   * Fields of the project's own structs. A field of a type declared elsewhere (`Py_buffer.internal`)
   * belongs to whichever code fills it: each exporter releases its own, so families there do not meet.
   */
  private ownField(key: string): boolean {
    return key.startsWith(SLOT_PREFIX) || !!this.ctx.structFields(key.slice(0, key.indexOf('.')));
  }

  /**
   * The key of a slot an API keeps a pointer in (a capsule's, named by its name argument), or
   * undefined when the name is not a literal or an identifier (a computed name names nothing we can match).
   */
  private slotKey(slot: string, nameArg: Syntax | undefined): string | undefined {
    const name = nameArg && unwrap(nameArg);
    if (!name || (name.type !== 'string_literal' && name.type !== 'identifier' && name.type !== 'concatenated_string')) return undefined;
    return `${SLOT_PREFIX}${slot} ${textOf(name, this.src)}`;
  }

  /** Field identity across functions: "<struct type>.<field>". */
  private fieldKey(base: Syntax, field: string, arrow: boolean): string | undefined {
    const t = this.typeOf(base);
    if (!t) return undefined;
    if (arrow && t.pointers < 1 && !t.array) return undefined;
    return `${t.base}.${field}`;
  }

  private readPlace(n: Syntax): Val {
    const e = unwrapParens(n);
    if (e.type === 'field_expression') {
      const bf = this.borrowedField(e);
      if (bf) {
        const arg = child(e, 'argument')!;
        if (e.op === '->') this.use(this.eval(arg), e);
        const t = `b${e.start}`;
        this.targetApi.set(t, bf);
        this.site(e);
        return [t];
      }
    }
    const p = this.places(n);
    let v: Val = [];
    for (const loc of p.locs) {
      let cur = this.cur.vars.get(loc);
      if (!cur) {
        cur = this.implicit(loc);
        if (p.key && cur.length === 1 && cur[0][0] === 'f') this.fieldKeys.set(cur[0], p.key);
      }
      v = union(v, cur);
    }
    return p.locs.length ? v : ['u'];
  }

  private borrowedField(e: Syntax): string | undefined {
    const arg = unwrapParens(child(e, 'argument')!);
    // a view the function filled itself (exporters) or received as a pointer is not a consumer's view
    if (arg.type !== 'identifier' || e.op !== '.') return undefined;
    const local = this.locals.get(textOf(arg, this.src));
    if (!local || local.pointers > 0) return undefined;
    if (this.cur.vars.has(`v:${textOf(arg, this.src)}.${textOf(child(e, 'field')!, this.src)}`)) return undefined;
    const t = this.typeOf(arg);
    if (!t) return undefined;
    const bf = this.model.borrowedFields.get(t.base);
    const field = textOf(child(e, 'field')!, this.src);
    return bf?.fields.has(field) ? `${t.base}.${field}` : undefined;
  }

  private addressOf(arg: Syntax): Val {
    const e = unwrapParens(arg);
    if (e.type === 'identifier') {
      const name = textOf(e, this.src);
      const local = this.locals.get(name);
      if (local?.array) return [`${local.isStatic ? 't' : 's'}${name}`];
      if (!local && !this.params.has(name)) {
        const g = this.ctx.global(name);
        if (g?.array) return [`t${name}`];
      }
      return [`Av:${name}`];
    }
    if (e.type === 'subscript_expression') {
      // &a[i] is a + i: the base pointer itself at index 0, an interior pointer otherwise
      const idx = child(e, 'index');
      const base = this.eval(child(e, 'argument')!);
      if (idx) this.eval(idx);
      // inside a stack or static array it is still that storage
      if (base.length && base.every(t => t[0] === 's' || t[0] === 't')) return base;
      return idx && textOf(idx, this.src) === '0' ? base : ['u'];
    }
    const p = this.places(e);
    return p.locs.map(l => `A${l}`).sort();
  }

  /** Static type of an expression, as far as declarations tell. */
  private typeOf(n: Syntax): VarType | undefined {
    const e = unwrapParens(n);
    switch (e.type) {
      case 'identifier': {
        const name = textOf(e, this.src);
        const local = this.locals.get(name);
        if (local) return local;
        const pi = this.params.get(name);
        if (pi !== undefined) return this.ctx.fn.params[pi];
        return this.ctx.global(name);
      }
      case 'field_expression': {
        const t = this.typeOf(child(e, 'argument')!);
        if (!t) return undefined;
        const f = this.ctx.structFields(t.base)?.get(textOf(child(e, 'field')!, this.src));
        return f ? { ...f, pointers: f.pointers + (f.array ? 1 : 0), array: false } : undefined;
      }
      case 'subscript_expression': {
        const t = this.typeOf(child(e, 'argument')!);
        return t ? { base: t.base, pointers: Math.max(0, t.pointers - (t.array ? 0 : 1)), array: false } : undefined;
      }
      case 'pointer_expression': {
        const t = this.typeOf(child(e, 'argument')!);
        if (!t) return undefined;
        return { base: t.base, pointers: e.op === '&' ? t.pointers + 1 : Math.max(0, t.pointers - 1), array: false };
      }
      case 'cast_expression': {
        const td = child(e, 'type');
        if (!td) return undefined;
        const base = typeName(child(td, 'type'), this.src);
        const stars = (textOf(td, this.src).match(/\*/g) ?? []).length;
        return { base, pointers: stars, array: false };
      }
      case 'call_expression': {
        const f = child(e, 'function');
        return f?.type === 'identifier' ? this.ctx.returnType(textOf(f, this.src)) : undefined;
      }
      default:
        return undefined;
    }
  }

  private isObjectTyped(n: Syntax): boolean {
    const t = this.typeOf(n);
    return !!t && t.pointers >= 1 && this.model.objectType.test(t.base);
  }

  private store(lhs: Syntax, v: Val, at: Syntax): void {
    const e = unwrapParens(lhs);
    if (v.some(t => t[0] === 'q')) {
      const obj = this.isObjectTyped(e);
      v = v.map(t => (t[0] === 'q' ? (obj ? `r${t.slice(1)}` : 'u') : t)).sort();
    }
    const p = this.places(e);
    if (p.locs.length === 0) this.markEscaped(v);
    if (e.type === 'identifier' && !this.worthTracking(textOf(e, this.src), v)) {
      // a plain integer local: only status results and error codes matter later
      if (this.cur.vars.has(p.locs[0])) this.cur.setVar(p.locs[0], ['u']);
    } else {
      for (const loc of p.locs) {
        if (p.strong) this.cur.setVar(loc, v);
        else this.cur.setVar(loc, union(this.read(loc), v));
        // a block kept in an array slot stands for many: loop counts decide its fate, so no leak is claimed
        if (loc.endsWith('->[]')) for (const t of v) if (this.objs.has(t)) this.objs.get(t)!.inSlot = true;
      }
    }
    const root = rootIdentifier(e, this.src);
    if (root) this.invalidate(root);
    if (p.key && e.type !== 'identifier') this.noteFieldAssign(p.key, v, at);
  }

  private worthTracking(name: string, v: Val): boolean {
    const local = this.locals.get(name);
    if (!local || local.pointers > 0 || local.array) return true;
    // flags and status codes (constants, success tokens) steer later branches; computed integers do not
    return v.length > 0 && v.every(t => isToken(t) || t === 'e' || t[0] === 'c' || t === 'n' || t[0] === 'o');
  }

  private invalidate(name: string): void {
    const st = this.cur;
    if (st.facts.size === 0) return;
    let gone: string[] | undefined;
    st.factDeps.forEach((deps, k) => {
      if (deps.includes(name)) (gone ??= []).push(k);
    });
    if (gone) for (const k of gone) st.deleteFact(k);
  }

  /** Writes a value through each target of a pointer (out-parameters). */
  private writeThrough(ptr: Val, v: Val): void {
    const locs: string[] = [];
    for (const t of ptr) {
      if (t === 'n' || t === 'u' || t[0] === 'c' || t === 'l') continue;
      locs.push(t[0] === 'A' ? t.slice(1) : `${t}->*`);
    }
    // one array slot stands for all of them: writing it adds to what the slots hold
    const strong = locs.length === 1 && !locs[0].endsWith('->[]');
    if (locs.length > 1) for (const t of v) if (this.objs.has(t)) this.objs.get(t)!.many = true;
    for (const loc of locs) this.cur.setVar(loc, strong ? v : union(this.read(loc), v));
  }

  /** A new reference written through an out-parameter: released with Py_DECREF, never with a deallocator. */
  private writeNewRef(arg: Syntax | undefined, ptr: Val, t: string, api: string, at: Syntax): void {
    this.targetApi.set(t, api);
    this.writeOut(arg, ptr, [t], at);
  }

  /**
   * A callee writes `v` through the out-parameter `arg`: into what it points to, and, for `&obj->field`,
   * as an assignment of that field (for field-family-conflict).
   */
  private writeOut(arg: Syntax | undefined, ptr: Val, v: Val, at: Syntax): void {
    this.writeThrough(this.outPointer(arg, ptr), v);
    const e = arg && unwrap(arg);
    const inner = e?.type === 'pointer_expression' && e.op === '&' ? child(e, 'argument') : undefined;
    const field = inner && unwrapParens(inner);
    if (field?.type !== 'field_expression') return;
    const base = child(field, 'argument');
    const name = child(field, 'field');
    const key = base && name ? this.fieldKey(base, textOf(name, this.src), field.op === '->') : undefined;
    if (key) this.noteFieldAssign(key, v, at);
  }

  /** Blocks stored in a field of the project's own structs, for field-family-conflict. */
  private noteFieldAssign(key: string, v: Val, at: Syntax): void {
    if (!this.reporting || !this.ownField(key)) return;
    for (const t of v) {
      const info = this.objs.get(t);
      if (info && !info.alloc.typed) this.events.push({ kind: 'field-assign', site: this.site(at), key, alloc: info.alloc, pp: this.preprocFacts() });
    }
  }

  /**
   * Where an out-parameter argument points. `&a[i]` is an interior pointer as a value, but as an
   * out-parameter it names the slot the callee fills (`convert(item, &argv[i])`).
   */
  private outPointer(arg: Syntax | undefined, v: Val): Val {
    const e = arg && unwrap(arg);
    if (e?.type !== 'pointer_expression' || e.op !== '&') return v;
    const inner = child(e, 'argument');
    const slot = inner && unwrapParens(inner);
    if (slot?.type !== 'subscript_expression') return v;
    const saved = this.events.length;
    const p = this.places(slot);
    this.events.length = saved;
    return p.locs.length ? p.locs.map(l => `A${l}`) : v;
  }

  private readThrough(ptr: Val): Val {
    let v: Val = [];
    for (const t of ptr) {
      if (t === 'n' || t === 'u' || t[0] === 'c') continue;
      v = union(v, this.read(t[0] === 'A' ? t.slice(1) : `${t}->*`));
    }
    return v;
  }

  // ---------------------------------------------------------------- block states

  /** `return block;` of a local struct: the blocks its members hold go to the caller. */
  private handStructOut(value: Syntax): void {
    const e = unwrapParens(value);
    if (e.type !== 'identifier') return;
    const name = textOf(e, this.src);
    const local = this.locals.get(name);
    if (!local || local.pointers > 0 || local.array) return;
    const prefix = `v:${name}.`;
    this.cur.vars.forEach((v, loc) => {
      if (loc.startsWith(prefix)) this.markEscaped(v);
    });
  }

  /** `consumes`: what the allocating call takes over (a realloc's argument), not lost by running it again. */
  private newObj(id: string, site: Syntax, alloc: AllocFact, token?: string, consumes?: Val): string {
    const t = `o${id}`;
    const old = this.objs.get(t);
    if (old && this.reporting && !consumes?.includes(t)) this.checkOverwrite(t, old, site);
    if (old && !consumes?.includes(t)) this.ageBlock(t, old);
    this.objs.set(t, { alloc, site: this.site(site), token, leakSuppressed: old?.leakSuppressed || this.reallocLeakSites.has(site.start) });
    if (old) {
      // blocks realloc'ed into this site's previous block stay moved: a failure of this call cannot bring them back
      this.cur.status.forEach((st, k) => {
        if (st.movedTo === t) this.cur.setStatus(k, { ...st, movedTo: undefined });
      });
    }
    this.cur.setStatus(t, { bits: LIVE });
    return t;
  }

  /**
   * The site runs again (a loop) while a block it made before is still held: that block joins the
   * site's older blocks (`<t>~`, which stand for several, so releasing them is never definite), and
   * `t` is the new one alone. Otherwise `free(old); old = new;` in a loop would read as freeing the
   * block just allocated, and a later use of it as a use after free.
   */
  private ageBlock(t: string, info: ObjInfo): void {
    const st = this.cur;
    const s = st.status.get(t);
    if (!s || !(s.bits & (LIVE | FREED | MOVED | MAYFREED | ESCAPED))) return;
    // a block linked into others (list and tree nodes: held in a field, or of a type that points to
    // its own kind) is left as it was: its older and newer selves are reached through each other's
    // fields, which are kept per site, not per block
    const holders: string[] = [];
    for (const [loc, v] of st.vars) {
      if (!v.includes(t)) continue;
      if (!loc.startsWith('v:') || loc.includes('.') || this.linksItsKind(loc.slice(2))) return;
      holders.push(loc);
    }
    if (!holders.length) return;
    const older = `${t}~`;
    for (const loc of holders) st.setVar(loc, union(st.vars.get(loc)!.filter(x => x !== t), [older]));
    const prev = st.status.get(older);
    // as where paths join
    st.setStatus(older, prev ? { bits: joinBits(prev.bits, s.bits), freedAt: prev.freedAt ?? s.freedAt, movedTo: prev.movedTo ?? s.movedTo } : s);
    for (const [k, x] of [...st.status]) if (x.movedTo === t) st.setStatus(k, { ...x, movedTo: older });
    if (!this.objs.has(older)) this.objs.set(older, { ...info, many: true });
  }

  /** The `#if` facts of the current path (their keys start with `#`), for field events. */
  private preprocFacts(): PreprocFacts | undefined {
    let out: [string, boolean][] | undefined;
    for (const [k, v] of this.cur.facts) if (k.charCodeAt(0) === 35 /* # */) (out ??= []).push([k, v]);
    return out;
  }

  /**
   * Uses after free and double frees that a state's earlier transfer saw and its last one no longer
   * does, by site. A state only grows as paths join it, so the paths of the earlier transfer are still
   * among its paths; the join made the freed pointer ambiguous (a list walk's first node joined with
   * the nodes after it), but the bug on those paths is real.
   */
  private readonly superseded = new Map<string, FlowEvent>();

  private keepDefinite(before: FlowEvent[], now: FlowEvent[] | undefined): void {
    for (const e of before) {
      const definite = e.kind === 'use' || (e.kind === 'release' && e.released.what === 'block' && e.released.freed);
      if (!definite) continue;
      const key = `${e.kind}:${e.site}`;
      if (this.superseded.has(key) || now?.some(n => n.kind === e.kind && n.site === e.site)) continue;
      this.superseded.set(key, e);
    }
  }

  /** Joins `from` into `into`, which takes its place: what `from` last reported is kept as above. */
  private mergeAway(into: State, from: State, implicit: (loc: string) => Val): void {
    if (from.recorded) this.keepDefinite(from.recorded, undefined);
    joinInto(into, from, implicit);
  }

  /** The local points to a struct with a pointer to its own type (`struct node *next`). */
  private linksItsKind(name: string): boolean {
    const local = this.locals.get(name) ?? (this.params.has(name) ? this.ctx.fn.params[this.params.get(name)!] : undefined);
    if (!local || local.pointers !== 1) return false;
    const fields = this.ctx.structFields(local.base);
    if (!fields) return false;
    for (const f of fields.values()) if (f.base === local.base && f.pointers > 0) return true;
    return false;
  }

  /**
   * The same allocation site runs again (a loop) while its previous block is live, unescaped and held
   * by a single local variable only: that variable is about to lose the last pointer to it.
   */
  private checkOverwrite(t: string, info: ObjInfo, site: Syntax): void {
    const s = this.cur.status.get(t);
    if (!s || s.bits !== LIVE || info.alloc.typed || info.leakSuppressed) return;
    let holders = 0;
    let local = false;
    this.cur.vars.forEach((v, loc) => {
      if (!v.includes(t)) return;
      holders++;
      const name = loc.startsWith('v:') ? loc.slice(2) : undefined;
      const l = name !== undefined ? this.locals.get(name) : undefined;
      local = !!l && !l.isStatic && !l.array;
    });
    if (holders !== 1 || !local) return;
    this.events.push({ kind: 'leak', allocSite: info.site, alloc: info.alloc, retSite: this.site(site), overwritten: true });
  }

  /** `f(&x)`: the callee may write x, so what we knew about it is gone. */
  private clobber(v: Val): void {
    for (const t of v) {
      if (t[0] !== 'A') continue;
      const loc = t.slice(1);
      if (!loc.startsWith('v:')) continue;
      const name = loc.slice(2);
      const local = this.locals.get(name);
      if (!local || local.array) continue;
      this.cur.setVar(loc, ['u']);
      this.invalidate(headOf(name, 0, true));
    }
  }

  private markEscaped(v: Val): void {
    for (const t of v) {
      const c = t[0];
      if (c === 'o' || c === 's' || c === 'A' || c === 'p' || c === 'f') this.cur.setBits(t, ESCAPED);
      if (c === 'A') {
        // &obj->field: whoever gets it can reach (and keep) the whole block
        const base = headOf(t, 1, true);
        if (base[0] === 'o' || base[0] === 's') this.cur.setBits(base, ESCAPED);
        else if (base.startsWith('v:')) for (const b of this.read(base)) if (b[0] === 'o') this.cur.setBits(b, ESCAPED);
      }
    }
  }

  private use(v: Val, at: Syntax): void {
    // a pointer that may be one of several blocks proves nothing about any one of them
    if (v.filter(t => 'opfg'.includes(t[0])).length !== 1 || v.includes('u')) return;
    for (const t of v) {
      const c = t[0];
      if (c !== 'o' && c !== 'p' && c !== 'f' && c !== 'g') continue;
      const s = this.cur.status.get(t);
      if (!s || !(s.bits & (FREED | MOVED)) || s.bits & UAF_REPORTED) continue;
      if (s.bits & ESCAPED && !(s.bits & FREED)) continue;
      this.cur.setBits(t, UAF_REPORTED);
      if (this.reporting) {
        const info = this.objs.get(t);
        this.events.push({ kind: 'use', site: this.site(at), target: t, alloc: info?.alloc, allocSite: info?.site, freedAt: s.freedAt });
      }
    }
  }

  /**
   * `weak`: the pointer was read from an array slot, which stands for many elements. A release through
   * it, or through a pointer that may be one of several blocks, makes them "maybe freed": no longer
   * leaked, but not definitely freed either, so no double free or use after free is concluded from it.
   */
  private release(v: Val, api: string, family: string, at: Syntax, via: string[], resize: boolean, weak: boolean, silent = false): void {
    const site = this.site(at);
    const heap = v.filter(t => !(t === 'n' || t === 'u' || t[0] === 'c' || t[0] === 'q' || isToken(t)));
    // an element read from an array slot stands for every element of it, and inside a loop a field
    // reached through a pointer of unknown value (`T<type>.<field>`) for that field of every object the
    // pointer visits
    const visiting = this.inLoop.has(this.curNode);
    const ambiguous = weak || heap.length > 1 || (heap.length === 1 && v.includes('u')) ||
      heap.some(t => (t[0] === 'f' && (t.includes('->[]') || (visiting && t[1] === 'T'))) || this.objs.get(t)?.many);
    for (const t of heap) {
      const c = t[0];
      let released: Released | undefined;
      const status = this.cur.status.get(t);
      const rawBits = status?.bits ?? (c === 'o' ? 0 : LIVE);
      const bits = ambiguous ? rawBits & ~(FREED | MOVED) : rawBits;
      if (c === 'o') {
        if (!(rawBits & (LIVE | FREED | MOVED | ESCAPED | MAYFREED))) continue;
        const info = this.objs.get(t)!;
        if (t === 'oself') {
          released = { what: 'typed-self', family: info.alloc.family, typeName: info.alloc.api.replace(/\.tp_alloc$/, ''), freed: !!(bits & FREED), freedAt: status?.freedAt };
        } else {
          released = { what: 'block', target: t, alloc: info.alloc, allocSite: info.site, freed: !!(bits & (FREED | MOVED)), freedAt: status?.freedAt, moved: !!(bits & MOVED) };
        }
      } else if (c === 'b') {
        released = { what: 'borrowed', api: this.targetApi.get(t) ?? '?', site: parseInt(t.slice(1), 10) };
      } else if (c === 'r') {
        if (family === '*') continue;
        released = { what: 'newref', api: this.targetApi.get(t) ?? '?', site: parseInt(t.slice(1), 10) };
      } else if (c === 's' || c === 't' || c === 'l' || c === 'A') {
        released = { what: 'nonheap', desc: this.describeNonHeap(t) };
      } else if (c === 'h') {
        // a helper's static result the path has ruled out (its owned flag is set): not what is released
        if (rawBits & ABSENT && !(rawBits & LIVE)) continue;
        released = { what: 'nonheap', desc: this.targetApi.get(t) ?? 'static storage' };
      } else if (c === 'p') {
        released = { what: 'param', param: Number(t.slice(1)), freed: !!(bits & FREED), freedAt: status?.freedAt };
        if (!resize) this.noteRelease(Number(t.slice(1)), '', family, api, via, this.guardingParam(Number(t.slice(1))));
        else this.noteResize(Number(t.slice(1)), family, api, via);
      } else if (c === 'f' || c === 'g') {
        const key = c === 'f' ? this.fieldKeys.get(t) : undefined;
        released = { what: 'field', key: key ?? '', freed: !!(bits & FREED), freedAt: status?.freedAt };
        if (this.reporting && key && family !== '*' && this.ownField(key)) this.events.push({ kind: 'field-release', site, key, api, family, via, pp: this.preprocFacts() });
        // a realloc of `*p_ptr` consumes the caller's block too (on success: callers see a release on some paths)
        const m = /^fp(\d+)(->.*)$/.exec(t);
        if (m) this.noteRelease(Number(m[1]), m[2], family, api, via);
      }
      if (!released) continue;
      if (this.reporting && !silent) this.events.push({ kind: 'release', site, api, family, via, resize, released });
      if (resize) continue;
      if (ambiguous) this.cur.setBits(t, MAYFREED, LIVE);
      else this.cur.setBits(t, FREED, LIVE | MOVED | MAYFREED, { freedAt: status?.freedAt ?? site });
    }
  }

  private noteRelease(param: number, path: string, family: string, api: string, via: string[], unlessSame?: number): void {
    if (family === '*') return;
    const key = `${param}|${path}`;
    const known = this.releases.get(key);
    if (!known) this.releases.set(key, { param, path, family, api, via, unlessSame });
    else if (known.unlessSame !== unlessSame) known.unlessSame = undefined; // some release is not guarded so
  }

  private noteResize(param: number, family: string, api: string, via: string[]): void {
    if (family === '*') return;
    const list = (this.summary.resizes ??= []);
    if (!list.some(r => r.param === param)) list.push({ param, api, family, via });
  }

  /** The other parameter that this path has tested parameter `i` to differ from, if any. */
  private guardingParam(i: number): number | undefined {
    const params = this.ctx.fn.params;
    const name = params[i]?.name;
    if (!name) return undefined;
    for (let j = 0; j < params.length; j++) {
      if (j === i) continue;
      const other = params[j].name;
      if (this.cur.facts.get(`${name}==${other}`) === false || this.cur.facts.get(`${other}==${name}`) === false) return j;
    }
    return undefined;
  }

  private describeNonHeap(t: string): string {
    const c = t[0];
    if (c === 'l') return 'a string literal';
    if (c === 's') return `the stack array '${t.slice(1)}'`;
    if (c === 't') return `the static buffer '${t.slice(1)}'`;
    const loc = t.slice(1);
    if (loc.startsWith('v:') && !loc.includes('->') && !loc.includes('.')) {
      const name = loc.slice(2);
      const local = this.locals.get(name);
      if (local && !local.isStatic) return `the address of local variable '${name}'`;
      if (this.params.has(name)) return `the address of parameter '${name}'`;
      return `the address of static variable '${name}'`;
    }
    return 'the address of a struct member';
  }

  // ---------------------------------------------------------------- calls

  private call(n: Syntax): Val {
    const fnNode = child(n, 'function')!;
    const argNodes = child(n, 'arguments')?.children ?? [];
    if (fnNode.type !== 'identifier') {
      const fe = unwrapParens(fnNode);
      const vals = argNodes.map(a => this.eval(a));
      if (fe.type === 'field_expression' && textOf(child(fe, 'field')!, this.src) === 'tp_free') {
        this.eval(child(fe, 'argument')!);
        if (vals[0]) this.release(vals[0], 'tp_free', '*', n, [], false, viaSlot(argNodes[0]));
        return [];
      }
      this.eval(fnNode);
      for (const v of vals) {
        this.use(v, n);
        this.markEscaped(v);
      }
      return ['u'];
    }
    const name = textOf(fnNode, this.src);
    if (this.locals.has(name) || this.params.has(name)) {
      // a call through a local function pointer that happens to be named like an API (`freefunc free = ...`)
      for (const a of argNodes) {
        const v = this.eval(a);
        this.use(v, n);
        this.markEscaped(v);
      }
      return ['u'];
    }
    if (name.startsWith('__HL_')) {
      if (name.startsWith(GIL_RELEASE_MARKER)) this.cur.gil = GIL_RELEASED;
      else if (name.startsWith(GIL_ACQUIRE_MARKER)) this.cur.gil = GIL_HELD;
      return [];
    }
    const status = this.model.statusResults.get(name);
    if (status) {
      const vals = argNodes.map(a => this.eval(a));
      if (status === 'isError') return vals[0] ?? ['u'];
      return status === 'ok' ? ['n'] : ['c-1'];
    }
    if (name === 'PyErr_Occurred') {
      argNodes.forEach(a => this.eval(a));
      return ['e'];
    }
    const api = this.ctx.api(name);
    if (api) return this.callApi(api, name, n, argNodes);
    const parser = this.model.parsers.get(name);
    if (parser) return this.callParser(parser.formatArg, parser.varargsFrom, name, n, argNodes);
    if (this.model.refcountReleases.has(name)) {
      const vals = argNodes.map(a => this.eval(a));
      for (const v of vals) {
        this.use(v, n);
        this.markEscaped(v);
      }
      if ((name === 'Py_CLEAR' || name === 'Py_SETREF' || name === 'Py_XSETREF') && argNodes[0]) {
        this.store(argNodes[0], name === 'Py_CLEAR' ? ['n'] : (vals[1] ?? ['u']), n);
      }
      return [];
    }
    const sum = this.ctx.summary(name);
    if (sum && !sum.unknown) return this.callSummary(sum, name, n, argNodes);
    return this.callUnknown(name, n, argNodes);
  }

  private callUnknown(name: string, n: Syntax, argNodes: Syntax[]): Val {
    const keeps = !this.model.nonCapturing.has(name);
    let first: Val | undefined;
    for (const a of argNodes) {
      const v = this.eval(a);
      first ??= v;
      this.use(v, n);
      if (keeps) this.markEscaped(v);
      this.clobber(v);
    }
    if (this.setsException(name)) {
      this.clearNoMem();
      if (this.model.exceptionRaisers.test(name)) this.cur.noMem = EXCEPTION_SET;
    } else if (this.model.exceptionClearers.test(name) && this.cur.noMem === EXCEPTION_SET) this.cur.noMem = NO_FAILURE;
    if (this.model.objectApi.test(name)) {
      const t = `q${this.site(n)}`;
      this.targetApi.set(`r${n.start}`, name);
      return [t];
    }
    if (first && this.model.returnsFirstArgument.has(name)) return first;
    return ['u'];
  }

  private setsException(name: string): boolean {
    return this.model.exceptionSetters.test(name) || this.model.exceptionSetterHint.test(name);
  }

  /** An exception may be set from here on: a pending allocation failure is reported properly. */
  private clearNoMem(): void {
    if (this.cur.noMem >= 0) this.cur.noMem = NO_FAILURE;
    this.summary.setsException = true;
  }

  private gilCheck(needs: boolean, api: string, via: string[], at: Syntax): void {
    if (!needs) return;
    if (this.cur.gil & GIL_RELEASED) {
      if (this.reporting) this.events.push({ kind: 'gil', site: this.site(at), api, via });
    }
    if (this.cur.gil & GIL_HELD && !this.summary.requiresGil) this.summary.requiresGil = { api, via };
  }

  private callApi(api: Api, name: string, n: Syntax, argNodes: Syntax[]): Val {
    const vals = argNodes.map(a => this.eval(a));
    this.gilCheck(needsGil(this.model, api), name, [], n);
    const family = api.family ?? '?';
    const allocFact = (): AllocFact => ({ family, api: name, via: [], setsException: !!api.setsException });
    const usesExcept = (skip: number | undefined) => vals.forEach((v, i) => i !== skip && this.use(v, n));
    switch (api.kind) {
      case 'alloc': {
        usesExcept(undefined);
        if (api.allocWhenArgNull !== undefined) {
          const v = vals[api.allocWhenArgNull] ?? [];
          if (!(v.length === 1 && v[0] === 'n')) return ['u'];
        }
        return [this.newObj(String(this.site(n)), n, allocFact())];
      }
      case 'result':
        usesExcept(undefined);
        return [this.newObj(String(this.site(n)), n, allocFact())];
      case 'realloc': {
        const pi = api.ptrArg ?? 0;
        usesExcept(pi);
        const old = vals[pi] ?? ['u'];
        this.release(old, name, family, n, [], true, false);
        const t = this.newObj(String(this.site(n)), n, allocFact(), undefined, old);
        for (const o of old) {
          if (o === t || (o[0] !== 'o' && o[0] !== 'p' && o[0] !== 'f')) continue;
          const bits = this.cur.bits(o);
          if (bits & FREED) continue;
          this.cur.setBits(o, MOVED, LIVE, { movedTo: t, freedAt: this.site(n) });
        }
        if (api.assignsPtrArg && argNodes[pi]) {
          this.suppressLeak([t]);
          if (this.reporting && !this.heldElsewhere(argNodes[pi])) this.events.push({ kind: 'realloc-leak', site: this.site(n), api: name, family, macro: true });
          this.suppressLeak(old);
          this.store(argNodes[pi], [t], n);
        }
        return [t];
      }
      case 'free':
        usesExcept(api.ptrArg ?? 0);
        this.release(vals[api.ptrArg ?? 0] ?? ['u'], name, family, n, [], false, !!argNodes[api.ptrArg ?? 0] && viaSlot(argNodes[api.ptrArg ?? 0]));
        return [];
      case 'borrowed': {
        usesExcept(undefined);
        const t = `b${this.site(n)}`;
        this.targetApi.set(t, name);
        return [t];
      }
      case 'borrowed-out': {
        usesExcept(undefined);
        const t = `b${this.site(n)}`;
        this.targetApi.set(t, name);
        if (api.outArg !== undefined && vals[api.outArg]) this.writeOut(argNodes[api.outArg], vals[api.outArg], [t], n);
        return ['u'];
      }
      case 'newref': {
        usesExcept(undefined);
        const kept = api.storesInSlot;
        const slotKey = kept && this.slotKey(kept.slot, argNodes[kept.keyArg]);
        if (kept && slotKey && vals[kept.arg]) this.noteFieldAssign(slotKey, vals[kept.arg], n);
        if (api.takesOwnershipOfArg !== undefined && vals[api.takesOwnershipOfArg]) this.markEscaped(vals[api.takesOwnershipOfArg]);
        const t = `r${this.site(n)}`;
        this.targetApi.set(t, name);
        return [t];
      }
      case 'typed-alloc': {
        usesExcept(undefined);
        let fam = family;
        if (fam === 'type-dependent') {
          const typeArg = argNodes[0] ? unwrap(argNodes[0]) : undefined;
          const tn = typeArg?.type === 'pointer_expression' && typeArg.op === '&' ? child(typeArg, 'argument') : undefined;
          const gc = tn?.type === 'identifier' ? this.ctx.typeIsGc(textOf(tn, this.src)) : undefined;
          if (gc === undefined) return ['u'];
          fam = gc ? 'gc-object' : 'object';
        }
        const t = this.newObj(String(this.site(n)), n, { family: fam, api: name, via: [], setsException: true, typed: true });
        this.cur.setBits(t, ESCAPED);
        return [t];
      }
      case 'newref-out': {
        usesExcept(api.outArg);
        const out = vals[api.outArg ?? 0];
        if (out) this.writeNewRef(argNodes[api.outArg ?? 0], out, `r${this.site(n)}`, name, n);
        return ['u'];
      }
      case 'out-alloc': {
        usesExcept(api.outArg);
        const out = vals[api.outArg ?? 0];
        if (!out) return ['u'];
        if (api.reusesOut) for (const o of this.readThrough(out)) if (o[0] === 'o') this.cur.setBits(o, MOVED, LIVE);
        const token = api.success === 'zero' ? `z${this.site(n)}` : api.success === 'truthy' ? `k${this.site(n)}` : undefined;
        const t = this.newObj(String(this.site(n)), n, allocFact(), token);
        this.writeOut(argNodes[api.outArg ?? 0], out, [t], n);
        return token ? [token] : ['u'];
      }
      case 'opaque': {
        usesExcept(undefined);
        const slot = api.readsSlot;
        const key = slot && this.slotKey(slot.slot, argNodes[slot.keyArg]);
        if (!key) return ['u'];
        // what the slot held when this function was entered, known across functions by its key
        const t = `f${key}`;
        this.fieldKeys.set(t, key);
        return [t];
      }
      case 'gil-release':
        this.cur.gil = GIL_RELEASED;
        return ['u'];
      case 'gil-acquire':
        this.cur.gil = GIL_HELD;
        return ['u'];
      case 'gil-restore-unknown':
        this.cur.gil = GIL_HELD;
        return [];
    }
  }

  private callParser(formatArg: number, varargsFrom: number, name: string, n: Syntax, argNodes: Syntax[]): Val {
    const vals = argNodes.map(a => this.eval(a));
    vals.forEach(v => this.use(v, n));
    this.clearNoMem();
    const site = this.site(n);
    const token = `k${site}`;
    const fmtNode = argNodes[formatArg] ? unwrap(argNodes[formatArg]) : undefined;
    if (!fmtNode || (fmtNode.type !== 'string_literal' && fmtNode.type !== 'concatenated_string')) {
      vals.forEach((v, j) => j >= varargsFrom && this.clobber(v));
      return [token];
    }
    const fmt = stringValue(fmtNode, this.src);
    let argi = varargsFrom;
    let i = 0;
    const written = new Set<number>();
    let converter: string | undefined;
    // every output the format does not describe as a block may still be written
    const clobberRest = () => vals.forEach((v, j) => j >= varargsFrom && !written.has(j) && this.clobber(v));
    outer: while (i < fmt.length) {
      const ch = fmt[i];
      if (ch === ':' || ch === ';') break;
      if (this.model.unitIgnored.has(ch)) {
        i++;
        continue;
      }
      for (const u of this.model.units) {
        if (!fmt.startsWith(u.unit, i)) continue;
        for (const role of u.args) {
          const idx = argi++;
          const v = vals[idx];
          if (!v) continue;
          if (role === 'alloc-out' || (role === 'alloc-out-unless-set' && sameVal(this.readThrough(v), ['n']))) {
            const t = this.newObj(`${site}_${idx}`, n, { family: u.family ?? 'mem', api: `${name}("${u.unit}")`, via: [], setsException: true }, token);
            this.writeOut(argNodes[idx], v, [t], n);
            written.add(idx);
          } else if (role === 'borrowed-out') {
            const t = `b${site}_${idx}`;
            this.targetApi.set(t, `${name}("${u.unit}")`);
            this.writeOut(argNodes[idx], v, [t], n);
            written.add(idx);
          } else if (role === 'converter') {
            const c = argNodes[idx] && unwrap(argNodes[idx]);
            converter = c?.type === 'identifier' ? textOf(c, this.src) : undefined;
          } else if (role === 'converter-out') {
            // `O&` with a converter the model knows to produce a new reference (PyUnicode_FSConverter)
            if (converter && this.ctx.api(converter)?.kind === 'newref-out') {
              this.writeNewRef(argNodes[idx], v, `r${site}_${idx}`, converter, n);
              written.add(idx);
            }
          }
        }
        i += u.unit.length;
        continue outer;
      }
      break; // a unit we do not know: stop rather than misassign the remaining arguments
    }
    clobberRest();
    return [token];
  }

  private callSummary(sum: Summary, name: string, n: Syntax, argNodes: Syntax[]): Val {
    const vals = argNodes.map(a => this.eval(a));
    const released = new Set(sum.releases.filter(r => r.path === '').map(r => r.param));
    vals.forEach((v, i) => {
      if (!released.has(i)) this.use(v, n);
    });
    if (sum.requiresGil) this.gilCheck(true, sum.requiresGil.api, [name, ...sum.requiresGil.via], n);
    for (const r of sum.releases) {
      const arg = vals[r.param];
      if (!arg) continue;
      const via = [name, ...r.via];
      // a release on some paths only, or of a field the callee may refill, is not a definite release here
      if (r.path === '') {
        // what the guarding argument holds is exactly what the callee does not release
        const kept = r.unlessSame !== undefined ? vals[r.unlessSame] : undefined;
        const released = kept ? arg.filter(t => !kept.includes(t)) : arg;
        this.release(released, r.api, r.family, n, via, false, !r.always || (!!argNodes[r.param] && viaSlot(argNodes[r.param])));
        continue;
      }
      let v: Val = [];
      // a field of the argument: it keeps its identity (struct type and name) for field-family-conflict
      const field = /^->(\w+)$/.exec(r.path)?.[1];
      // (macros only: a real function's own release site is where its field release is reported)
      const argType = sum.macro && field && argNodes[r.param] ? this.typeOf(argNodes[r.param]) : undefined;
      for (const t of arg) {
        if (t === 'n' || t === 'u' || t[0] === 'c') continue;
        // through `&x`: `->*` is x itself
        const loc = t[0] !== 'A' ? `${t}${r.path}` : r.path === '->*' ? t.slice(1) : `${t.slice(1)}${r.path.replace(/^->/, '.')}`;
        const held = this.read(loc);
        if (argType && field) for (const h of held) if (h[0] === 'f' && !this.fieldKeys.has(h)) this.fieldKeys.set(h, `${argType.base}.${field}`);
        v = union(v, held);
      }
      this.release(v, r.api, r.family, n, via, false, true, !r.always);
    }
    let token: string | undefined;
    for (const o of sum.outAllocs) {
      const arg = vals[o.param];
      if (!arg) continue;
      const tok = o.success === 'zero' ? `z${n.start}` : o.success === 'truthy' ? `k${n.start}` : o.success === 'nonneg' ? `w${n.start}` : undefined;
      const t = this.newObj(`${this.site(n)}_${o.param}`, n, { ...o.alloc, via: [name, ...o.alloc.via] }, tok);
      if (o.alloc.retained) this.cur.setBits(t, ESCAPED);
      this.writeOut(argNodes[o.param], arg, [t], n);
      token ??= tok;
    }
    for (const r of sum.selfReallocs ?? []) {
      const argNode = argNodes[r.param];
      if (!argNode || this.heldElsewhere(argNode)) continue;
      if (this.reporting) this.events.push({ kind: 'realloc-leak', site: this.site(n), api: name, family: r.family, macro: true });
      // reported as realloc-leak: the blocks involved are not leaks as well
      this.suppressLeak(vals[r.param] ?? []);
      this.reallocLeakSites.add(n.start);
    }
    const consumed = (sum.resizes ?? []).flatMap(r => vals[r.param] ?? []);
    // the caller's flag (`&owned`) stands for "the block, not the static storage" (see ownedFlag)
    const flagArg = sum.ownedFlag ? vals[sum.ownedFlag.param] : undefined;
    const flag = flagArg?.length === 1 && flagArg[0][0] === 'A' ? `k${this.site(n)}f` : undefined;
    const result = token ? [token] : sum.returns.length === 0 ? ['u'] : this.summaryResult(sum, name, n, vals, consumed, flag);
    const fresh = result.find(t => t === `o${this.site(n)}` && this.objs.has(t));
    // a realloc inside the callee took the argument's block over: it lives on as the result
    for (const r of sum.resizes ?? []) {
      this.release(vals[r.param] ?? [], r.api, r.family, n, [name, ...r.via], true, false);
      for (const o of vals[r.param] ?? []) {
        if (o[0] !== 'o' || o === fresh || this.cur.bits(o) & FREED) continue;
        if (fresh) this.cur.setBits(o, MOVED, LIVE, { movedTo: fresh, freedAt: this.site(n) });
        else this.cur.setBits(o, MAYFREED, LIVE);
      }
    }
    for (const a of sum.paramAssigns) {
      const argNode = argNodes[a.param];
      if (!argNode) continue;
      if (a.value === 'null') {
        this.store(argNode, ['n'], n);
        continue;
      }
      // `(p) = PyMem_Realloc((p), n)` as a macro: the block assigned is the one the macro yields
      const same = fresh && this.objs.get(fresh)!.alloc.family === a.value.family ? fresh : undefined;
      this.store(argNode, [same ?? this.newObj(`${this.site(n)}_${a.param}`, n, { ...a.value, via: [name, ...a.value.via] })], n);
    }
    for (const i of sum.escapes) if (vals[i]) this.markEscaped(vals[i]);
    vals.forEach((v, i) => !sum.outAllocs.some(o => o.param === i) && this.clobber(v));
    if (flag && flagArg) this.writeThrough(flagArg, [flag]);
    if (sum.setsException) this.clearNoMem();
    return result;
  }

  private summaryResult(sum: Summary, name: string, n: Syntax, vals: Val[], consumed: Val, flag?: string): Val {
    let out: Val = [];
    const families = new Set(sum.returns.filter(r => r.kind === 'alloc').map(r => (r.kind === 'alloc' ? r.alloc.family : '')));
    // "returns its argument or a new block" (grow-or-reuse helpers): whether the caller owns a block depends on the argument
    if (sum.returns.some(r => r.kind === 'param')) families.add('\u0000param');
    for (const r of sum.returns) {
      switch (r.kind) {
        case 'alloc':
          if (families.size > 1) {
            out = union(out, ['u']);
            break;
          }
          out = union(out, [this.newObj(String(this.site(n)), n, { ...r.alloc, via: [name, ...r.alloc.via] }, flag, consumed)]);
          if (r.alloc.typed || r.alloc.retained) this.cur.setBits(`o${n.start}`, ESCAPED);
          break;
        case 'param':
          out = union(out, vals[r.index] ?? ['u']);
          break;
        case 'borrowed': {
          const t = `b${this.site(n)}`;
          this.targetApi.set(t, `${name}() (${r.api})`);
          out = union(out, [t]);
          break;
        }
        case 'newref': {
          const t = `r${this.site(n)}`;
          this.targetApi.set(t, `${name}()`);
          out = union(out, [t]);
          break;
        }
        case 'null':
          out = union(out, ['n']);
          break;
        case 'const':
          out = union(out, [r.value]);
          break;
        case 'other':
          // next to a fresh block it adds nothing callers can use, and would blur the block
          if (!sum.returns.some(x => x.kind === 'alloc')) out = union(out, ['u']);
          break;
        case 'nonheap': {
          const t = `h${this.site(n)}`;
          this.targetApi.set(t, `${r.desc} returned by ${name}()`);
          if (flag) this.flagStatic.set(flag, t);
          out = union(out, [t]);
          break;
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- realloc, branches, exit

  private checkReallocLeak(lhs: Syntax, rhs: Syntax): void {
    const call = unwrap(rhs);
    if (call.type !== 'call_expression') return;
    const f = child(call, 'function');
    if (f?.type !== 'identifier') return;
    const name = textOf(f, this.src);
    const api = this.ctx.api(name);
    if (!api || api.kind !== 'realloc' || api.assignsPtrArg) return;
    const arg = child(call, 'arguments')?.children[api.ptrArg ?? 0];
    if (!arg) return;
    const norm = (s: Syntax) => this.spelled(unwrap(s));
    if (norm(arg) !== norm(lhs)) return;
    // in a macro the argument is the caller's expression: whether it loses a block is decided there
    const param = this.ctx.fn.macro && unwrap(lhs).type === 'identifier' ? this.params.get(textOf(unwrap(lhs), this.src)) : undefined;
    if (param !== undefined) {
      const list = (this.summary.selfReallocs ??= []);
      if (!list.some(r => r.param === param)) list.push({ param, api: name, family: api.family ?? '?' });
      return;
    }
    if (this.heldElsewhere(arg)) return;
    if (this.reporting) this.events.push({ kind: 'realloc-leak', site: this.site(call), api: name, family: api.family ?? '?', macro: false });
    this.suppressLeak(this.evalQuiet(arg));
    this.reallocLeakSites.add(call.start);
  }

  /**
   * The block a realloc argument points to is also held by another location (the usual
   * `tmp = self->buf; PyMem_Resize(tmp, …); if (!tmp) return -1; self->buf = tmp;`): losing the
   * argument on failure loses nothing.
   */
  private heldElsewhere(arg: Syntax): boolean {
    const saved = this.events.length;
    const p = this.places(arg);
    this.events.length = saved;
    if (p.locs.length !== 1) return false;
    const [loc] = p.locs;
    const v = this.read(loc);
    const blocks = v.filter(t => t !== 'n' && t !== 'u');
    // realloc(NULL, n) is malloc(n): no old block to lose; and a pointer of unknown origin (an
    // unknown macro over another object's memory, an unknown function's result) is not known to
    // be the only holder of its block
    if (!blocks.length) return true;
    return blocks.every(t => {
      if (t[0] === 'f' && t.slice(1) !== loc && !this.cur.vars.has(t.slice(1))) return true;
      return this.cur.vars.some((ov, other) => other !== loc && ov.includes(t));
    });
  }

  /** Reads an expression's value without its side effects being observed twice. */
  private evalQuiet(n: Syntax): Val {
    const p = this.places(n);
    let v: Val = [];
    for (const loc of p.locs) v = union(v, this.read(loc));
    return v;
  }

  private suppressLeak(v: Val): void {
    for (const t of v) {
      const info = this.objs.get(t);
      if (info) info.leakSuppressed = true;
    }
  }

  private branch(cond: Syntax, st: State): [number, State][] {
    const e = unwrapParens(cond);
    let subject: Syntax = e;
    let op = 'truthy';
    let literal: number | undefined;
    let identity: Val | undefined;
    let v: Val;
    if (e.type === 'binary_expression' && ['==', '!=', '<', '<=', '>', '>='].includes(e.op ?? '')) {
      const l = child(e, 'left')!;
      const r = child(e, 'right')!;
      const rl = literalValue(r, this.src);
      const ll = literalValue(l, this.src);
      if (rl !== undefined) {
        subject = l;
        literal = rl;
        op = e.op!;
      } else if (ll !== undefined) {
        subject = r;
        literal = ll;
        op = mirror(e.op!);
      }
      if (literal !== undefined) v = this.eval(subject);
      else {
        const lv = this.eval(l);
        const rv = this.eval(r);
        v = [];
        if ((e.op === '==' || e.op === '!=') && isIdentity(rv)) {
          subject = l;
          v = lv;
          identity = rv;
          op = e.op;
        } else if ((e.op === '==' || e.op === '!=') && isIdentity(lv)) {
          subject = r;
          v = rv;
          identity = lv;
          op = e.op;
        }
      }
    } else v = this.eval(e);
    const subj = unwrapParens(subject);
    // `x != y` and `x == y` are one fact with opposite values
    let atom = isPure(e) ? conditionKey(e, this.src) : undefined;
    // `x != y` / `x == y`, `x >= y` / `x < y` and `x > y` / `x <= y` are one fact each, with opposite values
    const left = child(e, 'left');
    const right = child(e, 'right');
    const opposite = e.type === 'binary_expression' && left && right ? OPPOSITE[e.op ?? ''] : undefined;
    const negated = !!atom && !!opposite;
    if (atom && opposite) {
      atom = { ...atom, key: `${this.spelled(left!)}${opposite}${this.spelled(right!)}` };
    }
    const out: [number, State][] = [];
    const copies = [st, new State(st)];
    for (const [slot, value] of [[0, true], [1, false]] as const) {
      const s = copies[slot];
      this.cur = s;
      let ok: boolean;
      if (identity) ok = this.refineIdentity(subj, v, identity, (op === '==') === value);
      else ok = constantsAllow(v, op, literal, value) && this.refine(subj, v, outcome(op, literal, value));
      if (!ok) continue;
      if (atom) {
        const fact = negated ? !value : value;
        const known = s.facts.get(atom.key);
        if (known !== undefined && known !== fact) continue;
        s.setFact(atom.key, fact, atom.deps);
      }
      out.push([slot, s]);
    }
    return out;
  }

  /** `p == stackbuf` / `p != stackbuf`: p is (not) that storage on this side. */
  private refineIdentity(subject: Syntax, v: Val, identity: Val, equal: boolean): boolean {
    // values that came in from outside (parameters, fields, globals on entry) may equal one another
    const incoming = (t: string) => t[0] === 'p' || t[0] === 'f' || t[0] === 'g';
    const mayEqual = (t: string) => identity.includes(t) || t === 'u' || (incoming(identity[0]) && incoming(t));
    const next = equal ? v.filter(mayEqual) : v.filter(t => !identity.includes(t));
    if (v.length && next.length === 0) return false;
    const locs = this.strongPlaces(subject);
    for (const t of v) {
      if (t[0] !== 'o' || next.includes(t)) continue;
      // the pointer is that other storage here, so a block only it could hold was never allocated on this
      // path (locals of blocks the test is outside of are gone and hold nothing)
      const heldElsewhere = this.cur.vars.some((ov, loc) => !locs.includes(loc) && ov.includes(t) && this.inScope(loc, subject.start));
      if (!heldElsewhere) this.cur.setBits(t, ABSENT, LIVE);
    }
    for (const loc of this.strongPlaces(subject)) this.cur.setVar(loc, equal && next.includes('u') ? identity : next);
    return true;
  }

  private inScope(loc: string, at: number): boolean {
    const scope = loc.startsWith('v:') ? this.locals.get(loc.slice(2))?.scope : undefined;
    return !scope || (at >= scope.start && at < scope.end);
  }

  private strongPlaces(target: Syntax): string[] {
    const t = target.type === 'assignment_expression' ? child(target, 'left')! : target;
    if (!['identifier', 'field_expression', 'subscript_expression', 'pointer_expression'].includes(unwrapParens(t).type) || !isPure(t)) return [];
    const saveEvents = this.events.length;
    const p = this.places(t);
    this.events.length = saveEvents;
    return p.strong ? p.locs : [];
  }

  /** Narrows the state to the paths with this outcome of `subject` (value v). False: infeasible. */
  private refine(subject: Syntax, v: Val, o: Outcome): boolean {
    const st = this.cur;
    // calls that allocate through out-parameters report success by their return value
    if (o.zero !== undefined || o.negative !== undefined) {
      for (const t of v) {
        if (!isToken(t)) continue;
        const failed = t[0] === 'k' ? o.zero : t[0] === 'z' ? (o.zero === undefined ? undefined : !o.zero) : o.negative;
        if (failed === undefined) continue;
        for (const [obj, info] of this.objs) {
          if (info.token !== t || !st.status.has(obj)) continue;
          if (failed) st.setBits(obj, ABSENT, LIVE);
          else st.setBits(obj, NONNULL);
        }
        // an owned flag that is set: the helper returned its block, not its static storage
        const tied = this.flagStatic.get(t);
        if (tied && !failed) st.setBits(tied, ABSENT, LIVE);
      }
    }
    if (o.nullness === 'nonnull' && v.includes('e')) st.noMem = EXCEPTION_SET;
    if (o.nullness === undefined) return true;
    const pointerish = v.some(t => t === 'n' || 'opfgbrstAl'.includes(t[0]));
    if (!pointerish) return true;
    const locs = this.strongPlaces(subject);
    if (o.nullness === 'nonnull') {
      const nonNull = v.filter(t => t !== 'n');
      if (nonNull.length === 0) return false;
      if (v.every(t => t[0] === 'o' && st.bits(t) & ABSENT && !(st.bits(t) & (LIVE | FREED | MOVED | MAYFREED)))) return false;
      for (const t of nonNull) if (t[0] === 'o' && st.bits(t) & LIVE) st.setBits(t, NONNULL);
      for (const loc of locs) st.setVar(loc, nonNull);
      return true;
    }
    if (!v.some(t => t === 'n' || t === 'u' || 'opfgbrqkzw'.includes(t[0]))) return false;
    // a block already known to be non-NULL cannot be NULL now
    if (v.every(t => t[0] === 'o' && (st.bits(t) & (NONNULL | LIVE)) === (NONNULL | LIVE))) return false;
    for (const t of v) {
      if (t[0] === 'p' || t[0] === 'f') {
        if (v.length === 1) st.setBits(t, ABSENT, LIVE);
        continue;
      }
      if (t[0] !== 'o') continue;
      const s = st.status.get(t);
      if (!s || !(s.bits & LIVE) || s.bits & NONNULL) continue;
      st.setStatus(t, { bits: (s.bits & ~LIVE) | ABSENT });
      const info = this.objs.get(t);
      // a block that stands for several (a loop's older ones) was not just allocated: NULL here is no
      // allocation failure
      if (info?.many) continue;
      // a path that already set an exception (PyErr_NoMemory() before `goto error`) keeps it
      // through later NULL tests; and a block whose failure some merged path has already seen
      // (ABSENT) is NULL here because of that path, not because of a new failure
      if (info && st.noMem !== EXCEPTION_SET && !(s.bits & ABSENT)) {
        if (!info.alloc.setsException && !info.alloc.typed) st.noMem = info.site;
        else st.noMem = EXCEPTION_SET; // this allocator's failure set MemoryError itself
      }
      st.status.forEach((os, other) => {
        if (os.movedTo === t && os.bits & MOVED) st.setStatus(other, { bits: (os.bits & ~MOVED) | LIVE });
      });
    }
    for (const loc of locs) st.setVar(loc, ['n']);
    return true;
  }

  private checkNoMem(st: State, v: Val, at: Syntax): void {
    if (st.noMem < 0 || !this.ctx.errorReturn) return;
    const isNull = v.length > 0 && v.every(t => t === 'n');
    const isMinusOne = v.length > 0 && v.every(t => t === 'c-1');
    if ((this.ctx.errorReturn === 'null' && isNull) || (this.ctx.errorReturn === 'minus-one' && isMinusOne)) {
      const info = [...this.objs.values()].find(o => o.site === st.noMem);
      this.events.push({ kind: 'nomem', site: this.site(at), allocSite: st.noMem, alloc: info?.alloc });
    }
  }

  /** Targets reachable from what outlives the function: the return value, parameters' memory, globals, escaped blocks. */
  private reachable(st: State, withReturn = true): Set<string> {
    const reach = new Set<string>(withReturn ? st.ret ?? [] : []);
    st.status.forEach((s, t) => {
      if (s.bits & ESCAPED) reach.add(t);
    });
    let changed = true;
    const visit = (v: Val, loc: string) => {
      if (!this.locReachable(loc, reach)) return;
      for (const t of v) {
        if (!reach.has(t)) {
          reach.add(t);
          changed = true;
        }
      }
    };
    while (changed) {
      changed = false;
      st.vars.forEach(visit);
    }
    return reach;
  }

  private locReachable(loc: string, reach: Set<string>): boolean {
    if (loc.startsWith('v:')) {
      const name = headOf(loc, 2, true);
      if (this.params.has(name)) return reach.has(`Av:${name}`);
      const local = this.locals.get(name);
      if (local) return local.isStatic || reach.has(`Av:${name}`) || (local.array && reach.has(`s${name}`));
      return true;
    }
    const base = headOf(loc, 0, false);
    const c = base[0];
    if (c === 'p' || c === 'f' || c === 'g' || c === 't' || c === 'u' || c === 'T' || c === 'b' || c === 'r' || c === 'q') return true;
    if (c === 'A') return this.locReachable(base.slice(1), reach) || reach.has(base);
    return reach.has(base);
  }

  private atReturn(st: State): void {
    const reach = this.reachable(st);
    st.status.forEach((s, t) => {
      if (t[0] !== 'o' || !(s.bits & LIVE) || s.bits & ESCAPED || reach.has(t)) return;
      const info = this.objs.get(t);
      if (!info || info.alloc.typed || info.leakSuppressed || info.inSlot) return;
      this.events.push({ kind: 'leak', allocSite: info.site, alloc: info.alloc, retSite: st.retSite });
    });
  }

  /** Per return: which out-parameters hold a fresh block, and what the function returned. */
  private readonly outReturns = new Map<number, { written: Set<string>; notWritten: Set<string>; nulled: Set<string> }>();

  /**
   * Per integer out-parameter, the constants it holds where the function returns a fresh block and where
   * it returns static storage ('?': something else), for Summary.ownedFlag.
   */
  private readonly flagCases = new Map<number, { block: Set<string>; fixed: Set<string> }>();

  /** Owned-flag tokens of calls, and the static result each rules out when set. */
  private readonly flagStatic = new Map<string, string>();

  private noteFlagCases(st: State, ret: Val): void {
    const kind = ret.length !== 1 ? undefined : ret[0][0] === 'o' && this.objs.has(ret[0]) && st.bits(ret[0]) & LIVE ? 'block' : 'tlsh'.includes(ret[0][0]) ? 'fixed' : ret[0] === 'n' ? 'null' : undefined;
    if (kind === 'null') return;
    this.ctx.fn.params.forEach((p, i) => {
      if (p.pointers !== 1 || p.array) return;
      const v = st.vars.get(`p${i}->*`);
      const value = v?.length === 1 && (v[0] === 'n' || /^c-?\d+$/.test(v[0])) ? v[0] : '?';
      let cases = this.flagCases.get(i);
      if (!cases) this.flagCases.set(i, (cases = { block: new Set(), fixed: new Set() }));
      if (kind) cases[kind].add(value);
      else cases.block.add('?');
    });
  }

  private noteOutParams(st: State, ret: Val): void {
    this.noteFlagCases(st, ret);
    // several values that cannot be negative (counts, fields, parameters) read as one unknown count
    const count = (t: string) => t === 'u' || t === 'n' || /^c\d/.test(t) || 'fpg'.includes(t[0]);
    // (no value at all is a computed integer: `return j / 2;`)
    const rv = ret.length === 1 ? ret[0] : ret.every(count) ? 'u' : '?';
    this.ctx.fn.params.forEach((_, i) => {
      const v = st.vars.get(`p${i}->*`) ?? [];
      // written: a fresh block, or any other non-NULL pointer (`*out = p`, handing back the input),
      // which is success all the same
      const written = v.some(t => (this.objs.has(t) ? st.bits(t) & LIVE : t !== 'n' && t[0] !== 'c' && t !== `fp${i}->*`));
      if (!this.outReturns.has(i)) this.outReturns.set(i, { written: new Set(), notWritten: new Set(), nulled: new Set() });
      const rec = this.outReturns.get(i)!;
      // `*out = bp` after bp's allocation failed hands the caller a NULL: that says nothing about the
      // convention; an explicit `*out = NULL` may be a failure (or an empty success): kept apart
      if (!written && v.length && v.every(t => t === 'n' || (this.objs.has(t) && st.bits(t) & ABSENT))) {
        if (v.every(t => t === 'n')) rec.nulled.add(rv);
        return;
      }
      // `return callee(..., out)`: the callee's own success result tells whether it wrote the block
      const passedOn = written && isToken(rv) && v.every(t => !this.objs.has(t) || this.objs.get(t)!.token === rv);
      (written ? rec.written : rec.notWritten).add(passedOn ? `tok${rv[0]}` : rv[0] === 'o' || rv[0] === 'r' || rv[0] === 'b' ? 'obj' : rv);
    });
  }

  /** How a caller tells that an out-parameter was written: by a zero or by a truthy result. */
  private outSuccess(i: number): 'zero' | 'truthy' | 'nonneg' | undefined {
    const rec = this.outReturns.get(i);
    if (!rec) return undefined;
    const ok = [...rec.written];
    const found = conventionOf([...rec.notWritten], ok);
    if (found || rec.notWritten.size > 0) return found;
    // no path leaves *out alone: paths that set it to NULL and return what no success returns show the
    // failure value (`*palette = NULL; return 0;` against `return 1;`)
    const nulled = [...rec.nulled];
    if (nulled.length > 0 && nulled.every(v => v !== '?' && v !== 'u' && !ok.includes(v))) return conventionOf(nulled, ok);
    return undefined;
  }

  private collectSummary(st: State): void {
    const sum = this.summary;
    for (const r of this.releases.values()) {
      const target = r.path === '' ? `p${r.param}` : `fp${r.param}${r.path}`;
      const bits = st.bits(target);
      r.always = (r.always ?? true) && !!(bits & FREED) && !(bits & (LIVE | MAYFREED));
    }
    const kept = this.reachable(st, false);
    // a computed integer (`return j / 2;`) has no value the analysis tracks: callers must not read the
    // other returns as the only ones
    if (st.ret && st.ret.length === 0 && st.retSite >= 0 && !sum.returns.some(r => r.kind === 'other')) sum.returns.push({ kind: 'other' });
    for (const t of st.ret ?? []) {
      const c = t[0];
      if (c === 'o') {
        const info = this.objs.get(t);
        const bits = st.bits(t);
        if (info && bits & LIVE && !sum.returns.some(r => r.kind === 'alloc' && r.alloc.family === info.alloc.family)) {
          // a wrapper's NULL carries an exception unless some path returns NULL right after a failure
          const alloc = { ...info.alloc, setsException: info.alloc.setsException || (sum.setsException && !this.nullWithoutException) };
          sum.returns.push({ kind: 'alloc', alloc: kept.has(t) || bits & ESCAPED ? { ...alloc, retained: true } : alloc });
        }
      } else if (c === 'p') {
        const index = Number(t.slice(1));
        if (!sum.returns.some(r => r.kind === 'param' && r.index === index)) sum.returns.push({ kind: 'param', index });
      } else if (c === 'b') {
        if (!sum.returns.some(r => r.kind === 'borrowed')) sum.returns.push({ kind: 'borrowed', api: this.targetApi.get(t) ?? '?' });
      } else if (c === 'r') {
        if (!sum.returns.some(r => r.kind === 'newref')) sum.returns.push({ kind: 'newref', api: this.targetApi.get(t) ?? '?' });
      } else if (t === 'n') {
        if (!sum.returns.some(r => r.kind === 'null')) sum.returns.push({ kind: 'null' });
      } else if (c === 't' || c === 'l') {
        if (!sum.returns.some(r => r.kind === 'nonheap')) sum.returns.push({ kind: 'nonheap', desc: this.describeNonHeap(t) });
      } else if (c === 'c') {
        if (!sum.returns.some(r => r.kind === 'const' && r.value === t)) sum.returns.push({ kind: 'const', value: t });
      } else if (c !== 'o' && !sum.returns.some(r => r.kind === 'other')) {
        // without this, `return 0; … return n;` would read as "always returns 0" to callers
        sum.returns.push({ kind: 'other' });
      }
    }
    // what outlives the call, the returned block included: a parameter stored in a field of the block
    // the function returns (`ref->chan = chan; return ref;`) now belongs to that block
    const reach = this.reachable(st, true);
    this.ctx.fn.params.forEach((p, i) => {
      const pt = `p${i}`;
      if (st.bits(pt) & ESCAPED) sum.escapes.add(i);
      else {
        const own = `v:${p.name}`;
        st.vars.forEach((v, loc) => {
          if (loc !== own && v.includes(pt) && this.locReachable(loc, reach)) sum.escapes.add(i);
        });
      }
      for (const t of st.vars.get(`p${i}->*`) ?? []) {
        const info = this.objs.get(t);
        if (!info || !(st.bits(t) & LIVE) || this.mixedOut.has(i)) continue;
        // `*rve = s + n` next to `return s`: a pointer into the returned block, not a second block
        if (st.ret?.includes(t)) continue;
        // blocks of different families on different paths (the family chosen by a flag): callers cannot know which
        const known = sum.outAllocs.findIndex(o => o.param === i);
        if (known >= 0 && sum.outAllocs[known].alloc.family !== info.alloc.family) {
          sum.outAllocs.splice(known, 1);
          this.mixedOut.add(i);
          continue;
        }
        if (known < 0) {
          const retained = st.bits(t) & ESCAPED || st.vars.some((v, loc) => loc !== `p${i}->*` && v.includes(t) && this.locReachable(loc, kept));
          // as for returned blocks: a NULL left in *out carries an exception if the helper sets one on failure
          const alloc = { ...info.alloc, setsException: info.alloc.setsException || (sum.setsException && !this.nullWithoutException) };
          sum.outAllocs.push({ param: i, alloc: retained ? { ...alloc, retained: true } : alloc, success: this.outSuccess(i) });
        }
      }
      if (this.ctx.fn.macro) {
        const v = st.vars.get(`v:${p.name}`);
        if (v && v.length === 1 && v[0] === 'n' && !sum.paramAssigns.some(a => a.param === i)) sum.paramAssigns.push({ param: i, value: 'null' });
        const info = v && v.length === 1 ? this.objs.get(v[0]) : undefined;
        if (info && !sum.paramAssigns.some(a => a.param === i)) sum.paramAssigns.push({ param: i, value: info.alloc });
      }
    });
  }
}

// states share their maps until one writes, so signatures are computed once per map and write count
/** A path key with the pending failure and the GIL, which always keep paths apart. */
function withFailureAndGil(key: number, st: State): number {
  // ids are fewer than the steps of one analysis (far below 2^24, the budget sees to that), and a
  // failure's site is an offset in the source text: the product stays an exact integer
  return ((failureKey(st) + 1) * 4 + st.gil) * 16_777_216 + key;
}

/** Rank of each node in reverse postorder from the entry (unreachable nodes last). */
/**
 * Which blocks a path has released. Paths that freed a block (and typically cleared its pointer) are
 * not merged with paths where it is live: the merge would pair the pointer of one with the block of the other.
 */
function releasedKey(status: ReadonlyMap<string, Status>): string {
  let key = '';
  status.forEach((s, t) => {
    if (t.charCodeAt(0) === 111 /* o */ && s.bits & FREED && !(s.bits & LIVE)) key += t + ',';
  });
  return key;
}

/** The pseudo-location holding the value of an impure switch scrutinee for its case edges. */
function rememberedKey(n: Syntax): string {
  return `v:\u0001switch${n.start}`;
}

/**
 * How a function's result tells callers that it wrote its out-parameter, from the results of the paths
 * that did not write it (`failing`) and of those that did (`ok`).
 */
function conventionOf(failing: string[], ok: string[]): 'zero' | 'truthy' | 'nonneg' | undefined {
  // some return must show the convention: a failure value, or a callee's result passed on
  const shown = (tok: string) => failing.length > 0 || ok.includes(tok);
  // a failure passed on from elsewhere (`return status;` after testing it) is unknown but not a success
  const failingZero = failing.filter(v => v !== 'u');
  if (failingZero.every(v => /^c-\d+$/.test(v)) && (failingZero.length > 0 || failing.length === 0) && ok.every(v => v === 'n' || v === 'tokz') && shown('tokz')) return 'zero';
  // (a computed size returned on success, 0 on failure, reads the same way)
  if (failing.every(v => v === 'n') && ok.every(v => v === 'obj' || /^c[1-9]/.test(v) || v === 'tokk' || v === 'u' || /^[fpg]/.test(v)) && shown('tokk')) return 'truthy';
  // a count on success, -1 on failure (`n = flatten(obj, &xy); if (n < 0) …`)
  if (failingZero.length > 0 && failingZero.every(v => /^c-\d+$/.test(v)) && ok.every(v => v === 'u' || v === 'n' || /^c\d/.test(v) || /^[fpg]/.test(v) || v === 'tokw' || v === 'tokz')) return 'nonneg';
  return undefined;
}

/** Comparisons that are spelled as the negation of another, and that other. */
const OPPOSITE: Record<string, string> = { '!=': '==', '>=': '<', '>': '<=' };

/** Paths are kept apart by a pending allocation failure, but not by whether an exception is known set. */
function failureKey(st: State): number {
  return st.noMem >= 0 ? st.noMem : NO_FAILURE;
}

function reversePostorder(cfg: Cfg): number[] {
  const n = cfg.nodes.length;
  const rank = new Array<number>(n).fill(-1);
  const seen = new Uint8Array(n);
  const order: number[] = [];
  const stack: [number, number][] = [[cfg.entry, 0]];
  seen[cfg.entry] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1];
    const succ = cfg.nodes[top[0]].succ;
    if (top[1] < succ.length) {
      const next = succ[top[1]++];
      if (next !== undefined && !seen[next]) {
        seen[next] = 1;
        stack.push([next, 0]);
      }
      continue;
    }
    stack.pop();
    order.push(top[0]);
  }
  let r = 0;
  for (let i = order.length - 1; i >= 0; i--) rank[order[i]] = r++;
  for (let i = 0; i < n; i++) if (rank[i] < 0) rank[i] = r++;
  return rank;
}

/** A binary min-heap of small integers. */
class MinQueue {
  private readonly heap: number[] = [];
  get size(): number {
    return this.heap.length;
  }
  push(v: number): void {
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= h[i]) break;
      [h[p], h[i]] = [h[i], h[p]];
      i = p;
    }
  }
  pop(): number {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l] < h[m]) m = l;
        if (r < h.length && h[r] < h[m]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i], h[m]];
        i = m;
      }
    }
    return top;
  }
}

/** The expression reads memory through an array subscript somewhere in its chain. */
function viaSlot(n: Syntax): boolean {
  let cur: Syntax | undefined = n;
  while (cur) {
    if (cur.type === 'subscript_expression') return true;
    if (cur.type === 'call_expression') return false;
    cur = child(cur, 'argument') ?? child(cur, 'value') ?? (cur.type === 'parenthesized_expression' ? cur.children[0] : undefined);
  }
  return false;
}

function unwrapParens(n: Syntax): Syntax {
  let cur = n;
  while (cur.type === 'parenthesized_expression' && cur.children.length === 1) cur = cur.children[0];
  return cur;
}

function rootIdentifier(n: Syntax, src: string): string | undefined {
  let cur: Syntax | undefined = n;
  while (cur) {
    if (cur.type === 'identifier') return textOf(cur, src);
    cur = child(cur, 'argument') ?? child(cur, 'value') ?? (cur.type === 'parenthesized_expression' ? cur.children[0] : undefined);
  }
  return undefined;
}

/** When the subject can only be known constants (flags, status codes), whether this side is possible. */
function constantsAllow(v: Val, op: string, literal: number | undefined, value: boolean): boolean {
  if (v.length === 0 || !v.every(t => t === 'n' || t[0] === 'c')) return true;
  const nums = v.map(t => (t === 'n' ? 0 : Number(t.slice(1))));
  if (nums.some(n => !Number.isFinite(n))) return true;
  const test = (n: number): boolean => {
    if (op === 'truthy') return n !== 0;
    if (literal === undefined) return true;
    switch (op) {
      case '==': return n === literal;
      case '!=': return n !== literal;
      case '<': return n < literal;
      case '<=': return n <= literal;
      case '>': return n > literal;
      case '>=': return n >= literal;
    }
    return true;
  };
  return nums.some(n => test(n) === value);
}

/** 0 for NULL/0, the number for small integer literals (-1), else undefined. */
function literalValue(n: Syntax, src: string): number | undefined {
  const e = unwrap(n);
  if (e.type === 'null') return 0;
  if (e.type === 'identifier') return NULL_NAMES.has(textOf(e, src)) ? 0 : undefined;
  if (e.type === 'number_literal') {
    const v = Number(textOf(e, src).replace(/[uUlL]+$/, ''));
    return Number.isFinite(v) ? v : undefined;
  }
  if (e.type === 'unary_expression' && e.op === '-') {
    const inner = literalValue(child(e, 'argument')!, src);
    return inner === undefined ? undefined : -inner;
  }
  return undefined;
}

function mirror(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

/** A value that names one piece of storage: comparing a pointer with it tells which one it is. */
/** A value a pointer can be compared with to tell which storage it holds (`p != small_stack`). */
function isIdentity(v: Val): boolean {
  return v.length === 1 && 'stAlobpfg'.includes(v[0][0]);
}

interface Outcome {
  /** For pointers: null or not. */
  nullness?: 'null' | 'nonnull';
  /** For status results (0 / -1 / truthy): whether the value is zero (success for zero-on-success calls). */
  zero?: boolean;
  /** For counts (-1 on failure): whether the value is negative. */
  negative?: boolean;
}

/** Success tokens of calls that allocate through out-parameters: k truthy, z zero, w non-negative means success. */
function isToken(t: string): boolean {
  const c = t.charCodeAt(0);
  return c === 107 /* k */ || c === 122 /* z */ || c === 119 /* w */;
}

/** What a comparison of the subject with a literal tells on the side where it evaluates to `value`. */
function outcome(op: string, literal: number | undefined, value: boolean): Outcome {
  if (op === 'truthy') return value ? { nullness: 'nonnull', zero: false } : { nullness: 'null', zero: true, negative: false };
  if (literal === 0) {
    switch (op) {
      case '==': return value ? { nullness: 'null', zero: true, negative: false } : { nullness: 'nonnull', zero: false };
      case '!=': return value ? { nullness: 'nonnull', zero: false } : { nullness: 'null', zero: true, negative: false };
      case '<': return { zero: !value, negative: value };
      case '>=': return { zero: value, negative: !value };
      case '>': return value ? { zero: false, negative: false } : { zero: !value };
      case '<=': return value ? { zero: value } : { zero: false, negative: false };
    }
  }
  if (literal !== undefined && literal < 0) {
    if (op === '==') return value ? { zero: false, negative: true } : { zero: true };
    if (op === '!=') return value ? { zero: true } : { zero: false, negative: true };
  }
  if (literal !== undefined && literal > 0 && (op === '==' || op === '>' || op === '>=') && value) return { zero: false, negative: false };
  return {};
}

/** Side-effect free: no calls, assignments or increments. */
function isPure(n: Syntax): boolean {
  let pure = true;
  walk(n, c => {
    if (c.type === 'call_expression' || c.type === 'assignment_expression' || c.type === 'update_expression') pure = false;
    return pure;
  });
  return pure;
}

function stringValue(n: Syntax, src: string): string {
  const parts: string[] = [];
  walk(n, c => {
    if (c.type === 'string_content' || c.type === 'escape_sequence') parts.push(textOf(c, src));
  });
  return parts.join('');
}
