/**
 * Whole-program analysis of the files given: parse each file once, index what they declare, compute
 * function summaries bottom-up over the call graph (wrappers in other files and local macros
 * included), then turn every function's events into findings. Pure: text and model in, findings out.
 */
import type { Api, Family } from '../../../../allocator-model/src/types';
import type { Model } from '../../../../allocator-model/src/model';
import { SLOT_PREFIX, analyzeFunction, type FlowContext, type FlowResult } from '../flow/analyze';
import { sameBuild, type FlowEvent, type PreprocFacts } from '../flow/events';
import type { AllocFact, Summary } from '../flow/summary';
import { blankNumericTables, unreadInitializers } from '../parse/data-tables';
import { bodiesFound, cutBraces, isPlainBody, topLevelBraces, type CutMap } from '../parse/function-bodies';
import { neutralise } from '../parse/neutralise';
import { parseC, type Tree } from '../parse/parser';
import { LineIndex, linesOf, replaceSubtree, toSyntax, type Syntax } from '../parse/syntax';
import { fieldFamilyConflict, pathRules, releaseRules } from '../rules/catalog';
import type { Rule, RuleContext, Verdict } from '../rules/rule';
import { isSuppressed, parseSuppressions, type Suppression } from '../suppress';
import type { FileProblem, Finding, Range, Related, SeverityLevel, SourceFile } from '../types';
import { declarationKey } from './declarations';
import { readFacts, type FileFacts, type FunctionInfo, type GlobalVar, type VarType, ALLOCATING_FORMAT, readTable, unreadInitializer } from './facts';
import { compactFacts, noteConverted } from './compact';
import { memoOf, remember } from './memo';
import { calleesFirst, reachingSeeds } from './call-graph';

export interface ProjectOptions {
  model: Model;
  /** Per-rule severity overrides; 'off' drops the rule. */
  severities?: Record<string, SeverityLevel | 'off'>;
  /** Work budget per function (transfer steps) before the function is given up as too complex. */
  budget?: number;
  /** Only report findings in these files (the others still feed summaries). */
  reportOnly?: Set<string>;
  /** Leave field-family-conflict to the caller, which sees every worker's field events. */
  deferFieldConflicts?: boolean;
  /** Describe the expression at this offset of this file (hover). */
  probe?: { file: string; offset: number };
}

export interface ProjectStats {
  files: number;
  lines: number;
  functions: number;
  analysed: number;
  gaveUp: number;
  parseMs: number;
  analysisMs: number;
}

export interface UnusedSuppression {
  file: string;
  range: Range;
  rules: string[] | null;
}

/** A struct field written with a block of some family (for field-family-conflict across functions). */
export interface FieldAssign {
  key: string;
  pp?: PreprocFacts;
  alloc: AllocFact;
  fn: string;
  file: string;
  range: Range;
}

/** A struct field's incoming value released (for field-family-conflict across functions). */
export interface FieldRelease {
  key: string;
  pp?: PreprocFacts;
  api: string;
  family: string;
  via: string[];
  fn: string;
  fnName: string;
  file: string;
  range: Range;
  callee: Range;
  report: boolean;
}

/** Releases of a field whose family differs from the family another function assigned to it. */
function compareRank(x: readonly (string | number)[], y: readonly (string | number)[]): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

export function fieldConflicts(assigns: FieldAssign[], releases: FieldRelease[], opts: ProjectOptions, releaseOf: (family: string) => string | undefined): Finding[] {
  const out: Finding[] = [];
  const sev = severityOf(fieldFamilyConflict.id, fieldFamilyConflict.severity, opts);
  if (!sev) return out;
  const byKey = new Map<string, FieldAssign[]>();
  for (const a of assigns) {
    if (!byKey.has(a.key)) byKey.set(a.key, []);
    byKey.get(a.key)!.push(a);
  }
  for (const r of releases) {
    if (!r.report) continue;
    // from a function and a build that can meet this release: #if arms are alternatives, never a mix
    const candidates = (byKey.get(r.key) ?? []).filter(a => a.fn !== r.fn && a.alloc.family !== r.family && r.family !== '*' && a.alloc.family !== '?' && sameBuild(a.pp, r.pp));
    if (!candidates.length) continue;
    // the one named does not depend on the order functions were analysed in (CLI workers differ):
    // an assignment in the release's own file first, then by file and position
    const rank = (a: FieldAssign) => [a.file === r.file ? 0 : 1, a.file, a.range.startLine, a.range.startCol] as const;
    const other = candidates.reduce((best, a) => (compareRank(rank(a), rank(best)) < 0 ? a : best));
    const slot = r.key.startsWith(SLOT_PREFIX) ? r.key.slice(SLOT_PREFIX.length) : undefined;
    const holder = slot ? `the pointer kept by ${slot}` : `field '${r.key}'`;
    const right = releaseOf(other.alloc.family);
    out.push({
      rule: fieldFamilyConflict.id, severity: sev, file: r.file, range: r.range, function: r.fnName,
      message: `${holder} holds memory allocated by ${describeAlloc(other.alloc)} in ${other.fn.split('#').pop()}() (${other.file.split('/').pop()}:${other.range.startLine + 1}) but is released here by ${describeRelease(r.api, r.via)}; release it with ${right ?? 'the matching deallocator'}()`,
      related: [{ file: other.file, range: other.range, message: `${slot ? `${slot} given` : `'${r.key.split('.').pop()}' assigned from`} ${describeAlloc(other.alloc)} here` }],
      fix: r.via.length === 0 && right ? { replace: r.callee, with: right } : undefined,
    });
  }
  return out;
}

export interface ProjectResult {
  /** The description asked for with ProjectOptions.probe. */
  probe?: string;
  fieldAssigns: FieldAssign[];
  fieldReleases: FieldRelease[];
  findings: Finding[];
  problems: FileProblem[];
  unusedSuppressions: UnusedSuppression[];
  stats: ProjectStats;
  /** Summaries by function name, for hover and for the heap view. */
  summaries: Map<string, Summary>;
}

export interface ParsedFile {
  path: string;
  /** The user's text (suppression comments are read from it). */
  text: string;
  /** The text the tree was parsed from: statement macros rewritten, same length and offsets. */
  analysed: string;
  facts: FileFacts;
  lineStarts?: number[];
  /** The whole tree, kept for files parsed with their bodies so that an edit can be re-parsed in place. */
  root?: Syntax;
  /**
   * The tree-sitter tree `root` was converted from, kept (when asked) for an incremental re-parse of
   * the whole file; edits applied in place are recorded on it. Its owner must delete() it.
   */
  tree?: Tree;
  /**
   * Top-level items (functions mostly) parsed alone (project/reparse.ts) since `tree` was parsed from
   * scratch, in the offsets of `analysed`, in order. A `guess` is one whose parse alone may differ
   * from a parse of the whole file (it has, or had, a syntax error, or is not a function): until a
   * parse from scratch confirms it (project/settle.ts), the file's syntax, and so its findings, may not
   * be what the CLI gets.
   */
  unverified?: Unverified[];
  /** localMacroNames(analysed), kept: an edit that touches no preprocessor line cannot change it. */
  macroNames?: string[];
}

export interface Unverified {
  start: number;
  end: number;
  guess: boolean;
}

