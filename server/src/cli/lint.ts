/**
 * The one place the CLI calls the engine. With one job everything is analysed together on the main
 * thread. With more, the .c files are shared out between worker threads (every worker also reads all
 * headers, for struct layouts and macros); the workers exchange the summaries of exported functions in
 * rounds until they stop changing, so cross-file wrappers are seen as on one thread.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Model } from '../../../allocator-model/src/model';
import { analyzeProject, initParser, type FileProblem, type Finding, type ProjectStats, type SourceFile } from '../engine';
import type { Summary } from '../engine/flow/summary';
import { fieldConflicts, type FieldAssign, type FieldRelease } from '../engine/project/project';
import type { RuleSetting } from './config';

export interface LintOptions {
  model: Model;
  /** Per-rule severity overrides; 'off' drops the rule. */
  severities: Record<string, RuleSetting>;
  /** Called as work progresses (for a progress line); `done` of `total` files. */
  onProgress?: (phase: 'analysing', done: number, total: number) => void;
}

export interface LintOutcome {
  findings: Finding[];
  /** Files or functions the engine could not handle; the rest was still analysed. */
  problems: FileProblem[];
  stats: ProjectStats;
}

const MAX_ROUNDS = 4;
const SHARED_HEADER_LIMIT = 64 * 1024;

export async function lintFiles(files: readonly SourceFile[], options: LintOptions, jobs: number): Promise<LintOutcome> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs must be a positive whole number, not ${jobs}`);
  const sources = files.filter(f => !f.path.endsWith('.h'));
  const workerScript = join(__dirname, 'worker.js');
  if (jobs === 1 || sources.length < 2 * jobs || !existsSync(workerScript)) {
    await initParser();
    options.onProgress?.('analysing', 0, files.length);
    const result = analyzeProject([...files], { model: options.model, severities: options.severities });
    options.onProgress?.('analysing', files.length, files.length);
    return { findings: result.findings, problems: result.problems, stats: result.stats };
  }
  return lintInWorkers(files, options, Math.min(jobs, sources.length), workerScript);
}

interface RoundReply {
  kind: 'round';
  exports: Map<string, Summary>;
  findings: Finding[];
  problems: FileProblem[];
  fieldAssigns: FieldAssign[];
  fieldReleases: FieldRelease[];
  stats: ProjectStats;
}

async function lintInWorkers(files: readonly SourceFile[], options: LintOptions, jobs: number, script: string): Promise<LintOutcome> {
  const t0 = performance.now();
  // small headers (struct layouts, macros) go to every worker; large ones (data tables, generated
  // argument clinics) are code of their own and are shared out like .c files
  const isShared = (f: SourceFile) => f.path.endsWith('.h') && f.text.length <= SHARED_HEADER_LIMIT;
  const headers = files.filter(isShared);
  const shares: SourceFile[][] = Array.from({ length: jobs }, () => []);
  const sizes = new Array<number>(jobs).fill(0);
  // largest files first, each to the least loaded worker
  for (const f of files.filter(f => !isShared(f)).sort((a, b) => b.text.length - a.text.length)) {
    const i = sizes.indexOf(Math.min(...sizes));
    shares[i].push(f);
    sizes[i] += f.text.length;
  }
  const workers = shares.map(() => new Worker(script));
  const ask = <T>(w: Worker, msg: unknown): Promise<T> =>
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
      w.postMessage(msg);
    });
  try {
    options.onProgress?.('analysing', 0, files.length);
    await Promise.all(workers.map((w, i) => ask(w, {
      kind: 'load', files: [...shares[i], ...headers], model: options.model, severities: options.severities,
      report: [...shares[i].map(f => f.path), ...(i === 0 ? headers.map(h => h.path) : [])],
    })));
    const parseMs = performance.now() - t0;
    if (process.env.HEAPLINT_DEBUG) console.error(`load: ${parseMs.toFixed(0)} ms`);
    let imports = new Map<string, Summary>();
    let replies: RoundReply[] = [];
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const r0 = performance.now();
      replies = await Promise.all(workers.map(w => ask<RoundReply>(w, { kind: 'round', imports })));
      if (process.env.HEAPLINT_DEBUG) console.error(`round ${round}: ${(performance.now() - r0).toFixed(0)} ms, analysed ${replies.map(r => r.stats.analysed).join('+')}`);
      const next = new Map<string, Summary>();
      for (const r of replies) for (const [k, v] of r.exports) if (!next.has(k)) next.set(k, v);
      if (round > 0 && sameSummaries(imports, next)) break;
      imports = next;
    }
    options.onProgress?.('analysing', files.length, files.length);
    const releaseOf = (family: string) => options.model.families.get(family)?.release;
    const findings = [
      ...replies.flatMap(r => r.findings),
      ...fieldConflicts(replies.flatMap(r => r.fieldAssigns), replies.flatMap(r => r.fieldReleases), { model: options.model, severities: options.severities }, releaseOf),
    ];
    findings.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.range.startLine - b.range.startLine || a.range.startCol - b.range.startCol));
    const stats: ProjectStats = {
      files: files.length, lines: files.reduce((n, f) => n + f.text.split('\n').length, 0),
      functions: replies.reduce((n, r) => n + r.stats.functions, 0), analysed: replies.reduce((n, r) => n + r.stats.analysed, 0),
      gaveUp: replies.reduce((n, r) => n + r.stats.gaveUp, 0), parseMs, analysisMs: performance.now() - t0 - parseMs,
    };
    return { findings, problems: replies.flatMap(r => r.problems), stats };
  } finally {
    await Promise.all(workers.map(w => w.terminate()));
  }
}

function sameSummaries(a: Map<string, Summary>, b: Map<string, Summary>): boolean {
  if (a.size !== b.size) return false;
  const fp = (s: Summary) => JSON.stringify(s, (_k, v) => (v instanceof Set ? [...v] : v));
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || fp(v) !== fp(w)) return false;
  }
  return true;
}
