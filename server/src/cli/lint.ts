/**
 * The one place the CLI calls the engine. With one job everything is analysed together on one thread
 * (a worker with a larger young generation, for all but small runs). With more, the files are shared
 * out between worker threads. The workers tell each other what their files declare
 * and the coordinator what calls what; it orders the functions as one thread would (plan.ts), and
 * each worker analyses its own in that order, trading summaries as they are computed (worker.ts), so
 * the findings are those of one thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort, type Transferable } from 'node:worker_threads';
import type { Model } from '../../../allocator-model/src/model';
import { analyzeProject, initParser, type FileProblem, type Finding, type ProjectStats, type SourceFile } from '../engine';
import type { Declarations } from '../engine/project/declarations';
import { fieldConflicts, settleFindings, type FieldAssign, type FieldRelease, type GraphNode } from '../engine/project/project';
import { planSchedule } from './plan';
import type { RuleSetting } from './config';

export interface LintOptions {
  model: Model;
  /** Per-rule severity overrides; 'off' drops the rule. */
  severities: Record<string, RuleSetting>;
  /**
   * Called as work progresses (for a progress line). One thread reports the start and the end of
   * analysing `total` files. Workers report files parsed, then functions analysed, as they go.
   */
  onProgress?: (phase: 'analysing' | 'parsing' | 'functions', done: number, total: number) => void;
}

export interface LintOutcome {
  findings: Finding[];
  /** Files or functions the engine could not handle; the rest was still analysed. */
  problems: FileProblem[];
  stats: ProjectStats;
}


