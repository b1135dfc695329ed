/**
 * The TextMate grammar, language configuration and snippets of .heaptrace, and their registration in
 * package.json. Lines are scanned with the TextMate rule (at each position the pattern matching
 * earliest wins, ties to the first listed), which is all this grammar uses: no begin/end rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiFunctions } from '../../server/src/simulator';
import { checkHeaptrace } from '../../server/src/simulator/heaptrace';

const ROOT = join(__dirname, '..', '..');
const read = (p: string) => JSON.parse(readFileSync(join(ROOT, p), 'utf8'));
const grammar = read('syntaxes/heaptrace.tmLanguage.json');

interface Rule {
  match?: string;
  name?: string;
  captures?: Record<string, { name: string }>;
  include?: string;
  patterns?: Rule[];
}

function flatten(rules: Rule[]): Rule[] {
  return rules.flatMap((r) => {
    if (r.include) return flatten([grammar.repository[r.include.slice(1)]]);
    if (r.patterns) return flatten(r.patterns);
    return [r];
  });
}

const rules = flatten(grammar.patterns);

/** [text, scope] pairs of one line. */
function scan(line: string): [string, string][] {
  const out: [string, string][] = [];
  let pos = 0;
  while (pos < line.length) {
    let best: { m: RegExpExecArray; r: Rule } | undefined;
    for (const r of rules) {
      const re = new RegExp(r.match!, 'dg');
      re.lastIndex = pos;
      const m = re.exec(line);
      if (m && m[0].length > 0 && (!best || m.index < best.m.index)) best = { m, r };
    }
    if (!best) break;
    const { m, r } = best;
    if (r.name) out.push([m[0], r.name]);
    for (const [k, c] of Object.entries(r.captures ?? {})) {
      if (m[Number(k)] !== undefined) out.push([m[Number(k)], c.name]);
    }
    pos = m.index + m[0].length;
  }
  return out;
}

const scopeOf = (line: string, text: string) => scan(line).find(([t]) => t === text)?.[1];

describe('heaptrace TextMate grammar', () => {
  it('has only patterns that compile as regular expressions', () => {
    for (const r of rules) expect(() => new RegExp(r.match!)).not.toThrow();
  });

  it('colours allocators, deallocators and unknown functions differently', () => {
    expect(scopeOf('a = PyMem_Malloc(16)', 'PyMem_Malloc')).toBe('support.function.allocator.heaptrace');
    expect(scopeOf('PyObject_Free(a)', 'PyObject_Free')).toBe('support.function.deallocator.heaptrace');
    expect(scopeOf('a = PyMem_Alloc(16)', 'PyMem_Alloc')).toBe('invalid.illegal.unknown-function.heaptrace');
  });

  it('knows every function of the language', () => {
    for (const f of apiFunctions()) {
      const scope = scopeOf(`x = ${f.name}(1)`, f.name);
      expect(scope, f.name).toMatch(f.kind === 'free' ? /deallocator/ : /allocator/);
    }
  });

  it('marks comments, keywords, labels, slots and numbers', () => {
    expect(scopeOf('python 3.11', 'python')).toBe('keyword.other.python-version.heaptrace');
    expect(scopeOf('python 3.11', '3.11')).toBe('constant.numeric.version.heaptrace');
    expect(scopeOf('snapshot after-free', 'after-free')).toBe('string.unquoted.label.heaptrace');
    expect(scopeOf('repeat 1000 {', 'repeat')).toBe('keyword.control.repeat.heaptrace');
    expect(scopeOf('  a[i] = malloc(0x20)  # grow', '# grow')).toBe('comment.line.number-sign.heaptrace');
    expect(scopeOf('  a[i] = malloc(0x20)', 'i')).toBe('variable.language.index.heaptrace');
    expect(scopeOf('  a[i] = malloc(0x20)', '0x20')).toBe('constant.numeric.hex.heaptrace');
    expect(scopeOf('free(NULL)', 'NULL')).toBe('constant.language.null.heaptrace');
  });
});

describe('heaptrace registration', () => {
  const pkg = read('package.json');

  it('registers the language, its grammar and its snippets in package.json', () => {
    const lang = pkg.contributes.languages.find((l: { id: string }) => l.id === 'heaptrace');
    expect(lang.extensions).toContain('.heaptrace');
    const g = pkg.contributes.grammars.find((x: { language: string }) => x.language === 'heaptrace');
    expect(g.scopeName).toBe(grammar.scopeName);
    const sn = pkg.contributes.snippets.find((x: { language: string }) => x.language === 'heaptrace');
    for (const p of [lang.configuration, g.path, sn.path]) expect(existsSync(join(ROOT, p)), p).toBe(true);
  });

  it('configures # comments and the three bracket pairs', () => {
    const conf = read('syntaxes/heaptrace.language-configuration.json');
    expect(conf.comments.lineComment).toBe('#');
    expect(conf.brackets).toEqual([
      ['{', '}'],
      ['(', ')'],
      ['[', ']'],
    ]);
  });

  it('offers snippets whose bodies are valid traces once the placeholders are filled', () => {
    const snippets = read('syntaxes/heaptrace.snippets.json') as Record<string, { body: string[] }>;
    for (const [name, s] of Object.entries(snippets)) {
      // Fill each tab stop with its default (first choice), and mirrors ($1) with the same text.
      const body = s.body.join('\n');
      const defaults = new Map<string, string>();
      for (const m of body.matchAll(/\$\{(\d+)(?::([^}]*)|\|([^,|]+)[^}]*)\}/g)) defaults.set(m[1], m[2] ?? m[3]);
      const text = body
        .replace(/\$\{(\d+)(?::[^}]*|\|[^}]*)\}/g, (_m, n: string) => defaults.get(n)!)
        .replace(/\$(\d+)/g, (_m, n: string) => (n === '0' ? '' : (defaults.get(n) ?? 'a')))
        .replace(/\t/g, '  ');
      const errors = checkHeaptrace(text).diagnostics.filter((d) => d.severity === 'error' && d.code !== 'used-before-assignment');
      expect(errors, name).toEqual([]);
    }
  });
});