/** Whether the file's syntax holds guesses a parse from scratch has yet to confirm. */
export function hasGuesses(p: ParsedFile): boolean {
  return !!p.unverified?.some(u => u.guess);
}

export interface FnEntry {
  /** The same in every CLI worker: the defining file's place in the file list, and the definition's in the file. */
  id: string;
  key: string;
  info: FunctionInfo;
  file: ParsedFile;
  summary?: Summary;
  relevant: boolean;
  /** Calls an allocator or deallocator itself (relevance starts here). */
  seed?: boolean;
  /** Analysed by another CLI worker, whose summary arrives by message (cli/worker.ts). */
  remote?: boolean;
}

/** A function as the coordinator of CLI workers sees it: an id shared by all workers, and its call edges. */
export interface GraphNode {
  /** `<file>:<n>` for functions, `<file>:m<n>` for macros analysed as functions. */
  id: string;
  seed: boolean;
  callees: string[];
}

export interface IndexOptions {
  /** Files whose functions another CLI worker analyses (their facts may be declarations only). */
  remote?: (path: string) => boolean;
}

const DEFAULT_BUDGET = 20_000;
/** HEAPLINT_SLOW=<ms>: name functions whose analysis takes longer (for profiling). Read once. */
const SLOW_MS = Number(process.env.HEAPLINT_SLOW ?? 0) || 0;

/**
 * Macro pseudo-functions by file and definition text: an edit elsewhere in the file does not parse them
 * again. Bodies that do not parse as a function are remembered as null, or they would be tried anew on
 * every analysis.
 */
const macroCache = new Map<string, { info: FunctionInfo; text: string; analysed: string; facts: FileFacts } | null>();
const MACRO_CACHE_LIMIT = 20_000;


const fingerprints = new WeakMap<Summary, string>();

function summaryFingerprint(s: Summary | undefined): string {
  if (!s) return '-';
  let fp = fingerprints.get(s);
  if (fp === undefined) {
    fp = JSON.stringify(s, (_k, v) => (v instanceof Set ? [...v] : v));
    fingerprints.set(s, fp);
  }
  return fp;
}
const SEED_KINDS = new Set(['alloc', 'realloc', 'free', 'result', 'out-alloc']);

export function isBinary(text: string): boolean {
  const probe = text.slice(0, 8192);
  if (probe.includes('\u0000')) return true;
  let bad = 0;
  for (let i = 0; i < probe.length; i++) if (probe.charCodeAt(i) === 0xfffd) bad++;
  return bad > 16;
}

const seedTests = new WeakMap<Model, (text: string) => boolean>();

/**
 * Whether a function body's (or a macro's) text may allocate, release or release the GIL: it names
 * such an API, or an argument parser with a format that allocates (as the index's seeds do).
 */
function seedTest(model: Model): (text: string) => boolean {
  let test = seedTests.get(model);
  if (!test) {
    const words = new Set<string>(['__HL_R', '__HL_A']);
    for (const a of model.apis.values()) if (SEED_KINDS.has(a.kind) || a.kind === 'gil-release') words.add(a.name);
    const apis = new RegExp(`\\b(?:${[...words].join('|')})`);
    const parsers = model.parsers.size ? new RegExp(`\\b(?:${[...model.parsers.keys()].join('|')})\\b`) : undefined;
    test = text => apis.test(text) || (!!parsers && parsers.test(text) && ALLOCATING_FORMAT.test(text));
    seedTests.set(model, test);
  }
  return test;
}

/**
 * `allLazy`: convert no function body now (a workspace file nobody looks at); bodies are parsed again,
 * one function at a time, only if an analysis needs them.
 */
export function parseSource(file: SourceFile, model: Model, allLazy = false, keepTree = false, blankIdle = false): ParsedFile | FileProblem {
  if (isBinary(file.text)) return { file: file.path, message: 'not a text file (binary content); skipped' };
  const analysed = neutralise(file.text, model);
  // the text parsed: unless the editor keeps the tree, without its tables of numbers (same offsets)
  const kept = keepTree && !allLazy;
  const tablesOut = kept ? analysed : blankNumericTables(analysed);
  const macroNames = localMacroNames(analysed, model);
  const skips = bodySkipper(analysed, model, macroNames);
  // and for a lint, without the insides of the bodies and initializers that will not be converted
  // (see function-bodies.ts, data-tables.ts)
  const braces = blankIdle && !kept ? topLevelBraces(tablesOut) : [];
  const idle = braces.filter(b => isPlainBody(b) && skips(b.open, b.close));
  const unread = unreadInitializers(tablesOut, braces, readTable(model));
  const { text: parsedText, cuts } = cutBraces(tablesOut, [...idle, ...unread].sort((a, b) => a.open - b.open));
  let tree = parseC(parsedText);
  let keptTree = false;
  try {
    // all lazy, but the bodies a normal parse would convert keep the identifiers it would have read:
    // the call graph must not depend on which files were asked about
    const skip = allLazy ? (s: number, e: number) => skips(s, e) || 'names' as const : skips;
    const convert = (cut?: CutMap) => toSyntax(tree, tablesOut, { skipBody: skip, skipInitializer: unreadInitializer(model, tablesOut), cuts: cut });
    let root = convert(cuts);
    if ((idle.length || unread.length) && !bodiesFound(root, idle, unread)) {
      // the text misled the search for bodies (see function-bodies.ts): parse them too
      const whole = parseC(tablesOut);
      tree.delete();
      tree = whole;
      root = convert();
    }
    const facts = readFacts(root, tablesOut, file.path, model);
    if (allLazy) compactFacts(facts); // nothing will look at this file's syntax: let it go
    const parsed = { path: file.path, text: file.text, analysed, facts, root: allLazy ? undefined : root, tree: kept ? tree : undefined, macroNames };
    if (kept) keptTree = true;
    return parsed;
  } finally {
    if (!keptTree) tree.delete();
  }
}

/**
 * The parse of a lint (CLI, benchmark): bodies that will not be converted are blanked first. Their
 * syntax errors then go unseen until an analysis needs them and parses them alone, as it would anyway.
 * The editor's parses do not do this, because they compare trees with parses from scratch.
 */
export function parseForLint(file: SourceFile, model: Model): ParsedFile | FileProblem {
  return parseSource(file, model, false, false, true);
}

/**
 * Names the file #defines whose definitions name an allocator, a deallocator or a GIL release, or
 * another such macro of the file: a body that uses one is converted at parse time like one that
 * allocates. A body using other macros is converted later if an analysis needs it (its lazy mentions
 * hold every word of its text, the macros' names among them, so the call graph still sees them).
 */
export function localMacroNames(analysed: string, model: Model): string[] {
  const defs = [...analysed.matchAll(/^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)((?:\\\r?\n|\\[^\n]|[^\n\\])*)/gm)];
  if (!defs.length) return [];
  const seeds = seedTest(model);
  const chosen = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    const others = chosen.size ? new RegExp(`\\b(?:${[...chosen].join('|')})\\b`) : undefined;
    for (const [, name, body] of defs) {
      if (chosen.has(name) || !(seeds(body) || others?.test(body))) continue;
      chosen.add(name);
      grew = true;
    }
  }
  return defs.map(d => d[1]).filter(n => chosen.has(n));
}

