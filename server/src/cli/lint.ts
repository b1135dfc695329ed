/**
 * The one place the CLI calls the engine. The engine is whole-program (function summaries cross
 * files), so for now every file is analysed together on the main thread whatever `jobs` says; the
 * signature is what a worker-thread implementation (server/src/cli/worker.ts) will keep.
 */
import type { Model } from '../../../allocator-model/src/model';
import { analyzeProject, initParser, type FileProblem, type Finding, type ProjectStats, type SourceFile } from '../engine';
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

export async function lintFiles(files: readonly SourceFile[], options: LintOptions, jobs: number): Promise<LintOutcome> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new RangeError(`jobs must be a positive whole number, not ${jobs}`);
  await initParser();
  options.onProgress?.('analysing', 0, files.length);
  const result = analyzeProject([...files], { model: options.model, severities: options.severities });
  options.onProgress?.('analysing', files.length, files.length);
  return { findings: result.findings, problems: result.problems, stats: result.stats };
}
