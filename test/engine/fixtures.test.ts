import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/engine';
import { actualFindings, collectUnits, expectedFindings } from './fixture-harness';

const root = join(__dirname, '..', 'fixtures');
const units = collectUnits(root);

beforeAll(async () => {
  await initParser();
});

describe('fixture suite: every /* expect: rule */ line is reported and nothing else', () => {
  it('has fixtures for every rule and enough correct code', () => {
    expect(units.length).toBeGreaterThanOrEqual(150);
    const clean = units.filter(u => u.name.startsWith('clean'));
    expect(clean.length * 3).toBeGreaterThanOrEqual(units.length);
  });

  it.each(units.map(u => [u.name, u] as const))('%s', (_name, unit) => {
    const expected = expectedFindings(unit.files, root);
    const actual = actualFindings(unit, root);
    expect(actual.lines, actual.messages.join('\n')).toEqual(expected);
  });
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
