import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/engine';
import { actualFindings, collectUnits, expectedFindings } from './fixture-harness';

const root = join(__dirname, '..', 'fixtures');
const units = collectUnits(root);
const knownGaps: Record<string, string> = JSON.parse(readFileSync(join(root, 'known-gaps.json'), 'utf8'));
delete knownGaps.$comment;

beforeAll(async () => {
  await initParser();
});

describe('fixture suite: every /* expect: rule */ line is reported and nothing else', () => {
  it('has fixtures for every rule and enough correct code', () => {
    expect(units.length).toBeGreaterThanOrEqual(150);
    const clean = units.filter(u => u.name.startsWith('clean'));
    expect(clean.length * 3).toBeGreaterThanOrEqual(units.length);
  });

  it('every known gap names a fixture that exists', () => {
    const names = new Set(units.map(u => u.name));
    for (const name of Object.keys(knownGaps)) expect(names.has(name), name).toBe(true);
    // gaps stay a small minority of the suite
    expect(Object.keys(knownGaps).length * 10).toBeLessThan(units.length);
  });

  const check = (unit: (typeof units)[number]) => {
    const expected = expectedFindings(unit.files, root);
    const actual = actualFindings(unit, root);
    expect(actual.lines, actual.messages.join('\n')).toEqual(expected);
  };
  it.each(units.filter(u => !knownGaps[u.name]).map(u => [u.name, u] as const))('%s', (_name, unit) => check(unit));
  // expected failures: each documents a limit in known-gaps.json; passing one means the list is stale
  it.fails.each(units.filter(u => knownGaps[u.name]).map(u => [u.name, u] as const))('known gap: %s', (_name, unit) => check(unit));
});

describe('the bundled example extension (examples/spam)', () => {
  it('reports exactly the bugs its sources announce', () => {
    const exampleRoot = join(__dirname, '..', '..', 'examples');
    const dir = join(exampleRoot, 'spam');
    const unit = { name: 'spam', files: readdirSync(dir).filter(f => /\.[ch]$/.test(f)).sort().map(f => join(dir, f)) };
    const expected = expectedFindings(unit.files, exampleRoot);
    expect(expected.length).toBeGreaterThanOrEqual(8);
    const actual = actualFindings(unit, exampleRoot);
    expect(actual.lines, actual.messages.join('\n')).toEqual(expected);
  });
});