/**
 * The localMacroNames of `analysed`, which is `prev.analysed` with [from, oldEnd) replaced by
 * [from, newEnd); undefined when they are not those of `prev`. A definition starts on a line with
 * `#`, so an edit whose lines, before and after (with the lines they continue), hold none leaves them
 * as they were.
 */
export function macroNamesAfterEdit(prev: ParsedFile, analysed: string, from: number, oldEnd: number, newEnd: number, model: Model): string[] | undefined {
  const before = prev.analysed;
  const names = prev.macroNames ?? localMacroNames(before, model);
  const lines = (t: string, s: number, e: number) => {
    const nl = t.indexOf('\n', e);
    let start = t.lastIndexOf('\n', s - 1) + 1;
    // a line ending in a backslash continues onto the next: a macro's body may be on lines without `#`
    while (start > 0 && /\\\r?\n$/.test(t.slice(Math.max(0, start - 3), start))) start = t.lastIndexOf('\n', start - 2) + 1;
    return t.slice(start, nl < 0 ? t.length : nl);
  };
  if (!lines(before, from, oldEnd).includes('#') && !lines(analysed, from, newEnd).includes('#')) return names;
  const now = localMacroNames(analysed, model);
  return now.join(' ') === names.join(' ') ? now : undefined;
}

/** Bodies that call nothing of interest are converted only if a cross-file summary makes them matter. */
export function bodySkipper(analysed: string, model: Model, localMacros = localMacroNames(analysed, model)): (start: number, end: number) => boolean {
  const seeds = seedTest(model);
  const macroRe = localMacros.length ? new RegExp(`\\b(?:${localMacros.join('|')})\\b`) : undefined;
  return (s, e) => {
    const body = analysed.slice(s, e);
    return !seeds(body) && !(macroRe && macroRe.test(body));
  };
}

export function analyzeProject(files: SourceFile[], opts: ProjectOptions): ProjectResult {
  const model = opts.model;
  const t0 = performance.now();
  const parsed: ParsedFile[] = [];
  const problems: FileProblem[] = [];
  let lines = 0;
  for (const f of files) {
    try {
      const p = parseForLint(f, model);
      if ('message' in p) problems.push(p);
      else {
        parsed.push(p);
        lines += countLines(f.text);
      }
    } catch (err) {
      problems.push({ file: f.path, message: `could not be parsed: ${(err as Error).message}` });
    }
  }
  const t1 = performance.now();
  const result = analyzeParsed(parsed, opts);
  result.problems.unshift(...problems);
  result.stats.lines = lines;
  result.stats.parseMs = t1 - t0;
  result.stats.analysisMs = performance.now() - t1;
  return result;
}

function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** `index`: one carried over from an earlier analysis of nearly the same files (see ProjectIndex.carryOver). */
export function analyzeParsed(parsed: ParsedFile[], opts: ProjectOptions, index = new ProjectIndex(parsed, opts.model)): ProjectResult {
  index.forgetSummaries();
  const run = new ProjectAnalysis(parsed, opts, index);
  // asked about some files only (the editor): what they call is all that needs summaries
  const needed = opts.reportOnly && opts.reportOnly.size < parsed.length ? index.closureOf(opts.reportOnly) : undefined;
  for (const entry of index.order()) {
    if (needed && !needed.has(entry) && !entry.info.macro) run.keep(entry);
    else run.analyse(entry);
  }
  return run.finish();
}

/**
 * One analysis of a project's functions, taken one at a time in an order that puts callees first
 * (one thread's, or the CLI workers' shared schedule); what they report is gathered until finish().
 */
export class ProjectAnalysis {
  private readonly findings: Finding[] = [];
  private readonly problems: FileProblem[] = [];
  private readonly fieldAssigns: FieldAssign[] = [];
  private readonly fieldReleases: FieldRelease[] = [];
  private readonly summaries = new Map<string, Summary>();
  private analysed = 0;
  private gaveUp = 0;
  private reused = 0;
  private probe: string | undefined;
  private readonly budget: number;

  constructor(private readonly parsed: ParsedFile[], private readonly opts: ProjectOptions, private readonly index: ProjectIndex) {
    this.budget = opts.budget ?? DEFAULT_BUDGET;
  }

  /** An entry outside what the files asked about need: whatever was computed before is reused (its field events still count). */
  keep(entry: FnEntry): void {
    const memo = memoOf(entry.info);
    if (!memo) return;
    entry.summary = memo.result.summary;
    const fields = fieldEventsOf(memo.result, entry);
    for (const a of fields.assigns) this.fieldAssigns.push(a);
    for (const r of fields.releases) this.fieldReleases.push(r);
  }

  analyse(entry: FnEntry): void {
    const { opts, index, budget } = this;
    if (!index.needsAnalysis(entry)) {
      entry.summary = index.inertSummary(entry);
      return;
    }
    let result;
    const started = performance.now();
    // unchanged body and unchanged callee summaries: the last result still holds
    let memoKey = index.memoKey(entry, budget);
    const probing = opts.probe && opts.probe.file === entry.file.path && !entry.info.macro && opts.probe.offset >= entry.info.node.start && opts.probe.offset <= entry.info.node.end;
    let memo = memoOf(entry.info);
    // a body is converted only to be analysed: a result kept for a body given back (compact.ts) holds
    if (entry.info.body.lazy && (probing || memo?.key !== memoKey)) {
      index.materialize(entry);
      memoKey = index.memoKey(entry, budget);
      memo = memoOf(entry.info);
    }
    try {
      const reuse = memo && memo.key === memoKey && !probing;
      if (reuse) result = memo!.result;
      else {
        const ctx = index.context(entry, budget);
        if (probing) ctx.probe = opts.probe!.offset;
        result = analyzeFunction(ctx);
      }
      if (reuse) this.reused++;
      else if (!probing) remember(entry.info, { key: memoKey, result });
      if (probing) this.probe = result.probe;
      const ms = performance.now() - started;
      if (SLOW_MS && ms > SLOW_MS) console.error(`slow: ${entry.info.name} ${ms.toFixed(0)} ms ${entry.file.path}`);
    } catch (err) {
      this.problems.push({ file: entry.file.path, message: `analysis of ${entry.info.name}() failed: ${(err as Error).message}` });
      entry.summary = { ...emptyUnknown(entry.info.name) };
      return;
    }
    this.analysed++;
    if (result.aborted) this.gaveUp++;
    entry.summary = result.summary;
    if (!entry.info.macro) this.summaries.set(entry.info.name, result.summary);
    if (entry.info.macro) return; // macro bodies are judged where they are invoked
    const report = !opts.reportOnly || opts.reportOnly.has(entry.file.path);
    for (const e of result.events) {
      if (this.collectField(e, entry, result.sites, report)) continue;
      if (!report) continue;
      const f = judge(e, entry, result.sites, index, opts);
      if (f) this.findings.push(f);
    }
  }

