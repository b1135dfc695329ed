/**
 * The text format: one line per finding, `file:line:col: severity: message [rule-id]` with 1-based
 * line and column and the path relative to the current directory: the shape gcc uses and problem
 * matchers read. The summary line goes to stderr separately.
 */
import type { Finding } from '../engine';
import { displayPath, filesWithFindings, type LintReport } from './report';

function oneLine(s: string): string {
  return s.replace(/\s*\r?\n\s*/g, ' ');
}

export function formatFindingLine(f: Finding, cwd: string): string {
  return `${displayPath(f.file, cwd)}:${f.range.startLine + 1}:${f.range.startCol + 1}: ${f.severity}: ${oneLine(f.message)} [${f.rule}]`;
}

export function formatText(report: LintReport): string {
  return report.findings.map(f => `${formatFindingLine(f, report.cwd)}\n`).join('');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** `heaplint: 3 findings in 2 of 14 files (1.2 s)`, plus how many paths were skipped. */
export function formatSummary(report: LintReport): string {
  const n = report.findings.length;
  const files = report.linted.length;
  const seconds = ((report.endTime.getTime() - report.startTime.getTime()) / 1000).toFixed(1);
  const head =
    n === 0
      ? `no findings in ${plural(files, 'file')}`
      : `${plural(n, 'finding')} in ${filesWithFindings(report)} of ${plural(files, 'file')}`;
  const skipped = report.skipped.length > 0 ? `, ${report.skipped.length} skipped` : '';
  return `heaplint: ${head}${skipped} (${seconds} s)`;
}
