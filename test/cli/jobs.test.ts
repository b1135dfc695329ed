/**
 * `--jobs N` shares the files out between worker threads; what they report must be what one thread
 * reports: the same findings, in the same order, for any number of jobs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, FIXTURES, FIXTURES_REL, heaplint, lines, TEXT_LINE } from './helpers';

beforeAll(() => ensureBuilt());

/** `file:line rule` for every `/* expect: rule *\/` comment of the C files in a folder. */
function expected(folder: string, rel: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder).filter(n => n.endsWith('.c')).sort()) {
    readFileSync(join(folder, name), 'utf8').split('\n').forEach((text, i) => {
      for (const m of text.matchAll(/expect: ([a-z-]+(?:\s*,\s*[a-z-]+)*)/g)) for (const rule of m[1].split(',')) out.push(`${rel}/${name}:${i + 1} ${rule.trim()}`);
    });
  }
  return out.sort();
}

function reported(stdout: string): string[] {
  return lines(stdout).map(l => {
    const m = TEXT_LINE.exec(l)!;
    return `${m[1]}:${m[2]} ${m[6]}`;
  }).sort();
}

describe('--jobs', () => {
  const folder = join(FIXTURES, 'shares');
  const rel = `${FIXTURES_REL}/shares`;

  it('sees a wrapper defined in another worker\'s file, even from a function that allocates nothing itself', () => {
    const want = expected(folder, rel);
    expect(want.some(w => w.startsWith(`${rel}/calls.c:`) && w.endsWith(' leak'))).toBe(true);
    // workers take files from one queue, so which one reads which file varies: ask several times
    for (const jobs of ['1', '2', '2', '2', '3']) {
      const r = heaplint(['--jobs', jobs, rel]);
      expect(reported(r.stdout), `--jobs ${jobs}\n${r.stdout}`).toEqual(want);
    }
  });

  it('settles conflicts over fields set in one worker and released in another like its own findings: once per line, and silenced by a comment', () => {
    const r = heaplint(['--jobs', '2', rel]);
    const conflicts = reported(r.stdout).filter(l => l.endsWith(' field-family-conflict'));
    expect(conflicts).toEqual(expected(folder, rel).filter(l => l.endsWith(' field-family-conflict')));
    expect(conflicts).toHaveLength(1);
  });

  it('with one job, reports the same from a lint thread of its own as from the main thread', () => {
    // runs this small are linted on the main thread; the knob sends them to the thread big ones use
    const main = heaplint(['--jobs', '1', 'test/fixtures'], { env: { HEAPLINT_THREAD: 'main' } });
    const own = heaplint(['--jobs', '1', 'test/fixtures'], { env: { HEAPLINT_THREAD: 'own' } });
    expect(lines(main.stdout).length).toBeGreaterThan(100);
    expect(own.stdout).toBe(main.stdout);
    expect(own.stderr).toBe(main.stderr.replace(/\([\d.]+ s\)/, own.stderr.match(/\([\d.]+ s\)/)?.[0] ?? ''));
    expect(own.code).toBe(main.code);
  });

  it('reports on the whole fixture suite exactly what one thread reports', () => {
    const one = heaplint(['--jobs', '1', 'test/fixtures']);
    expect(lines(one.stdout).length).toBeGreaterThan(100);
    for (const jobs of ['2', '3']) {
      const many = heaplint(['--jobs', jobs, 'test/fixtures']);
      expect(many.stdout, `--jobs ${jobs}`).toBe(one.stdout);
      expect(many.code).toBe(one.code);
    }
  });
});
