/**
 * A lint worker thread. With one job it runs the whole lint (lint.ts says why on a thread of its own).
 * With more, it parses files from a queue it shares with the other workers, tells the
 * coordinator what they declare and how their functions call each other, then analyses its relevant
 * functions in the coordinator's order, callees first: a summary another worker needs is posted to it
 * as soon as it is known, and a function waits until the summaries it reads from others have come.
 * Each function is analysed once, with the same callee summaries one thread would give it.
 */
import { parentPort, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Model } from '../../../allocator-model/src/model';
import { analyzeProject, initParser, type SourceFile } from '../engine';
import type { Summary } from '../engine/flow/summary';
import { declarationsOf, declaredFile, type Declarations } from '../engine/project/declarations';
import { ProjectAnalysis, ProjectIndex, parseForLint, type FnEntry, type ParsedFile } from '../engine/project/project';
import type { FileProblem, SeverityLevel } from '../engine/types';

export type WorkerRequest =
  /** The whole lint on this thread: what one job does, with this thread's larger young generation (lint.ts). */
  | { kind: 'lint'; files: SourceFile[]; model: Model; severities: Record<string, SeverityLevel | 'off'> }
  /**
   * `files`, shared by all workers, are taken one at a time through the counter `taken`: those a worker
   * takes are its own, whose functions it analyses and reports.
   */
  | { kind: 'load'; files: SourceFile[]; taken: SharedArrayBuffer; model: Model; severities: Record<string, SeverityLevel | 'off'> }
  /** Every parsed file in the order given on the command line; the others' by their declarations. */
  | { kind: 'graph'; files: { path: string; declarations?: Declarations }[] }
  /** `analysed`: a counter of functions done, shared by all workers (for the progress line). */
  | { kind: 'analyse'; relevant: string[]; position: Map<string, number>; sends: Map<string, number[]>; peers: (MessagePort | undefined)[]; signals: SharedArrayBuffer[]; me: number; analysed: SharedArrayBuffer };

/** How long a worker waits for a summary before it takes the run for wedged (another worker failed). */
const PATIENCE_MS = 120_000;

let parsed = new Map<string, ParsedFile>();
let problems: FileProblem[] = [];
let model: Model;
let severities: Record<string, SeverityLevel | 'off'> = {};
let own = new Set<string>();
let files: ParsedFile[] = [];
let index: ProjectIndex | undefined;

async function handle(msg: WorkerRequest): Promise<unknown> {
  if (msg.kind === 'lint') {
    await initParser();
    const result = analyzeProject(msg.files, { model: msg.model, severities: msg.severities });
    return { kind: 'linted', findings: result.findings, problems: result.problems, stats: result.stats };
  }
  if (msg.kind === 'load') {
    await initParser();
    model = msg.model;
    severities = msg.severities;
    own = new Set();
    parsed = new Map();
    problems = [];
    const t0 = performance.now();
    const declarations: Declarations[] = [];
    const counter = new Int32Array(msg.taken);
    for (let i = Atomics.add(counter, 0, 1); i < msg.files.length; i = Atomics.add(counter, 0, 1)) {
      const f = msg.files[i];
      own.add(f.path);
      try {
        const p = parseForLint(f, model);
        if ('message' in p) problems.push(p);
        else {
          parsed.set(p.path, p);
          declarations.push(declarationsOf(p.path, p.facts));
        }
      } catch (err) {
        problems.push({ file: f.path, message: `could not be parsed: ${(err as Error).message}` });
      }
    }
    return { kind: 'loaded', declarations, parseMs: performance.now() - t0 };
  }
  if (msg.kind === 'graph') {
    const g0 = performance.now();
    files = msg.files.map(f => parsed.get(f.path) ?? declaredFile(f.declarations!));
    const g1 = performance.now();
    index = new ProjectIndex(files, model, { remote: path => !own.has(path) });
    const g2 = performance.now();
    const nodes = index.graphShare();
    if (process.env.HEAPLINT_DEBUG) console.error(`graph: files ${(g1 - g0).toFixed(0)} index ${(g2 - g1).toFixed(0)} share ${(performance.now() - g2).toFixed(0)} ms`);
    return { kind: 'graph', nodes };
  }
  const t0 = performance.now();
  const ix = index!;
  ix.forgetSummaries();
  const order = ix.schedule(new Set(msg.relevant), msg.position);
  const run = new ProjectAnalysis(files, { model, severities, reportOnly: own, deferFieldConflicts: true }, ix);
  const signal = new Int32Array(msg.signals[msg.me]);
  const done = new Int32Array(msg.analysed);
  let waitedMs = 0;
  const drain = () => {
    for (const port of msg.peers) {
      if (!port) continue;
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        const { id, summary } = m.message as { id: string; summary: Summary };
        const e = ix.entryById(id);
        if (e) e.summary = summary;
      }
    }
  };
  const ready = (e: FnEntry) => ix.dependencies(e).every(d => d.summary !== undefined);
  const pending = [...order];
  while (pending.length) {
    const seen = Atomics.load(signal, 0);
    drain();
    // the first ready function in the order: one that waits for another worker lets later ones go ahead
    const i = pending.findIndex(ready);
    if (i < 0) {
      const w0 = performance.now();
      if (Atomics.wait(signal, 0, seen, PATIENCE_MS) === 'timed-out') throw new Error('a worker stopped sending the summaries this one needs');
      waitedMs += performance.now() - w0;
      continue;
    }
    const [e] = pending.splice(i, 1);
    run.analyse(e);
    Atomics.add(done, 0, 1);
    for (const peer of msg.sends.get(e.id) ?? []) {
      msg.peers[peer]!.postMessage({ id: e.id, summary: e.summary });
      const theirs = new Int32Array(msg.signals[peer]);
      Atomics.add(theirs, 0, 1);
      Atomics.notify(theirs, 0);
    }
  }
  const result = run.finish();
  return {
    kind: 'analysed', findings: result.findings, problems: [...problems.filter(p => own.has(p.file)), ...result.problems],
    fieldAssigns: result.fieldAssigns, fieldReleases: result.fieldReleases,
    stats: { ...result.stats, analysisMs: performance.now() - t0 }, waitedMs,
  };
}

// the WASM parser compiles while the coordinator is still sending the files
if (parentPort) void initParser().catch(() => undefined);

parentPort?.on('message', (msg: WorkerRequest) => {
  handle(msg).then(
    r => parentPort!.postMessage(r),
    err => parentPort!.postMessage({ kind: 'error', message: (err as Error).message }),
  );
});
