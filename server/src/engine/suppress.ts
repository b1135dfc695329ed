/**
 * Suppression comments, read the same way by the CLI and the editor:
 *   /* heaplint-ignore rule-a, rule-b *\/            on the offending line
 *   /* heaplint-ignore-next-line rule-a *\/          on the line before
 *   // heaplint-ignore                               (no ids: every rule)
 */

export interface Suppression {
  line: number; // 0-based line the suppression applies to
  commentLine: number;
  startCol: number;
  endCol: number;
  rules: string[] | null; // null: all rules
  used: boolean;
}

const PATTERN = /(?:\/\*|\/\/)\s*heaplint-ignore(-next-line)?\b([^*\n]*)/g;

export function parseSuppressions(text: string): Suppression[] {
  if (!text.includes('heaplint-ignore')) return [];
  const out: Suppression[] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  PATTERN.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PATTERN.exec(text))) {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= m.index) lo = mid;
      else hi = mid - 1;
    }
    const ids = m[2].replace(/\*\/.*$/, '').split(/[\s,]+/).filter(s => /^[a-z][a-z0-9-]*$/.test(s));
    const startCol = m.index - lineStarts[lo];
    out.push({
      line: m[1] ? lo + 1 : lo, commentLine: lo, startCol, endCol: startCol + m[0].length,
      rules: ids.length ? ids : null, used: false,
    });
  }
  return out;
}

/** Marks and reports whether a finding of `rule` on `line` is suppressed. */
export function isSuppressed(sups: Suppression[], rule: string, line: number): boolean {
  for (const s of sups) {
    if (s.line === line && (!s.rules || s.rules.includes(rule))) {
      s.used = true;
      return true;
    }
  }
  return false;
}
