/**
 * Everything a run produced, in one value the formatters read: findings in a stable order, the
 * files linted and skipped, config problems, and the engine's own problems. Paths are absolute here;
 * each format decides how to show them.
 */
import { isAbsolute, relative, sep } from 'node:path';
import type { ConfigProblem } from '../../../allocator-model/src';
import type { FileProblem, Finding } from '../engine';
import type { RuleSetting } from './config';
import type { SkippedFile } from './read';

export interface LintReport {
  cwd: string;
  python: string;
  configFile?: string;
  configProblems: ConfigProblem[];
  /** Per-rule settings that override the defaults. */
  severities: Record<string, RuleSetting>;
  /** Files given to the engine, in lint order. */
  linted: string[];
  /** Paths not linted: missing, unreadable, binary, too large. */
  skipped: SkippedFile[];
  /** What the engine could not handle (a file it could not parse, a function whose analysis failed). */
  engineProblems: FileProblem[];
  findings: Finding[];
  /** Source texts by absolute path, for fingerprints. */
  texts: ReadonlyMap<string, string>;
  startTime: Date;
  endTime: Date;
  /** False when nothing could be linted. */
  executionSuccessful: boolean;
}

/** Path relative to `cwd` with "/" separators ("../x.c" for files above it). */
export function portablePath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  if (rel === '') return '.';
  if (isAbsolute(rel)) return abs.split(sep).join('/');
  return rel.split(sep).join('/');
}

/** Path relative to `cwd` in the platform's own form, for terminal output. */
export function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  return rel === '' ? '.' : isAbsolute(rel) ? abs : rel;
}

/** By file (in lint order), then position, then rule: the order every format prints. */
export function sortFindings(findings: readonly Finding[], fileOrder: readonly string[]): Finding[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i]));
  const r = (f: string) => rank.get(f) ?? Number.MAX_SAFE_INTEGER;
  return [...findings].sort(
    (a, b) =>
      r(a.file) - r(b.file) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.range.startLine - b.range.startLine ||
      a.range.startCol - b.range.startCol ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

export function filesWithFindings(report: LintReport): number {
  return new Set(report.findings.map(f => f.file)).size;
}

export function countBySeverity(findings: readonly Finding[]): { error: number; warning: number; info: number } {
  const n = { error: 0, warning: 0, info: 0 };
  for (const f of findings) n[f.severity]++;
  return n;
}
