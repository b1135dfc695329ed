/**
 * The Heap View's server side: `heaplint/simulateHeap`, the "Simulate heap" CodeLenses, and the
 * diagnostics and hover of `.heaptrace` documents.
 *
 * HOW TO WIRE IT (for server/src/lsp/main.ts):
 *
 *   import { registerSimulateHeap } from './simulate-heap';
 *   const heap = registerSimulateHeap(connection, documents, {
 *     projectFor: uri => { const p = projects.of(pathOf(uri)); return { workspace: p.workspace, model: p.model, python: p.python, path: pathOf(uri) }; },
 *     log,                                   // optional: { info, error }
 *   });
 *   // in onInitialize's result capabilities:   ...heap.capabilities()   (adds codeLensProvider)
 *   // in your onHover handler, first:          if (heap.handles(doc)) return heap.hover(doc, params.position);
 *   // in your validation:                      skip documents for which heap.handles(doc) is true
 *
 * registerSimulateHeap registers, on its own: the `heaplint/simulateHeap` request, `onCodeLens`
 * (nobody else provides CodeLenses; pass `{ codeLens: false }` and call `heap.codeLenses(doc)` from
 * your own handler if that changes), and publishes diagnostics for `.heaptrace` documents when they
 * open or change (and clears them on close). It never throws into the connection: a failing request
 * answers with `error` set.
 */
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import {
  DiagnosticSeverity,
  type CodeLens,
  type Connection,
  type Diagnostic as LspDiagnostic,
  type Hover,
  type Position,
  type ServerCapabilities,
  type TextDocuments,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DEFAULT_SIMULATED_PYTHON, knownVersions, type ArenaAlignment } from '../../../allocator-model/src/geometry';
import { modelFor } from '../../../allocator-model/src/index';
import type { Model } from '../../../allocator-model/src/model';
import type { Workspace } from '../engine';
import {
  allocatingFunctions,
  functionAt,
  extractFunction,
  parseForExtraction,
  recordSimulation,
  toHeaptraceText,
  toProgram,
  type HeapRecording,
  type TraceOp,
} from '../engine/extract';
import { initParser } from '../engine/parse/parser';
import type { Summary } from '../engine/flow/summary';
import { checkHeaptrace, heapStateAfterLine, parseHeaptrace, TraceVersionError, type Program, type Stmt } from '../simulator/heaptrace';
import type { HeapStats } from '../simulator/stats';
import { printone } from '../simulator/stats';
import {
  HeapCommands,
  SimulateHeapRequest,
  type HeapNote,
  type HeapTraceOp,
  type SimulateHeapParams,
  type SimulateHeapResult,
} from './protocol/heap';

export interface HeapProject {
  /** The engine workspace of the document's project: its summaries describe wrappers in other files. */
  workspace?: Workspace;
  model: Model;
  /** The project's CPython version ("3.12", "3.13t"). */
  python?: string;
  /** The path the workspace knows the document by (for Workspace.analyze). */
  path?: string;
}

export interface HeapSimulationHost {
  projectFor(uri: string): HeapProject | undefined;
  log?: { info(message: string): void; error(message: string, err?: unknown): void };
}

export interface HeapRegistration {
  /** Register onCodeLens (default true). */
  codeLens?: boolean;
  /** Publish diagnostics for .heaptrace documents (default true). */
  heaptraceDiagnostics?: boolean;
}

export const DEFAULT_HEAP_DEFAULT_SIZE = 64;
const HOVER_MAX_OPS = 5_000_000;

/** Whether a document is a heap trace (by language id or extension). */
export function isHeaptrace(uri: string, languageId?: string): boolean {
  return languageId === 'heaptrace' || /\.heaptrace$/i.test(uri);
}

function isC(uri: string, languageId?: string): boolean {
  return languageId === 'c' || languageId === 'cpp' || /\.(c|h|cc|cpp|cxx|hpp)$/i.test(uri);
}

function basename(uri: string): string {
  return decodeURIComponent(uri.split(/[\\/]/).pop() ?? uri);
}

/** Versions the simulator can lay out (free-threaded builds use mimalloc and are not simulated). */
export function simulatedVersions(): string[] {
  return knownVersions().filter((v) => !v.endsWith('t'));
}

