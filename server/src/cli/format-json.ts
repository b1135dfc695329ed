/**
 * The JSON format (documented in docs/cli.md). Its shape is stable: every key is always present
 * (null or [] when there is nothing), keys keep their order, and `formatVersion` changes only when
 * a key is removed or changes meaning. Paths are relative to the current directory with "/"
 * separators; lines and columns are 1-based and end positions are exclusive.
 */
import { ruleDocsUrl, type Finding, type Range, type Related } from '../engine';
import { fingerprints } from './fingerprint';
import { countBySeverity, filesWithFindings, portablePath, type LintReport } from './report';
import { TOOL_NAME, TOOL_VERSION } from './version';

export const JSON_FORMAT_VERSION = 1;

interface JsonPosition {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

function position(r: Range): JsonPosition {
  return { line: r.startLine + 1, column: r.startCol + 1, endLine: r.endLine + 1, endColumn: r.endCol + 1 };
}

export function formatJson(report: LintReport): string {
  const rel = (file: string) => portablePath(file, report.cwd);
  const step = (s: Related) => ({ file: rel(s.file), ...position(s.range), message: s.message });
  const prints = fingerprints(report.findings, rel, f => report.texts.get(f));
  const finding = (f: Finding, i: number) => ({
    rule: f.rule,
    severity: f.severity,
    file: rel(f.file),
    ...position(f.range),
    message: f.message,
    function: f.function ?? null,
    related: f.related.map(step),
    flow: (f.flow ?? []).map(step),
    fix: f.fix ? { ...position(f.fix.replace), replacement: f.fix.with } : null,
    fingerprint: prints[i],
    helpUri: ruleDocsUrl(f.rule),
  });
  const bySeverity = countBySeverity(report.findings);
  const doc = {
    formatVersion: JSON_FORMAT_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    python: report.python,
    config: report.configFile ? rel(report.configFile) : null,
    summary: {
      files: report.linted.length,
      filesWithFindings: filesWithFindings(report),
      skipped: report.skipped.length,
      findings: report.findings.length,
      errors: bySeverity.error,
      warnings: bySeverity.warning,
      infos: bySeverity.info,
      durationMs: Math.round(report.endTime.getTime() - report.startTime.getTime()),
    },
    findings: report.findings.map(finding),
    skipped: report.skipped.map(s => ({ file: rel(s.file), reason: s.reason })),
    problems: report.engineProblems.map(p => ({ file: rel(p.file), message: p.message })),
    configProblems: report.configProblems.map(p => ({
      file: rel(p.file),
      line: p.line !== undefined ? p.line + 1 : null,
      path: p.path,
      message: p.message,
    })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