  private collectField(e: FlowEvent, entry: FnEntry, sites: Map<number, Syntax>, report: boolean): boolean {
    if (e.kind === 'field-assign') {
      const node = sites.get(e.site);
      if (node) this.fieldAssigns.push({ key: e.key, pp: e.pp, alloc: e.alloc, fn: entry.key, file: entry.file.path, range: rangeOf(node) });
      return true;
    }
    if (e.kind === 'field-release') {
      const node = sites.get(e.site);
      if (node && !inErrorNode(node)) {
        this.fieldReleases.push({ key: e.key, pp: e.pp, api: e.api, family: e.family, via: e.via, fn: entry.key, fnName: entry.info.name, file: entry.file.path, range: rangeOf(node), callee: calleeRange(node), report });
      }
      return true;
    }
    return false;
  }

  finish(): ProjectResult {
    const { opts, index, parsed, findings } = this;
    if (!opts.deferFieldConflicts) findings.push(...fieldConflicts(this.fieldAssigns, this.fieldReleases, opts, f => index.releaseOf(f)));

    // tp_free slots that do not match the type's GC flag
    for (const file of parsed) {
      if (opts.reportOnly && !opts.reportOnly.has(file.path)) continue;
      for (const t of file.facts.typeObjects) {
        if (!t.tpFree) continue;
        const api = index.api(t.tpFree.name, file.path);
        if (!api || api.kind !== 'free') continue;
        const wrong = t.gc ? api.family !== 'gc-object' : api.family === 'gc-object';
        if (!wrong) continue;
        const sev = severityOf('gc-mismatch', 'error', opts);
        if (!sev) continue;
        findings.push({
          rule: 'gc-mismatch', severity: sev, file: file.path, range: rangeOf(t.tpFree.node),
          message: t.gc
            ? `'${t.name}' has Py_TPFLAGS_HAVE_GC, so its objects carry a GC header, but tp_free is ${t.tpFree.name}; use PyObject_GC_Del`
            : `'${t.name}' is not a GC type but tp_free is ${t.tpFree.name}, which expects a GC header; use PyObject_Free`,
          related: [],
          fix: { replace: rangeOf(t.tpFree.node), with: t.gc ? 'PyObject_GC_Del' : 'PyObject_Free' },
        });
      }
    }

    const unusedSuppressions: UnusedSuppression[] = [];
    // findings exist only in reported files: the others' comments need not be read
    const commented = opts.reportOnly ? parsed.filter(p => opts.reportOnly!.has(p.path)) : parsed;
    return {
      findings: settleFindings(findings, commented, unusedSuppressions), problems: this.problems, unusedSuppressions, summaries: this.summaries, fieldAssigns: this.fieldAssigns, fieldReleases: this.fieldReleases, probe: this.probe,
      stats: { files: parsed.length, lines: 0, functions: index.functionCount, analysed: this.analysed - this.reused, gaveUp: this.gaveUp, parseMs: 0, analysisMs: 0 },
    };
  }
}

const fieldEvents = new WeakMap<FlowResult, { key: string; assigns: FieldAssign[]; releases: FieldRelease[] }>();

/**
 * The field events of a kept result, as records: a function outside the closure of the files asked
 * about contributes them to every analysis unchanged (its file's text, and so the places, did not
 * change, or the result would be another object).
 */
function fieldEventsOf(result: FlowResult, entry: FnEntry): { assigns: FieldAssign[]; releases: FieldRelease[] } {
  const known = fieldEvents.get(result);
  if (known && known.key === entry.key) return known;
  const assigns: FieldAssign[] = [];
  const releases: FieldRelease[] = [];
  for (const e of result.events) {
    const node = e.kind === 'field-assign' || e.kind === 'field-release' ? result.sites.get(e.site) : undefined;
    if (!node) continue;
    if (e.kind === 'field-assign') assigns.push({ key: e.key, pp: e.pp, alloc: e.alloc, fn: entry.key, file: entry.file.path, range: rangeOf(node) });
    else if (e.kind === 'field-release' && !inErrorNode(node)) {
      releases.push({ key: e.key, pp: e.pp, api: e.api, family: e.family, via: e.via, fn: entry.key, fnName: entry.info.name, file: entry.file.path, range: rangeOf(node), callee: calleeRange(node), report: false });
    }
  }
  const fields = { key: entry.key, assigns, releases };
  fieldEvents.set(result, fields);
  return fields;
}

/** A function that neither allocates nor releases, directly or through callees: only its pointer arguments may be kept. */
function inertSummary(info: FunctionInfo): Summary {
  const escapes = new Set<number>();
  info.params.forEach((p, i) => {
    if (p.pointers > 0) escapes.add(i);
  });
  return { name: info.name, returns: [], releases: [], outAllocs: [], paramAssigns: [], escapes, setsException: false };
}

/** Whether a callee's summary can change what a caller's analysis concludes. */
function summaryMatters(s: Summary | undefined): boolean {
  if (!s) return false;
  if (s.unknown) return false;
  return s.releases.length > 0 || s.outAllocs.length > 0 || s.paramAssigns.length > 0 ||
    s.returns.some(r => (r.kind === 'alloc' && !r.alloc.typed) || r.kind === 'nonheap' || r.kind === 'borrowed');
}

function emptyUnknown(name: string): Summary {
  return { name, returns: [], releases: [], outAllocs: [], paramAssigns: [], escapes: new Set(), setsException: false, unknown: true };
}