export async function lintFiles(files: readonly SourceFile[], options: LintOptions, jobs: number): Promise<LintOutcome> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs must be a positive whole number, not ${jobs}`);
  const sources = files.filter(f => !f.path.endsWith('.h'));
  const workerScript = join(__dirname, 'worker.js');
  const hasWorker = existsSync(workerScript);
  if (jobs === 1 || sources.length < 2 * jobs || !hasWorker) {
    options.onProgress?.('analysing', 0, files.length);
    const size = files.reduce((n, f) => n + f.text.length, 0);
    // HEAPLINT_THREAD=own|main overrides the choice (the tests compare the two)
    const knob = process.env.HEAPLINT_THREAD;
    const own = hasWorker && (knob === 'own' || (knob !== 'main' && size >= OWN_THREAD_FROM));
    const result = own ? await lintInOneWorker(files, options, workerScript) : await lintHere(files, options);
    options.onProgress?.('analysing', files.length, files.length);
    return result;
  }
  return lintInWorkers(files, options, Math.min(jobs, sources.length), workerScript);
}

/**
 * The young generation lint threads get. V8 sizes it (16 MB semi-spaces) for programs whose objects
 * mostly die at once; the analysis keeps each function's states alive for the whole of its fixpoint,
 * so every scavenge copied them again. On CPython 3.11, with this size: 64 scavenges instead of 222,
 * about 0.3 s less of garbage collection (of 0.95 s), for about 120 MB more memory per thread.
 */
const LINT_THREAD = { resourceLimits: { maxYoungGenerationSizeMb: 192 } };

/** Below this much text a lint runs on the main thread: starting a thread would cost more than its young generation saves. */
const OWN_THREAD_FROM = 2_000_000;

async function lintHere(files: readonly SourceFile[], options: LintOptions): Promise<LintOutcome> {
  await initParser();
  const result = analyzeProject([...files], { model: options.model, severities: options.severities });
  return { findings: result.findings, problems: result.problems, stats: result.stats };
}

async function lintInOneWorker(files: readonly SourceFile[], options: LintOptions, script: string): Promise<LintOutcome> {
  const worker = new Worker(script, LINT_THREAD);
  try {
    return await new Promise<LintOutcome>((resolve, reject) => {
      worker.once('message', (r: { kind: string; message?: string } & LintOutcome) => {
        if (r.kind === 'error') reject(new Error(r.message));
        else resolve({ findings: r.findings, problems: r.problems, stats: r.stats });
      });
      worker.once('error', reject);
      worker.once('exit', code => reject(new Error(`the lint thread stopped (exit code ${code})`)));
      worker.postMessage({ kind: 'lint', files, model: options.model, severities: options.severities });
    });
  } finally {
    await worker.terminate();
  }
}

interface Loaded {
  declarations: Declarations[];
  parseMs: number;
}

interface Analysed {
  findings: Finding[];
  problems: FileProblem[];
  fieldAssigns: FieldAssign[];
  fieldReleases: FieldRelease[];
  stats: ProjectStats;
  waitedMs: number;
}

async function lintInWorkers(files: readonly SourceFile[], options: LintOptions, jobs: number, script: string): Promise<LintOutcome> {
  const t0 = performance.now();
  // every worker takes the next file from one queue, largest first, until none is left: each one
  // parses for about as long as the others, whatever the files cost (a header's declarations reach
  // the other workers like those of a .c file)
  const queue = [...files].sort((a, b) => b.text.length - a.text.length);
  const taken = new SharedArrayBuffer(4);
  // functions analysed so far, by all workers: the main thread is idle, and reads both counters for the progress line
  const analysed = new SharedArrayBuffer(4);
  const workers = Array.from({ length: jobs }, () => new Worker(script, LINT_THREAD));
  let progress: () => void = () => options.onProgress?.('parsing', Math.min(Atomics.load(new Int32Array(taken), 0), queue.length), queue.length);
  const ticker = setInterval(() => progress(), 100);
  const ask = <T>(w: Worker, msg: unknown, transfer: Transferable[] = []): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (r: { kind: string; message?: string }) => {
        w.off('error', onError);
        if (r.kind === 'error') reject(new Error(r.message));
        else resolve(r as T);
      };
      const onError = (err: Error) => {
        w.off('message', onMessage);
        reject(err);
      };
      w.once('message', onMessage);
      w.once('error', onError);
      w.postMessage(msg, transfer as never);
    });
  const channels: MessageChannel[] = [];
  try {
    options.onProgress?.('analysing', 0, files.length);
    const loaded = await Promise.all(workers.map(w => ask<Loaded>(w, { kind: 'load', files: queue, taken, model: options.model, severities: options.severities })));
    const parseMs = performance.now() - t0;
    // every parsed file in command-line order, the others' files by their declarations
    const declared = new Map(loaded.flatMap(l => l.declarations.map(d => [d.path, d] as const)));
    const order = files.filter(f => declared.has(f.path));
    const graphs = await Promise.all(workers.map(w => ask<{ nodes: GraphNode[] }>(w, {
      kind: 'graph', files: order.map(f => ({ path: f.path, declarations: declared.get(f.path) })),
    })));
    const plan = planSchedule(graphs.map(g => g.nodes));
    progress = () => options.onProgress?.('functions', Atomics.load(new Int32Array(analysed), 0), plan.relevant.size);
    if (process.env.HEAPLINT_DEBUG) console.error(`load ${parseMs.toFixed(0)} ms (${loaded.map(l => l.parseMs.toFixed(0)).join('+')}), graph ${(performance.now() - t0 - parseMs).toFixed(0)} ms, ${plan.relevant.size} relevant, ${plan.sends.map(s => s.size).join('+')} summaries to send`);
    // a channel between every two workers, and a counter each one sleeps on until a summary comes
    const signals = workers.map(() => new SharedArrayBuffer(4));
    const peers: (MessagePort | undefined)[][] = workers.map(() => workers.map(() => undefined));
    for (let a = 0; a < jobs; a++) {
      for (let b = a + 1; b < jobs; b++) {
        const ch = new MessageChannel();
        channels.push(ch);
        peers[a][b] = ch.port1;
        peers[b][a] = ch.port2;
      }
    }
    const a0 = performance.now();
    const replies = await Promise.all(workers.map((w, i) => ask<Analysed>(w, {
      kind: 'analyse', relevant: [...plan.relevant], position: plan.position, sends: plan.sends[i], peers: peers[i], signals, me: i, analysed,
    }, peers[i].filter((p): p is MessagePort => !!p))));
    if (process.env.HEAPLINT_DEBUG) console.error(`analysis ${(performance.now() - a0).toFixed(0)} ms: ${replies.map(r => `${r.stats.analysed} analysed, ${r.waitedMs.toFixed(0)} ms waiting`).join('; ')}`);
    options.onProgress?.('analysing', files.length, files.length);
    const releaseOf = (family: string) => options.model.families.get(family)?.release;
    // the conflicts over fields seen by different workers, settled like one thread's findings
    const conflicts = fieldConflicts(replies.flatMap(r => r.fieldAssigns), replies.flatMap(r => r.fieldReleases), { model: options.model, severities: options.severities }, releaseOf);
    const findings = settleFindings([...replies.flatMap(r => r.findings), ...conflicts], files);
    const stats: ProjectStats = {
      files: files.length, lines: files.reduce((n, f) => n + f.text.split('\n').length, 0),
      functions: replies.reduce((n, r) => n + r.stats.functions, 0), analysed: replies.reduce((n, r) => n + r.stats.analysed, 0),
      gaveUp: replies.reduce((n, r) => n + r.stats.gaveUp, 0), parseMs, analysisMs: performance.now() - t0 - parseMs,
    };
    return { findings, problems: replies.flatMap(r => r.problems), stats };
  } finally {
    clearInterval(ticker);
    for (const ch of channels) {
      ch.port1.close();
      ch.port2.close();
    }
    await Promise.all(workers.map(w => w.terminate()));
  }
}
