/**
 * The boundary between the engine and LSP: findings, file problems, unused suppressions and
 * heaplint.json problems become diagnostics here, and nowhere else. Engine ranges are already 0-based
 * UTF-16, so only the shapes change.
 */
import { pathToFileURL } from 'node:url';
import {
  DiagnosticSeverity,
  DiagnosticTag,
  type Diagnostic,
  type DiagnosticRelatedInformation,
  type Range as LspRange,
  uinteger,
} from 'vscode-languageserver';
import type { ConfigProblem } from '../../../allocator-model/src/config';
import { ruleDocsUrl, type FileProblem, type Finding, type Range, type UnusedSuppression } from '../engine';
import { DIAGNOSTIC_SOURCE, type DiagnosticData } from './protocol';
import type { RuleLevel } from './settings';

export interface ConvertOptions {
  /** The client shows `relatedInformation`; otherwise related locations become extra hint diagnostics. */
  relatedInformation: boolean;
  /** The client understands `DiagnosticTag.Unnecessary`. */
  unnecessaryTag: boolean;
  /** Per-rule levels for this document (heaplint.json's, then the settings'). */
  rules: Record<string, RuleLevel>;
  /** Engine path → URI; the URI of an open document must be the one the client sent. */
  uriOf: (path: string) => string;
  /** The analysed text of a range, when at hand: a quick fix is only offered while the text still reads so. */
  textAt?: (range: LspRange) => string;
}

export function toLspRange(r: Range): LspRange {
  return { start: { line: r.startLine, character: r.startCol }, end: { line: r.endLine, character: r.endCol } };
}

export function fileUri(path: string): string {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path) ? path : pathToFileURL(path).href;
}

const SEVERITY: Record<string, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** The diagnostics of one file: findings first, then problems and unused suppressions, duplicates removed. */
export function toDiagnostics(
  path: string,
  findings: readonly Finding[],
  problems: readonly FileProblem[],
  unused: readonly UnusedSuppression[],
  opts: ConvertOptions,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const f of findings) {
    if (f.file !== path) continue;
    const level = opts.rules[f.rule] ?? f.severity;
    if (level === 'off') continue;
    out.push(...findingDiagnostics(f, SEVERITY[level], opts));
  }
  for (const p of problems) if (p.file === path) out.push(problemDiagnostic(p.message));
  for (const u of unused) if (u.file === path) out.push(unusedSuppressionDiagnostic(u, opts));
  return dedupe(out);
}

function findingDiagnostics(f: Finding, severity: DiagnosticSeverity, opts: ConvertOptions): Diagnostic[] {
  const range = toLspRange(f.range);
  const data: DiagnosticData = { rule: f.rule };
  if (f.fix) {
    const fixRange = toLspRange(f.fix.replace);
    data.fix = { range: fixRange, newText: f.fix.with, oldText: opts.textAt?.(fixRange) };
  }
  const main: Diagnostic = {
    range,
    severity,
    code: f.rule,
    codeDescription: { href: ruleDocsUrl(f.rule) },
    source: DIAGNOSTIC_SOURCE,
    message: f.message,
    data,
  };
  if (f.related.length === 0) return [main];
  if (opts.relatedInformation) {
    main.relatedInformation = f.related.map(
      (r): DiagnosticRelatedInformation => ({ location: { uri: opts.uriOf(r.file), range: toLspRange(r.range) }, message: r.message }),
    );
    return [main];
  }
  // No related information in this client: each related location in the same file becomes a hint
  // that names the finding it belongs to (clangd does the same with its notes).
  const extra: Diagnostic[] = f.related
    .filter(r => r.file === f.file)
    .map(r => ({
      range: toLspRange(r.range),
      severity: DiagnosticSeverity.Hint,
      code: f.rule,
      source: DIAGNOSTIC_SOURCE,
      message: `${r.message} (see ${f.rule} at line ${f.range.startLine + 1})`,
    }));
  const elsewhere = f.related.filter(r => r.file !== f.file);
  if (elsewhere.length) {
    main.message += elsewhere.map(r => `\n${r.message} (${shortName(r.file)}:${r.range.startLine + 1})`).join('');
  }
  return [main, ...extra];
}

/** A file the engine could not handle: one diagnostic at the top, never an exception. */
export function problemDiagnostic(message: string, line = 0): Diagnostic {
  return {
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    severity: DiagnosticSeverity.Warning,
    code: 'analysis-problem',
    source: DIAGNOSTIC_SOURCE,
    message: `heaplint: ${message}`,
  };
}

function unusedSuppressionDiagnostic(u: UnusedSuppression, opts: ConvertOptions): Diagnostic {
  const what = u.rules ? u.rules.join(', ') : 'any rule';
  const d: Diagnostic = {
    range: toLspRange(u.range),
    severity: DiagnosticSeverity.Hint,
    code: 'unused-suppression',
    source: DIAGNOSTIC_SOURCE,
    message: `Unused heaplint suppression: no finding of ${what} here`,
    data: { rule: 'unused-suppression', unusedSuppression: true } satisfies DiagnosticData,
  };
  if (opts.unnecessaryTag) d.tags = [DiagnosticTag.Unnecessary];
  return d;
}

/** heaplint.json problems: an error each, under the text of the line the validator located (else the first line). */
export function configDiagnostics(problems: readonly ConfigProblem[], text = ''): Diagnostic[] {
  const lines = text.split('\n');
  return dedupe(
    problems.map(p => {
      const line = p.line ?? 0;
      const content = (lines[line] ?? '').replace(/\r$/, '');
      const start = content.length - content.trimStart().length;
      const end = content.trimEnd().length > start ? content.trimEnd().replace(/,$/, '').length : uinteger.MAX_VALUE;
      return {
        range: { start: { line, character: start }, end: { line, character: end } },
        severity: DiagnosticSeverity.Error,
        code: 'config',
        source: DIAGNOSTIC_SOURCE,
        message: `${p.path === '/' ? '' : `${p.path}: `}${p.message} (this entry is ignored; the rest of heaplint.json still applies)`,
      };
    }),
  );
}

function dedupe(list: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return list.filter(d => {
    const key = `${d.range.start.line}:${d.range.start.character}:${d.range.end.line}:${d.range.end.character}|${d.code}|${d.severity}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function shortName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