function severityOf(rule: string, def: SeverityLevel, opts: ProjectOptions): SeverityLevel | undefined {
  const s = opts.severities?.[rule];
  if (s === 'off') return undefined;
  return s ?? def;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter(f => {
    // one finding per rule and line: `p = c ? PyMem_Calloc(..) : PyMem_Malloc(..)` leaking is one leak
    const k = `${f.file}|${f.rule}|${f.range.startLine}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The findings as reported: one per rule and line, those silenced by a comment in `files` left out
 * (the comments that silenced nothing are added to `unused`), in file and position order.
 */
export function settleFindings(findings: Finding[], files: readonly { path: string; text: string }[], unused: UnusedSuppression[] = []): Finding[] {
  const kept = applySuppressions(dedupe(findings), files, unused);
  return kept.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.range.startLine - b.range.startLine || a.range.startCol - b.range.startCol));
}

function applySuppressions(findings: Finding[], parsed: readonly { path: string; text: string }[], unused: UnusedSuppression[]): Finding[] {
  const byFile = new Map<string, Suppression[]>();
  for (const p of parsed) {
    const s = parseSuppressions(p.text);
    if (s.length) byFile.set(p.path, s);
  }
  const kept = findings.filter(f => {
    const sups = byFile.get(f.file);
    return !sups || !isSuppressed(sups, f.rule, f.range.startLine);
  });
  for (const [file, sups] of byFile) {
    for (const s of sups) {
      if (!s.used) unused.push({ file, rules: s.rules, range: { startLine: s.commentLine, startCol: s.startCol, endLine: s.commentLine, endCol: s.endCol } });
    }
  }
  return kept;
}

export function rangeOf(n: Syntax): Range {
  return { startLine: n.row, startCol: n.col, endLine: n.endRow, endCol: n.endCol };
}

function calleeRange(n: Syntax): Range {
  const f = n.type === 'call_expression' ? n.children.find(c => c.field === 'function') : undefined;
  return rangeOf(f ?? n);
}

function inErrorNode(n: Syntax): boolean {
  for (let cur: Syntax | undefined = n; cur; cur = cur.parent) {
    if (cur.type === 'ERROR') return true;
    if (cur.type === 'function_definition') return false;
  }
  return false;
}

const call = (name: string) => (name.includes('(') ? name : `${name}()`);

export function describeAlloc(a: AllocFact): string {
  if (a.via.length === 0) return call(a.api);
  return `${a.via[0]}() (which allocates with ${call(a.api)})`;
}

export function describeRelease(api: string, via: string[]): string {
  if (via.length === 0) return `${api}()`;
  return `${via[0]}() (which calls ${api}())`;
}

function judge(e: FlowEvent, entry: FnEntry, sites: Map<number, Syntax>, index: ProjectIndex, opts: ProjectOptions): Finding | undefined {
  const rules: Rule[] = e.kind === 'release' ? releaseRules : pathRules.filter(r => r.on.includes(e.kind));
  const ctx: RuleContext = {
    model: opts.model,
    line: site => sites.get(site)?.row ?? 0,
    describeAlloc, describeRelease,
    releaseOf: f => index.releaseOf(f),
    familyLabel: f => index.family(f)?.label ?? f,
  };
  for (const rule of rules) {
    if (!rule.on.includes(e.kind)) continue;
    const v = rule.match(e, ctx);
    if (!v) continue;
    const sev = severityOf(rule.id, rule.severity, opts);
    if (!sev) return undefined;
    const node = sites.get(v.site);
    if (!node) return undefined;
    if (entry.info.broken && (rule.pathDependent || inErrorNode(node))) return undefined;
    return toFinding(rule.id, sev, v, node, entry, sites);
  }
  return undefined;
}

function toFinding(rule: string, severity: SeverityLevel, v: Verdict, node: Syntax, entry: FnEntry, sites: Map<number, Syntax>): Finding {
  const file = entry.file.path;
  const rel = (list: { site: number; message: string }[]): Related[] =>
    list.flatMap(r => {
      const n = sites.get(r.site);
      return n ? [{ file, range: rangeOf(n), message: r.message }] : [];
    });
  const flow = v.flow ? rel(v.flow) : undefined;
  return {
    rule, severity, file, range: rangeOf(node), message: v.message, related: rel(v.related), function: entry.info.name,
    flow: flow && flow.length > 1 ? flow : undefined,
    fix: v.fixWith ? { replace: calleeRange(node), with: v.fixWith } : undefined,
  };
}

interface Inputs {
  info: FunctionInfo;
  /** What the analysis sees of each resolved mention (resolvedMentions order): its callee's summary, or an import. */
  summaries: (Summary | undefined)[];
  needs?: boolean;
  inert?: Summary;
  key?: string;
  budget?: number;
}

interface NameFacts {
  callee?: FnEntry;
  api?: Api;
  /** An API that allocates or releases. */
  allocSeed: boolean;
  /** An argument parser: a seed where its format allocates. */
  parser: boolean;
  setter: boolean;
  gilRelease: boolean;
}

interface ResolvedMention {
  name: string;
  callee?: FnEntry;
  api?: Api;
  seed: boolean;
  setter: boolean;
  gilRelease: boolean;
}

/** Everything the files declare, resolved by the scope rules of C (static functions per file). */
export class ProjectIndex {
  private readonly staticFns = new Map<string, Map<string, FnEntry>>();
  private readonly globalFns = new Map<string, FnEntry>();
  private readonly fileMacros = new Map<string, Map<string, FnEntry>>();
  private readonly globalMacros = new Map<string, FnEntry>();
  /** Object-like #defines naming another function, per file; those from headers apply everywhere. */
  private readonly aliases = new Map<string, Map<string, string>>();
  private readonly customApis = new Map<string, Api>();
  private readonly customFamilies = new Map<string, Family>();
  private readonly structs = new Map<string, Map<string, VarType>>();
  private readonly globals = new Map<string, Map<string, GlobalVar>>();
  private readonly typeGc = new Map<string, boolean>();
  private readonly deallocs = new Map<string, { typeName: string; gc: boolean }>();
  private readonly pythonFacing = new Set<string>();
  private readonly entries: FnEntry[] = [];
  /** Each file's function entries in declaration order (macros not included). */
  private readonly fileEntries = new Map<string, FnEntry[]>();
  readonly functionCount: number;

  constructor(private files: ParsedFile[], private readonly model: Model, private readonly options: IndexOptions = {}) {
    files.forEach((f, fileIndex) => {
      const own: FnEntry[] = [];
      const remote = this.options.remote?.(f.path);
      this.fileEntries.set(f.path, own);
      for (const [k, v] of f.facts.structs) if (!this.structs.has(k) || this.structs.get(k)!.size < v.size) this.structs.set(k, v);
      this.globals.set(f.path, f.facts.globals);
      for (const t of f.facts.typeObjects) {
        this.typeGc.set(t.name, t.gc);
        if (t.dealloc) this.deallocs.set(t.dealloc, { typeName: t.name, gc: t.gc });
      }
      for (const n of f.facts.pythonFacing) this.pythonFacing.add(n);
      for (const a of f.facts.attributes) this.addAttribute(a.fn, a.kind, a.family, a.dealloc, a.argIndex);
      f.facts.functions.forEach((info, i) => {
        const entry: FnEntry = { id: `${fileIndex}:${i}`, key: info.isStatic ? `${f.path}#${info.name}` : info.name, info, file: f, relevant: false, remote };
        this.entries.push(entry);
        own.push(entry);
        if (info.isStatic) {
          if (!this.staticFns.has(f.path)) this.staticFns.set(f.path, new Map());
          this.staticFns.get(f.path)!.set(info.name, entry);
        } else if (!this.globalFns.has(info.name)) this.globalFns.set(info.name, entry);
      });
    });
    this.functionCount = this.entries.filter(e => !e.remote).length;
    this.readMacros();
    this.markRelevant();
  }

  /**
   * The index for `files`, reusing `prev` when the files are the same ones in the same order and
   * every file that changed declares exactly what it declared before (an edit inside function
   * bodies): then only the changed functions' syntax is swapped in and their call edges resolved
   * again. Anything else — a new or removed file, a changed signature, macro, struct or global —
   * builds a new index, because name resolution may change everywhere.
   */
  static carryOver(prev: ProjectIndex | undefined, files: ParsedFile[], model: Model): ProjectIndex {
    if (!prev || prev.model !== model || prev.files.length !== files.length) return new ProjectIndex(files, model);
    const changed: number[] = [];
    for (let i = 0; i < files.length; i++) {
      const before = prev.files[i];
      const now = files[i];
      if (before === now) continue;
      if (before.path !== now.path || declarationKey(before.facts) !== declarationKey(now.facts)) return new ProjectIndex(files, model);
      changed.push(i);
    }
    for (const i of changed) prev.replaceBodies(files[i]);
    prev.files = files;
    // bodies materialised by the last analysis mention names more precisely than the lazy ones did
    let graphChanged = false;
    for (const e of prev.newSyntax) if (prev.resolvedFor.get(e) !== e.info) graphChanged = prev.resolveAgain(e) || graphChanged;
    prev.newSyntax.clear();
    if (graphChanged) {
      prev.markRelevant();
      prev.ordered = undefined;
      prev.closures.clear();
      prev.inputs.clear();
    }
    return prev;
  }

  /** Entries whose syntax changed since their call edges were resolved (an edit, a body converted). */
  private readonly newSyntax = new Set<FnEntry>();

  /** Points the file's entries at its new syntax (their call edges are resolved again afterwards). */
  private replaceBodies(file: ParsedFile): void {
    const own = this.fileEntries.get(file.path)!;
    file.facts.functions.forEach((info, i) => {
      const entry = own[i];
      if (entry.info !== info) this.newSyntax.add(entry);
      entry.info = info;
      entry.file = file;
    });
    if (this.globals.get(file.path) !== file.facts.globals) {
      this.globals.set(file.path, file.facts.globals);
      this.exportedGlobals = undefined;
    }
  }

  /** Call edges and seed status from the entry's current syntax. True when either changed. */
  private resolveAgain(e: FnEntry): boolean {
    const before = this.callees(e);
    this.calleesOf.delete(e);
    const now = this.callees(e);
    const seed = this.isSeedEntry(e);
    const changed = seed !== e.seed || now.length !== before.length || now.some((c, j) => c !== before[j]);
    e.seed = seed;
    return changed;
  }

  /** Summaries belong to one analysis: a carried-over index starts each one without them. */
  forgetSummaries(): void {
    for (const e of this.entries) e.summary = undefined;
  }

  /** Places in a schedule shared by CLI workers (see schedule()); undefined on one thread. */
  private positions: Map<FnEntry, number> | undefined;

  /**
   * The summary of `callee` that `caller`'s analysis reads: that of a callee analysed before it. One
   * thread analyses in order(), so that is any summary already there; CLI workers may analyse a
   * function of theirs ahead of its place, and a caller placed before it must not see the result.
   */
  private seen(caller: FnEntry, callee: FnEntry): Summary | undefined {
    if (callee === caller) return undefined;
    if (this.positions && !(this.positions.get(callee)! < this.positions.get(caller)!)) return undefined;
    return callee.summary;
  }

  /** This index's own functions as nodes of the project's call graph (for cli/plan.ts). */
  graphShare(): GraphNode[] {
    return this.entries.filter(e => !e.remote).map(e => ({
      id: e.id, seed: (e.seed ??= this.isSeedEntry(e)), callees: this.callees(e).map(c => c.id),
    }));
  }

  /**
   * Takes the relevance and places the coordinator computed over every worker's share (the same
   * answers one thread would compute over all files) and returns this index's own relevant entries
   * in their places' order.
   */
  schedule(relevant: ReadonlySet<string>, position: ReadonlyMap<string, number>): FnEntry[] {
    this.positions = new Map();
    for (const e of this.entries) {
      e.relevant = relevant.has(e.id);
      const at = position.get(e.id);
      if (at !== undefined) this.positions.set(e, at);
    }
    this.inputs.clear();
    this.ordered = this.entries.filter(e => e.relevant && !e.remote).sort((a, b) => this.positions!.get(a)! - this.positions!.get(b)!);
    return this.ordered;
  }

  /** The callees whose summaries `e`'s analysis reads, in a schedule: the relevant ones placed before it. */
  dependencies(e: FnEntry): FnEntry[] {
    const at = this.positions?.get(e);
    if (at === undefined) return [];
    return this.callees(e).filter(c => c.relevant && this.positions!.get(c)! < at);
  }

  /** Entries by id, among them those another worker analyses (to hand them its summaries). */
  entryById(id: string): FnEntry | undefined {
    this.byId ??= new Map(this.entries.map(e => [e.id, e]));
    return this.byId.get(id);
  }

  private byId: Map<string, FnEntry> | undefined;

  private addAttribute(fn: string, kind: 'alloc' | 'free' | 'holds', family: string, dealloc: string | undefined, argIndex: number | undefined): void {
    if (kind === 'holds') return;
    let fam = family;
    if (dealloc) {
      const known = this.model.apis.get(dealloc);
      if (known?.kind === 'free' && known.family) fam = known.family;
    }
    if (this.model.apis.has(fn) && kind === 'free') return;
    if (!this.model.families.has(fam) && !this.customFamilies.has(fam)) {
      this.customFamilies.set(fam, { id: fam, label: dealloc ? `${dealloc}() family` : `'${fam}' ownership family` });
    }
    if (kind === 'free') {
      const fam0 = this.customFamilies.get(fam);
      if (fam0 && !fam0.release) fam0.release = fn;
      this.customApis.set(fn, { name: fn, kind: 'free', family: fam, ptrArg: argIndex ?? 0 });
    } else {
      this.customApis.set(fn, { name: fn, kind: 'alloc', family: fam });
    }
  }

  /** Local #defines: aliases of allocators, and function-like macros analysed as pseudo-functions. */
  private readMacros(): void {
    const staticNames = new Set<string>();
    for (const fns of this.staticFns.values()) for (const n of fns.keys()) staticNames.add(n);
    const interesting = (body: string) => {
      for (const m of body.matchAll(/[A-Za-z_]\w*/g)) {
        const w = m[0];
        if (this.isAllocSeed(w) || this.globalFns.has(w) || staticNames.has(w) || this.model.statementMacros.has(w)) return true;
      }
      return false;
    };
    const pseudo: { file: ParsedFile; id: string; name: string; params: string[]; body: string }[] = [];
    this.files.forEach((f, fileIndex) => {
      f.facts.macros.forEach((m, j) => {
        const id = `${fileIndex}:m${j}`;
        if (m.body.includes('#')) return;
        if (m.params === null) {
          if (/^[A-Za-z_]\w*$/.test(m.body)) {
            const scope = f.path.endsWith('.h') ? '' : f.path;
            if (!this.aliases.has(scope)) this.aliases.set(scope, new Map());
            this.aliases.get(scope)!.set(m.name, m.body);
            return;
          }
          if (!interesting(m.body)) return;
          pseudo.push({ file: f, id, name: m.name, params: [], body: m.body });
        } else if (interesting(m.body)) {
          pseudo.push({ file: f, id, name: m.name, params: m.params, body: m.body });
        }
      });
    });
    for (const p of pseudo) {
      const cacheKey = `${p.file.path}\u0000${p.name}(${p.params.join(',')})${p.body}`;
      let cached = macroCache.get(cacheKey);
      if (cached === undefined) {
        cached = this.parseMacro(p) ?? null;
        if (macroCache.size >= MACRO_CACHE_LIMIT) macroCache.clear();
        macroCache.set(cacheKey, cached);
      }
      if (!cached) continue;
      const { info, text, analysed, facts } = cached;
      const entry: FnEntry = { id: p.id, key: `${p.file.path}#m:${p.name}`, info, file: { path: p.file.path, text, analysed, facts }, relevant: false, remote: this.options.remote?.(p.file.path) };
      this.entries.push(entry);
      if (!this.fileMacros.has(p.file.path)) this.fileMacros.set(p.file.path, new Map());
      this.fileMacros.get(p.file.path)!.set(p.name, entry);
      if (p.file.path.endsWith('.h') && !this.globalMacros.has(p.name)) this.globalMacros.set(p.name, entry);
    }
  }

  private parseMacro(p: { file: ParsedFile; name: string; params: string[]; body: string }): { info: FunctionInfo; text: string; analysed: string; facts: FileFacts } | undefined {
    {
      const statement = /^(do\b|\{)/.test(p.body) || p.body.includes(';');
      const params = p.params.map(x => `void *${x}`).join(', ') || 'void';
      const text = statement ? `void __hl_macro(${params}) { ${p.body}; }` : `void *__hl_macro(${params}) { return (${p.body}); }`;
      let root: Syntax;
      const analysed = neutralise(text, this.model);
      try {
        const tree = parseC(analysed);
        root = toSyntax(tree, analysed);
        tree.delete();
      } catch {
        return undefined;
      }
      const facts = readFacts(root, analysed, p.file.path, this.model);
      const info = facts.functions[0];
      if (!info || info.broken) return undefined;
      info.name = p.name;
      info.macro = true;
      return { info, text, analysed, facts };
    }
  }

  resolveFn(name: string, file: string): FnEntry | undefined {
    return this.staticFns.get(file)?.get(name) ?? this.fileMacros.get(file)?.get(name) ?? this.globalFns.get(name) ?? this.globalMacros.get(name);
  }

  api(name: string, file: string, depth = 0): Api | undefined {
    const direct = this.customApis.get(name) ?? this.model.apis.get(name);
    if (direct) return direct;
    const alias = this.aliases.get(file)?.get(name) ?? this.aliases.get('')?.get(name);
    if (alias && depth < 5 && !this.resolveFn(name, file)) return this.api(alias, file, depth + 1);
    return undefined;
  }

  family(id: string): Family | undefined {
    return this.model.families.get(id) ?? this.customFamilies.get(id);
  }

  releaseOf(family: string): string | undefined {
    return this.family(family)?.release;
  }

  /** Calls that create or release a block: a function without any (directly or through callees) has nothing to report. */
  private isAllocSeed(name: string): boolean {
    const api = this.customApis.get(name) ?? this.model.apis.get(name);
    return !!api && SEED_KINDS.has(api.kind);
  }

  /** Callees of each function, resolved once (the call graph every later pass walks). */
  private readonly calleesOf = new Map<FnEntry, FnEntry[]>();
  /** The syntax each entry's callees were resolved from. */
  private readonly resolvedFor = new Map<FnEntry, FunctionInfo>();

  callees(e: FnEntry): FnEntry[] {
    let list = this.calleesOf.get(e);
    if (!list) {
      this.resolvedFor.set(e, e.info);
      list = [];
      for (const m of e.info.mentions) {
        const t = this.nameIn(m, e.file.path)?.callee;
        if (t && t !== e) list.push(t);
      }
      this.calleesOf.set(e, list);
    }
    return list;
  }

  private isSeedEntry(e: FnEntry): boolean {
    for (const m of e.info.mentions) {
      const n = this.nameIn(m, e.file.path);
      if (n && (n.allocSeed || (n.parser && e.info.allocatingFormat === true))) return true;
    }
    return this.returnsStaticStorage(e);
  }

  /**
   * Returns a static array of its own or of its file (`static char buf[64]; … return buf;`): a caller
   * that releases the result releases memory no allocator gave, so the function's summary matters
   * though it calls no allocator. Read off the text, as for any body not converted yet; functions
   * returning Python objects are left out (their static arrays are keyword lists and the like).
   */
  private returnsStaticStorage(e: FnEntry): boolean {
    const { returns, body } = e.info;
    if (returns.pointers === 0 || this.model.objectType.test(returns.base) || e.remote) return false;
    const text = e.file.analysed.slice(body.start, body.end);
    for (const m of text.matchAll(/\breturn\s*(?:\([^()]*\)\s*)?&?\s*([A-Za-z_]\w*)\s*;/g)) {
      const name = m[1];
      if (this.globals.get(e.file.path)?.get(name)?.array) return true;
      if (new RegExp(`\\bstatic\\b[^;{}()=]*\\b${name}\\s*\\[`).test(text)) return true;
    }
    return false;
  }

  /** Relevant: calls an allocator or a relevant function. One pass over callers from the seeds. */
  private markRelevant(): void {
    const relevant = reachingSeeds(this.entries, e => this.callees(e), e => (e.seed ??= this.isSeedEntry(e)));
    for (const e of this.entries) e.relevant = relevant.has(e);
  }

  /** closureOf's answers while the call graph stays the same. */
  private readonly closures = new Map<string, Set<FnEntry>>();

  /** Functions of these files and everything they call, directly or not: all a report on them needs. */
  closureOf(files: Set<string>): Set<FnEntry> {
    const key = [...files].sort().join('\n');
    let out = this.closures.get(key);
    if (!out) {
      out = this.computeClosure(files);
      if (this.closures.size > 16) this.closures.clear();
      this.closures.set(key, out);
    }
    return out;
  }

  private computeClosure(files: Set<string>): Set<FnEntry> {
    const out = new Set<FnEntry>();
    const work = this.entries.filter(e => files.has(e.file.path) && !e.info.macro);
    while (work.length) {
      const e = work.pop()!;
      if (out.has(e)) continue;
      out.add(e);
      for (const c of this.callees(e)) if (!out.has(c)) work.push(c);
    }
    return out;
  }

  /**
   * The entry's mentions that name something — a project function, an API, a seed, an exception
   * setter — resolved once per syntax: every analysis asks this of every function in the closure,
   * and most mentions are locals and types. Sorted, as the memo key lists them.
   */
  private resolvedMentions(e: FnEntry): ResolvedMention[] {
    const cached = this.resolved.get(e);
    if (cached && cached.info === e.info) return cached.list;
    const list: ResolvedMention[] = [];
    for (const name of [...e.info.mentions].sort()) {
      const n = this.nameIn(name, e.file.path);
      if (!n) continue;
      const seed = n.allocSeed || (n.parser && e.info.allocatingFormat === true);
      if (n.callee || n.api || seed || n.setter || n.gilRelease) list.push({ name, callee: n.callee, api: n.api, seed, setter: n.setter, gilRelease: n.gilRelease });
    }
    this.resolved.set(e, { info: e.info, list });
    return list;
  }

  /**
   * What a name mentioned in a file stands for, asked once per file and name: most names recur in
   * many of a file's functions, and the answers hold while the index does (declarations, macros and
   * attributes are read when it is built; an index is rebuilt when any of them changes).
   */
  private nameIn(name: string, file: string): NameFacts | null {
    let names = this.namesByFile.get(file);
    if (!names) this.namesByFile.set(file, (names = new Map()));
    let n = names.get(name);
    if (n === undefined) {
      const callee = this.resolveFn(name, file);
      const api = this.api(name, file);
      const allocSeed = !!api && SEED_KINDS.has(api.kind);
      const parser = this.model.parsers.has(name);
      const setter = this.model.exceptionSetters.test(name) || this.model.exceptionSetterHint.test(name);
      const gilRelease = name.startsWith('__HL_R') || api?.kind === 'gil-release';
      n = callee || api || parser || setter || gilRelease ? { callee, api, allocSeed, parser, setter, gilRelease } : null;
      names.set(name, n);
    }
    return n;
  }

  private readonly namesByFile = new Map<string, Map<string, NameFacts | null>>();

  private readonly resolved = new Map<FnEntry, { info: FunctionInfo; list: ResolvedMention[] }>();

  /**
   * What each entry's analysis read from outside at the last analysis: its syntax and the summary
   * objects of what it names. The same objects mean the same answers (whether it needs analysis, its
   * inert summary, its memo key), so an analysis after an edit recomputes them only for the functions
   * whose callees' results changed. Cleared when the call graph changes (relevance is read too).
   */
  private readonly inputs = new Map<FnEntry, Inputs>();

  private inputsOf(e: FnEntry): Inputs {
    const mentions = this.resolvedMentions(e);
    const known = this.inputs.get(e);
    if (known && known.info === e.info && known.summaries.length === mentions.length) {
      let same = true;
      for (let i = 0; same && i < mentions.length; i++) same = known.summaries[i] === this.seenSummary(e, mentions[i]);
      if (same) return known;
    }
    const fresh: Inputs = { info: e.info, summaries: mentions.map(m => this.seenSummary(e, m)) };
    this.inputs.set(e, fresh);
    return fresh;
  }

  private seenSummary(e: FnEntry, m: ResolvedMention): Summary | undefined {
    return m.callee && this.seen(e, m.callee);
  }

  memoKey(e: FnEntry, budget: number): string {
    const inputs = this.inputsOf(e);
    if (inputs.key !== undefined && inputs.budget === budget) return inputs.key;
    const { errorReturn, deallocOf } = this.convention(e.info);
    const parts: string[] = [String(errorReturn), JSON.stringify(deallocOf ?? null), String(budget)];
    for (const { name: m, callee, api } of this.resolvedMentions(e)) {
      const s = callee && this.seen(e, callee);
      if (s) parts.push(`${m}:${summaryFingerprint(s)}`);
      // a relevant callee not analysed yet (same call cycle) reads as unknown, an irrelevant one as absent
      else if (callee && callee !== e && callee.relevant) parts.push(`${m}:?`);
      if (api) parts.push(`${m}@${api.kind}/${api.family ?? ''}`);
    }
    inputs.key = parts.join('\n');
    inputs.budget = budget;
    return inputs.key;
  }

  /** The summary of an entry that needs no analysis (needsAnalysis false), the same object while its inputs are. */
  inertSummary(e: FnEntry): Summary {
    const inputs = this.inputsOf(e);
    if (!inputs.inert) {
      inputs.inert = inertSummary(e.info);
      inputs.inert.setsException = this.mentionsExceptionSetter(e);
    }
    return inputs.inert;
  }

  /**
   * Converts a body skipped at parse time: the function alone is parsed again, its nodes placed at the
   * file's offsets, and it takes the lazy node's place in the file's tree, so later analyses (and their
   * memos) reuse this syntax and an edit elsewhere moves it along with the rest.
   */
  materialize(e: FnEntry): void {
    const text = e.file.analysed;
    const { start, end } = e.info.node;
    const piece = text.slice(start, end);
    const tree = parseC(piece);
    let root: Syntax;
    try {
      root = toSyntax(tree, piece, { place: { offset: start, lines: linesOf(e.info.node) ?? new LineIndex(text) } });
    } finally {
      tree.delete();
    }
    const facts = readFacts(root, text, e.file.path, this.model);
    const fresh = facts.functions.find(f => f.name === e.info.name);
    if (fresh) {
      // The call graph stays the one of the file's parse (its mentions), as in an analysis where the
      // body was never converted: what an analysis finds must not depend on what earlier ones converted.
      const info = { ...fresh, isStatic: e.info.isStatic, mentions: e.info.mentions };
      if (fresh.node.start === start && fresh.node.end === end) replaceSubtree(e.info.node, fresh.node, 0);
      const list = e.file.facts.functions;
      const i = list.indexOf(e.info);
      if (i >= 0) list[i] = info;
      noteConverted(e.file.facts);
      e.info = info;
      this.newSyntax.add(e);
    }
  }

  mentionsExceptionSetter(e: FnEntry): boolean {
    for (const { name: m, callee, setter } of this.resolvedMentions(e)) {
      if (setter) return true;
      if (callee && this.seen(e, callee)?.setsException) return true;
    }
    return false;
  }

  /** Direct allocation or release calls, or a callee whose summary is more than "touches nothing". */
  needsAnalysis(e: FnEntry): boolean {
    const inputs = this.inputsOf(e);
    inputs.needs ??= this.computeNeedsAnalysis(e);
    return inputs.needs;
  }

  private computeNeedsAnalysis(e: FnEntry): boolean {
    if (this.returnsStaticStorage(e)) return true;
    let gil = false;
    let gilCallee = false;
    for (const { name: m, callee, seed, gilRelease } of this.resolvedMentions(e)) {
      if (seed) return true;
      if (gilRelease) gil = true;
      const summary = callee && this.seen(e, callee);
      if (summaryMatters(summary)) return true;
      if (summary?.requiresGil) gilCallee = true;
    }
    return gil && gilCallee;
  }

  private ordered: FnEntry[] | undefined;

  /** Relevant functions, callees before callers (Tarjan's SCCs in reverse topological order). */
  order(): FnEntry[] {
    this.ordered ??= this.computeOrder();
    return this.ordered;
  }

  private computeOrder(): FnEntry[] {
    return calleesFirst(this.entries.filter(e => e.relevant), e => this.callees(e).filter(t => t.relevant));
  }

  /** How the function reports failure, and the type whose deallocator it is: part of its analysis's context. */
  private convention(info: FunctionInfo): Pick<FlowContext, 'errorReturn' | 'deallocOf'> {
    if (info.macro) return { errorReturn: undefined, deallocOf: undefined };
    const ret = info.returns;
    const objectReturn = ret.pointers >= 1 && this.model.objectType.test(ret.base);
    const intReturn = ret.pointers === 0 && /^(int|long|Py_ssize_t)$/.test(ret.base);
    const facing = this.pythonFacing.has(info.name);
    return { errorReturn: objectReturn ? 'null' : intReturn && facing ? 'minus-one' : undefined, deallocOf: this.deallocs.get(info.name) };
  }

  context(entry: FnEntry, budget: number): FlowContext {
    const file = entry.file.path;
    const info = entry.info;
    return {
      source: entry.file.analysed,
      model: this.model,
      fn: info,
      api: name => this.api(name, file),
      summary: name => {
        const e = this.resolveFn(name, file);
        if (!e) return undefined;
        return this.seen(entry, e) ?? (e.relevant ? { ...emptyUnknown(name) } : undefined);
      },
      structFields: t => this.structs.get(t),
      global: name => this.globals.get(file)?.get(name) ?? this.findGlobal(name),
      returnType: name => this.resolveFn(name, file)?.info.returns,
      typeIsGc: name => this.typeGc.get(name),
      ...this.convention(info),
      budget,
    };
  }

  private exportedGlobals: Map<string, GlobalVar> | undefined;

  private findGlobal(name: string): GlobalVar | undefined {
    if (!this.exportedGlobals) {
      this.exportedGlobals = new Map();
      for (const g of this.globals.values()) for (const [k, v] of g) if (!v.isStatic && !this.exportedGlobals.has(k)) this.exportedGlobals.set(k, v);
    }
    return this.exportedGlobals.get(name);
  }
}