function emptyResult(params: SimulateHeapParams, source: SimulateHeapResult['source'], error: string): SimulateHeapResult {
  return {
    uri: params.uri,
    source,
    title: basename(params.uri),
    python: params.python ?? DEFAULT_SIMULATED_PYTHON,
    geometry: undefined as unknown as SimulateHeapResult['geometry'],
    blocksPerPool: [],
    ops: [],
    steps: { ops: 0, opLine: '', opCount: '', records: '', cHeapBytes: '' },
    snapshots: [],
    events: [],
    final: undefined as unknown as HeapStats,
    sourceLines: {},
    notes: [],
    truncated: false,
    error,
    pythonVersions: simulatedVersions(),
  };
}

function fromRecording(rec: HeapRecording): Pick<SimulateHeapResult, 'python' | 'geometry' | 'blocksPerPool' | 'steps' | 'snapshots' | 'events' | 'final' | 'truncated'> {
  return {
    python: rec.python,
    geometry: rec.geometry,
    blocksPerPool: rec.blocksPerPool,
    steps: { ops: rec.ops, opLine: rec.opLine, opCount: rec.opCount, records: rec.records, cHeapBytes: rec.cHeapBytes },
    snapshots: rec.snapshots,
    events: rec.events.map((e) => ({
      op: e.op,
      line: e.line,
      kind: e.kind,
      api: e.api,
      name: e.name,
      allocFamily: e.allocFamily,
      allocLine: e.allocSite,
      inPool: e.inPool,
      debug: e.debug,
      release: e.release,
      effect: e.effect,
    })),
    final: rec.final,
    truncated: rec.stopped,
  };
}

function linesOf(text: string, wanted: Iterable<number>): Record<number, string> {
  const all = text.split(/\r?\n/);
  const out: Record<number, string> = {};
  for (const l of wanted) if (l >= 1 && l <= all.length) out[l] = all[l - 1].trim().slice(0, 200);
  return out;
}

function opsFromExtraction(ops: TraceOp[], depth = 0, out: HeapTraceOp[] = []): HeapTraceOp[] {
  const nm = (t: { name: string; index: null | 'i' | number }) => (t.index === null ? t.name : `${t.name}[${t.index}]`);
  for (const o of ops) {
    const line = o.range.start.line + 1;
    switch (o.op) {
      case 'alloc':
        out.push({ line, depth, kind: 'alloc', api: o.api, family: o.family, name: nm(o.target), size: o.size, count: o.count ?? undefined, sizeKnown: o.sizeKnown, text: o.text });
        break;
      case 'realloc':
        out.push({ line, depth, kind: 'realloc', api: o.api, family: o.family, name: nm(o.target), size: o.size, sizeKnown: o.sizeKnown, text: o.text });
        break;
      case 'free':
        out.push({ line, depth, kind: 'free', api: o.api, family: o.family, name: nm(o.arg), text: o.text });
        break;
      case 'repeat':
        out.push({ line, depth, kind: 'repeat', api: '', repeat: o.count, text: o.text });
        opsFromExtraction(o.body, depth + 1, out);
        break;
    }
  }
  return out;
}

const FAMILY_OF: Record<number, 'libc' | 'raw' | 'mem' | 'object'> = { 1: 'libc', 2: 'raw', 3: 'mem', 4: 'object' };

function opsFromProgram(body: Stmt[], text: string[], depth = 0, out: HeapTraceOp[] = []): HeapTraceOp[] {
  const nm = (r: { name: string; index: null | 'i' | number } | null) => (r ? (r.index === null ? r.name : `${r.name}[${r.index}]`) : 'NULL');
  for (const s of body) {
    const line = s.range.start.line + 1;
    const src = (text[line - 1] ?? '').trim().slice(0, 200);
    switch (s.type) {
      case 'alloc':
        out.push({ line, depth, kind: 'alloc', api: s.fn.name, family: FAMILY_OF[s.fn.family], name: nm(s.target), size: s.size, count: s.count ?? undefined, sizeKnown: true, text: src });
        break;
      case 'realloc':
        out.push({ line, depth, kind: 'realloc', api: s.fn.name, family: FAMILY_OF[s.fn.family], name: nm(s.target), size: s.size, sizeKnown: true, text: src });
        break;
      case 'free':
        out.push({ line, depth, kind: 'free', api: s.fn.name, family: FAMILY_OF[s.fn.family], name: nm(s.arg), text: src });
        break;
      case 'repeat':
        out.push({ line, depth, kind: 'repeat', api: '', repeat: s.count, text: src });
        opsFromProgram(s.body, text, depth + 1, out);
        break;
      case 'snapshot':
        out.push({ line, depth, kind: 'snapshot', api: '', label: s.label, text: src });
        break;
    }
  }
  return out;
}

