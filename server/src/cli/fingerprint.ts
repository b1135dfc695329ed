/**
 * Fingerprints that survive unrelated edits: a hash of the rule, the file's relative path, the
 * finding's source line without whitespace and comments, and the enclosing function, but not the line
 * number. Identical keys in one file get an occurrence suffix in source order (":0", ":1", …).
 */
import { createHash } from 'node:crypto';
import type { Finding } from '../engine';

/** The line as code: comments and all whitespace removed, so reformatting or commenting keeps the identity. */
export function normaliseLine(text: string): string {
  return text
    .replace(/\/\*.*?\*\//g, '')
    .replace(/\/\/.*$/, '')
    .replace(/\s+/g, '');
}

/** The 0-based line `line` of `text` ('' when out of range). */
export function lineOf(text: string | undefined, line: number): string {
  if (text === undefined) return '';
  let start = 0;
  for (let i = 0; i < line; i++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return '';
    start = nl + 1;
  }
  const end = text.indexOf('\n', start);
  return text.slice(start, end < 0 ? undefined : end).replace(/\r$/, '');
}

export function fingerprintKey(f: Finding, relPath: string, lineText: string): string {
  return createHash('sha256')
    .update([f.rule, relPath, normaliseLine(lineText), f.function ?? ''].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** One fingerprint per finding, in the order given (which should be source order). */
export function fingerprints(findings: readonly Finding[], relPath: (file: string) => string, text: (file: string) => string | undefined): string[] {
  const seen = new Map<string, number>();
  return findings.map(f => {
    const key = fingerprintKey(f, relPath(f.file), lineOf(text(f.file), f.range.startLine));
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    return `${key}:${n}`;
  });
}