function gilVersion(python: string | undefined, notes: HeapNote[]): string | undefined {
  if (!python) return undefined;
  if (python.endsWith('t')) {
    const gil = python.slice(0, -1);
    notes.push({ line: 1, kind: 'assumption', message: `CPython ${python} is free-threaded (mimalloc, not simulated): showing the ${gil} build with the GIL` });
    return gil;
  }
  return python;
}

/**
 * The work behind `heaplint/simulateHeap`, without the connection: a C document's function at a
 * position, or a whole .heaptrace document, simulated and recorded for the view.
 */
export async function simulateHeap(params: SimulateHeapParams, text: string, languageId: string | undefined, project: HeapProject | undefined): Promise<SimulateHeapResult> {
  const alignment: ArenaAlignment | undefined = params.arenaAlignment;
  if (isHeaptrace(params.uri, languageId)) {
    const { program, diagnostics } = parseHeaptrace(text);
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) {
      const d = errors[0];
      return emptyResult(params, 'heaptrace', `line ${d.range.start.line + 1}: ${d.message}${errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : ''}`);
    }
    let rec: HeapRecording;
    try {
      rec = recordSimulation(program, { python: params.python, arenaAlignment: alignment });
    } catch (e) {
      if (e instanceof TraceVersionError) return emptyResult(params, 'heaptrace', e.message);
      throw e;
    }
    const lines = text.split(/\r?\n/);
    const ops = opsFromProgram(program.body, lines);
    const wanted = new Set<number>(ops.map((o) => o.line));
    for (const e of rec.events) wanted.add(e.line);
    const notes: HeapNote[] = rec.diagnostics.map((d) => ({ line: d.range.start.line + 1, kind: 'trace', message: d.message }));
    return {
      uri: params.uri,
      source: 'heaptrace',
      title: basename(params.uri),
      ...fromRecording(rec),
      ops,
      sourceLines: linesOf(text, wanted),
      notes,
      pythonVersions: simulatedVersions(),
    };
  }
  if (!isC(params.uri, languageId)) return emptyResult(params, 'c-function', 'the Heap View simulates C functions and .heaptrace files');
  await initParser();
  const model = project?.model ?? modelFor({});
  const notes: HeapNote[] = [];
  const python = params.python ?? gilVersion(project?.python, notes) ?? DEFAULT_SIMULATED_PYTHON;
  let summaries: Map<string, Summary> | undefined;
  try {
    summaries = project?.workspace?.analyze(project.path ? [project.path] : []).summaries;
  } catch {
    summaries = undefined;
  }
  const parsed = parseForExtraction(text, model, project?.path);
  let fn = params.position ? functionAt(parsed, params.position) : undefined;
  if (!fn && !params.position) {
    const first = allocatingFunctions(parsed, { model, summaries })[0];
    fn = first ? parsed.facts.functions.find((f) => f.name === first.name) : undefined;
  }
  if (!fn) return emptyResult(params, 'c-function', params.position ? 'the cursor is not inside a function definition' : 'no function of this file allocates');
  const defaultSize = params.defaultSize && params.defaultSize > 0 ? Math.floor(params.defaultSize) : DEFAULT_HEAP_DEFAULT_SIZE;
  const ex = extractFunction(parsed, fn, { model, summaries, defaultSize, python });
  const title = `${fn.name}() in ${basename(params.uri)}`;
  if (ex.error) return { ...emptyResult(params, 'c-function', ex.error), title, notes: ex.notes.map((n) => ({ ...n })), defaultSize };
  const program = toProgram(ex.ops, text.split('\n').length);
  let rec: HeapRecording;
  try {
    rec = recordSimulation(program, { python, arenaAlignment: alignment });
  } catch (e) {
    if (e instanceof TraceVersionError) return { ...emptyResult(params, 'c-function', e.message), title };
    throw e;
  }
  const ops = opsFromExtraction(ex.ops);
  const wanted = new Set<number>(ops.map((o) => o.line));
  for (const e of rec.events) {
    wanted.add(e.line);
    if (e.allocSite) wanted.add(e.allocSite);
  }
  for (const d of rec.diagnostics) {
    // "assigning over a live pointer" in a C loop is a leak worth seeing; "used before assignment" is
    // the extraction's own approximation and is already explained by its notes.
    if (d.code === 'overwrites-live') notes.push({ line: d.range.start.line + 1, kind: 'trace', message: d.message });
  }
  return {
    uri: params.uri,
    source: 'c-function',
    title,
    function: ex.function ? { name: ex.function.name, startLine: ex.function.startLine, endLine: ex.function.endLine } : undefined,
    ...fromRecording(rec),
    defaultSize,
    ops,
    sourceLines: linesOf(text, wanted),
    notes: [...notes, ...ex.notes.map((n) => ({ ...n }))],
    heaptrace: toHeaptraceText(ex.ops, { python: rec.python, title: `heap trace of ${title}`, notes: ex.notes }),
    pythonVersions: simulatedVersions(),
  };
}

/** Diagnostics of a .heaptrace document: parse errors, name-flow problems, an unknown version. */
export function heaptraceDiagnostics(text: string): LspDiagnostic[] {
  const { program, diagnostics } = checkHeaptrace(text);
  const out: LspDiagnostic[] = diagnostics.map((d) => ({
    range: d.range,
    severity: d.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: d.code,
    source: 'heaplint',
    message: d.message,
  }));
  if (program.python) {
    try {
      recordVersionCheck(program);
    } catch (e) {
      if (e instanceof TraceVersionError) out.push({ range: program.python.range, severity: DiagnosticSeverity.Error, code: 'python-version', source: 'heaplint', message: e.message });
    }
  }
  return out;
}

function recordVersionCheck(program: Program): void {
  // resolveGeometry is what replay uses; an empty program costs nothing to run.
  recordSimulation({ ...program, body: [] });
}

function fmt(n: number): string {
  return Math.trunc(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Markdown for the heap after a line of a .heaptrace document, or null when no statement runs there. */
export function heaptraceHover(text: string, line: number): string | null {
  const { program, diagnostics } = parseHeaptrace(text);
  if (diagnostics.some((d) => d.severity === 'error' && d.range.start.line === line)) return null;
  let state;
  try {
    state = heapStateAfterLine(program, line + 1, { maxOps: HOVER_MAX_OPS });
  } catch (e) {
    if (e instanceof TraceVersionError) return null;
    throw e;
  }
  if (!state) return null;
  const s = state.stats;
  const parts: string[] = [`**Heap after line ${line + 1}** (${fmt(state.ops)} operations; CPython ${program.python?.version ?? DEFAULT_SIMULATED_PYTHON})`];
  if (s.classes.length) {
    parts.push(
      ['| size | pools | blocks in use | avail |', '| ---: | ---: | ---: | ---: |', ...s.classes.map((c) => `| ${c.size} | ${fmt(c.pools)} | ${fmt(c.blocks)} | ${fmt(c.avail)} |`)].join('\n'),
    );
  } else parts.push('No pymalloc pool in use.');
  const rows = [
    printone('# arenas allocated current', s.arenas.current),
    printone('# arenas highwater mark', s.arenas.highwater),
    printone('unused pools', s.unusedPools),
    printone('sys.getallocatedblocks()', s.allocatedBlocks),
    printone('C heap blocks (not in pools)', s.cHeap.blocks),
  ].join('');
  parts.push('```\n' + rows + '```');
  if (state.events.length) {
    const last = state.events.slice(-3);
    parts.push(
      `${state.events.length} flagged operation${state.events.length > 1 ? 's' : ''} so far:\n\n` +
        last.map((e) => `- line ${e.line}: \`${e.api}(${e.name ?? ''})\` — ${e.debug}`).join('\n'),
    );
  }
  return parts.join('\n\n');
}

/** CodeLenses: "Simulate heap" above every function that allocates, and at the top of a trace. */
export async function heapCodeLenses(uri: string, text: string, languageId: string | undefined, project: HeapProject | undefined): Promise<CodeLens[]> {
  if (isHeaptrace(uri, languageId)) {
    return [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, command: { title: 'Simulate heap', command: HeapCommands.simulateTraceFile, arguments: [uri] } }];
  }
  if (!isC(uri, languageId)) return [];
  await initParser();
  const model = project?.model ?? modelFor({});
  const parsed = parseForExtraction(text, model, project?.path);
  return allocatingFunctions(parsed, { model }).map((f) => ({
    range: f.nameRange,
    command: { title: 'Simulate heap', command: HeapCommands.simulateFunction, arguments: [uri, f.nameRange.start] },
  }));
}

/** The registered feature; see the note at the top of this file for how the server uses it. */
export class HeapSimulation {
  private readonly lensCache = new Map<string, { version: number; lenses: CodeLens[] }>();

  constructor(
    private readonly connection: Connection,
    private readonly documents: TextDocuments<TextDocument>,
    private readonly host: HeapSimulationHost,
  ) {}

  /** Capabilities to merge into the initialize result. */
  capabilities(): Partial<ServerCapabilities> {
    return { codeLensProvider: { resolveProvider: false } };
  }

  /** Whether this feature owns the document (a .heaptrace file): hover and diagnostics come from here. */
  handles(doc: TextDocument): boolean {
    return isHeaptrace(doc.uri, doc.languageId);
  }

  async simulate(params: SimulateHeapParams): Promise<SimulateHeapResult> {
    const t0 = performance.now();
    try {
      const doc = this.documents.get(params.uri);
      let text = doc?.getText();
      if (text === undefined) {
        if (!params.uri.startsWith('file:')) return emptyResult(params, isHeaptrace(params.uri) ? 'heaptrace' : 'c-function', `${params.uri} is not open`);
        text = await readFile(fileURLToPath(params.uri), 'utf8');
      }
      const result = await simulateHeap(params, text, doc?.languageId, this.host.projectFor(params.uri));
      this.host.log?.info(`heap simulation of ${result.title}: ${result.steps.ops} operations in ${Math.round(performance.now() - t0)} ms${result.error ? ` (${result.error})` : ''}`);
      return result;
    } catch (err) {
      this.host.log?.error(`heap simulation of ${params.uri} failed`, err);
      return emptyResult(params, isHeaptrace(params.uri) ? 'heaptrace' : 'c-function', `the simulation failed: ${(err as Error).message}`);
    }
  }

  async codeLenses(doc: TextDocument): Promise<CodeLens[]> {
    const cached = this.lensCache.get(doc.uri);
    if (cached && cached.version === doc.version) return cached.lenses;
    try {
      const lenses = await heapCodeLenses(doc.uri, doc.getText(), doc.languageId, this.host.projectFor(doc.uri));
      this.lensCache.set(doc.uri, { version: doc.version, lenses });
      return lenses;
    } catch (err) {
      this.host.log?.error(`code lenses of ${doc.uri} failed`, err);
      return [];
    }
  }

  hover(doc: TextDocument, pos: Position): Hover | null {
    if (!this.handles(doc)) return null;
    try {
      const md = heaptraceHover(doc.getText(), pos.line);
      return md ? { contents: { kind: 'markdown', value: md } } : null;
    } catch (err) {
      this.host.log?.error(`hover in ${doc.uri} failed`, err);
      return null;
    }
  }

  publishDiagnostics(doc: TextDocument): void {
    if (!this.handles(doc)) return;
    let diagnostics: LspDiagnostic[] = [];
    try {
      diagnostics = heaptraceDiagnostics(doc.getText());
    } catch (err) {
      this.host.log?.error(`checking ${doc.uri} failed`, err);
    }
    void this.connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  }

  forget(doc: TextDocument): void {
    this.lensCache.delete(doc.uri);
    if (this.handles(doc)) void this.connection.sendDiagnostics({ uri: doc.uri, diagnostics: [] });
  }
}

/** Registers the Heap View's server side on a connection; see the note at the top of this file. */
export function registerSimulateHeap(
  connection: Connection,
  documents: TextDocuments<TextDocument>,
  host: HeapSimulationHost,
  opts: HeapRegistration = {},
): HeapSimulation {
  const feature = new HeapSimulation(connection, documents, host);
  connection.onRequest(SimulateHeapRequest.type, (params) => feature.simulate(params));
  if (opts.codeLens !== false) {
    connection.onCodeLens(async (params) => {
      const doc = documents.get(params.textDocument.uri);
      return doc ? feature.codeLenses(doc) : [];
    });
  }
  if (opts.heaptraceDiagnostics !== false) {
    documents.onDidChangeContent((e) => feature.publishDiagnostics(e.document));
    documents.onDidClose((e) => feature.forget(e.document));
  }
  return feature;
}
