/**
 * `heaplint --format sarif`: the log validates against the official SARIF 2.1.0 schema (the copy
 * @microsoft/jest-sarif ships), URIs are relative to %SRCROOT%, rules carry help links, and results
 * carry related locations, code flows for path-dependent findings and fingerprints that survive a
 * line shift.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Ajv, { type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULE_IDS, ruleDocsUrl } from '../../server/src/engine';
import { ensureBuilt, FIXTURES, FIXTURES_REL, heaplint, ROOT, tempDir } from './helpers';

const SCHEMA = join(ROOT, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

/**
 * The schema is draft-04: its id is `id`, not `$id`, and one of its patterns is not valid with the
 * `u` flag. Ajv 8 reads it once the id is renamed, unicode regexps are off and format checks are off
 * (ajv-formats is not installed).
 */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false, unicodeRegExp: false });
  return ajv.compile(schema);
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Log = any;

let tmp: string;
let validate: ValidateFunction;
beforeAll(() => {
  ensureBuilt();
  tmp = tempDir('sarif');
  validate = sarifValidator();
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function sarif(args: string[], cwd = ROOT): { code: number | null; log: Log; stderr: string } {
  const out = join(tmp, `run-${Math.random().toString(36).slice(2)}.sarif`);
  const r = heaplint(['--format', 'sarif', '--output', out, ...args], { cwd });
  return { code: r.code, log: JSON.parse(readFileSync(out, 'utf8')), stderr: r.stderr };
}

function expectValid(log: Log): void {
  const ok = validate(log);
  expect(ok, JSON.stringify(validate.errors, null, 2)).toBe(true);
}

/** Every artifactLocation anywhere in the log. */
function artifactLocations(node: unknown, out: any[] = []): any[] {
  if (Array.isArray(node)) node.forEach(n => artifactLocations(n, out));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === 'artifactLocation') out.push(v);
      artifactLocations(v, out);
    }
  }
  return out;
}

describe('SARIF output', () => {
  let log: Log;
  let run: Log;
  let code: number | null;
  beforeAll(() => {
    ({ code, log } = sarif([
      '--rule', 'use-after-free=off', '--rule', 'leak=error',
      `${FIXTURES_REL}/findings.c`, `${FIXTURES_REL}/flow.c`, `${FIXTURES_REL}/mixed`, 'no-such-file.c',
    ]));
    run = log.runs[0];
  });

  it('validates against the official SARIF 2.1.0 schema', () => {
    expect(code).toBe(1);
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    expectValid(log);
  });

  it('describes the tool and every rule, with help links and default levels', () => {
    const driver = run.tool.driver;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(driver).toMatchObject({ name: 'heaplint', version: pkg.version });
    expect(driver.informationUri).toMatch(/^https:\/\//);
    expect(driver.rules.map((r: Log) => r.id)).toEqual([...RULE_IDS]);
    for (const rule of driver.rules) {
      expect(rule.helpUri).toBe(ruleDocsUrl(rule.id));
      expect(rule.helpUri).toMatch(/^https:\/\/.*\.md$/);
      expect(rule.name).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(rule.shortDescription.text.length).toBeGreaterThan(5);
      expect(['note', 'warning', 'error']).toContain(rule.defaultConfiguration.level);
    }
  });

  it('uses URIs relative to %SRCROOT%, which is the current directory', () => {
    expect(run.originalUriBaseIds['%SRCROOT%'].uri).toBe(`${pathToFileURL(ROOT).href}/`);
    const locs = artifactLocations(run);
    expect(locs.length).toBeGreaterThan(5);
    for (const loc of locs) {
      expect(loc.uriBaseId).toBe('%SRCROOT%');
      expect(loc.uri).not.toMatch(/^[a-z]+:|^\//);
      expect(run.artifacts[loc.index].location.uri).toBe(loc.uri);
    }
    expect(run.artifacts.map((a: Log) => a.location.uri)).toContain(`${FIXTURES_REL}/findings.c`);
  });

  it('points each result at its rule, with level, message and region', () => {
    expect(run.results.length).toBeGreaterThanOrEqual(4);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
      expect(['note', 'warning', 'error']).toContain(r.level);
      expect(r.message.text.length).toBeGreaterThan(0);
      expect(r.locations[0].physicalLocation.region.startLine).toBeGreaterThan(0);
    }
    const mixed = run.results.find((r: Log) => r.ruleId === 'mixed-heap');
    expect(mixed.locations[0].physicalLocation).toMatchObject({
      artifactLocation: { uri: `${FIXTURES_REL}/findings.c`, uriBaseId: '%SRCROOT%' },
      region: { startLine: 12, startColumn: 5 },
    });
    expect(mixed.locations[0].logicalLocations).toEqual([{ name: 'wrong_family', kind: 'function' }]);
  });

  it('gives related locations with ids and messages (the allocation site)', () => {
    const mixed = run.results.find((r: Log) => r.ruleId === 'mixed-heap');
    expect(mixed.relatedLocations.length).toBeGreaterThanOrEqual(1);
    mixed.relatedLocations.forEach((rl: Log, i: number) => {
      expect(rl.id).toBe(i + 1);
      expect(rl.message.text.length).toBeGreaterThan(0);
    });
    expect(mixed.relatedLocations[0].physicalLocation.region.startLine).toBe(8);
  });

  it('gives a code flow for path-dependent findings, ending at the finding', () => {
    const flowResults = run.results.filter(
      (r: Log) => r.locations[0].physicalLocation.artifactLocation.uri === `${FIXTURES_REL}/flow.c` && (r.ruleId === 'double-free' || r.ruleId === 'leak'),
    );
    expect(flowResults.length).toBeGreaterThanOrEqual(1);
    for (const r of flowResults) {
      const steps = r.codeFlows[0].threadFlows[0].locations;
      expect(steps.length).toBeGreaterThanOrEqual(2);
      for (const s of steps) expect(s.location.message.text.length).toBeGreaterThan(0);
      const last = steps[steps.length - 1].location.physicalLocation.region;
      const first = steps[0].location.physicalLocation.region;
      expect(first.startLine).toBeLessThan(last.startLine);
      if (r.ruleId === 'double-free') expect(last.startLine).toBe(r.locations[0].physicalLocation.region.startLine);
    }
    const doubleFree = run.results.find((r: Log) => r.ruleId === 'double-free' && r.locations[0].physicalLocation.region.startLine === 33);
    expect(doubleFree.codeFlows).toBeDefined();
    const mixed = run.results.find((r: Log) => r.ruleId === 'mixed-heap');
    expect(mixed.codeFlows).toBeUndefined();
  });

  it('offers the engine fix as a SARIF fix', () => {
    const mixed = run.results.find((r: Log) => r.ruleId === 'mixed-heap');
    expect(mixed.fixes[0].artifactChanges[0].replacements[0]).toMatchObject({
      deletedRegion: { startLine: 12, startColumn: 5, endColumn: 9 },
      insertedContent: { text: 'PyMem_Free' },
    });
  });

  it('records rule overrides, skipped files and the run outcome in the invocation', () => {
    const inv = run.invocations[0];
    expect(inv.executionSuccessful).toBe(true);
    expect(inv.ruleConfigurationOverrides).toEqual(
      expect.arrayContaining([
        { descriptor: { id: 'use-after-free', index: RULE_IDS.indexOf('use-after-free') }, configuration: { enabled: false } },
        { descriptor: { id: 'leak', index: RULE_IDS.indexOf('leak') }, configuration: { enabled: true, level: 'error' } },
      ]),
    );
    const notes = inv.toolExecutionNotifications.map((n: Log) => n.message.text);
    expect(notes).toContain(`${FIXTURES_REL}/mixed/blob.c: not a text file (binary content)`);
    expect(notes).toContain('no-such-file.c: no such file or folder');
    expect(run.results.some((r: Log) => r.ruleId === 'use-after-free')).toBe(false);
    expect(run.results.filter((r: Log) => r.ruleId === 'leak').every((r: Log) => r.level === 'error')).toBe(true);
  });

  it('reports heaplint.json problems as configuration notifications', () => {
    const { log: withConfig } = sarif([`${FIXTURES_REL}/bad-config`]);
    expectValid(withConfig);
    const notes = withConfig.runs[0].invocations[0].toolConfigurationNotifications;
    expect(notes.map((n: Log) => n.message.text)).toContainEqual(expect.stringMatching(/^\/python: /));
    expect(notes[0].locations[0].physicalLocation.artifactLocation.uri).toBe(`${FIXTURES_REL}/bad-config/heaplint.json`);
    expect(notes[0].locations[0].physicalLocation.region.startLine).toBe(2);
  });

  it('still writes a valid log when nothing could be linted', () => {
    const { code: failed, log: empty } = sarif(['no-such-file.c']);
    expect(failed).toBe(2);
    expectValid(empty);
    expect(empty.runs[0].invocations[0].executionSuccessful).toBe(false);
    expect(empty.runs[0].results).toEqual([]);
  });
});

describe('SARIF partialFingerprints', () => {
  /** Lints `text` saved as ext/findings.c in a fresh folder; fingerprints by rule. */
  function fingerprintsOf(name: string, text: string): Map<string, { print: string; line: number }> {
    const dir = join(tmp, name);
    mkdirSync(join(dir, 'ext'), { recursive: true });
    writeFileSync(join(dir, 'ext', 'findings.c'), text);
    const { log } = sarif(['ext/findings.c'], dir);
    expectValid(log);
    return new Map(
      log.runs[0].results.map((r: Log) => [
        `${r.ruleId}@${r.locations[0].logicalLocations?.[0]?.name}`,
        { print: r.partialFingerprints['heaplint/v1'], line: r.locations[0].physicalLocation.region.startLine },
      ]),
    );
  }

  const original = readFileSync(join(FIXTURES, 'findings.c'), 'utf8');

  it('stay the same when lines are inserted above or spacing and comments change, and differ between findings', () => {
    const before = fingerprintsOf('fp-before', original);
    const shifted = `/* a new header comment\n * spanning three lines\n */\n${original.replace('    free(buf);', '    free( buf );  /* checked */')}`;
    const after = fingerprintsOf('fp-after', shifted);
    expect(before.size).toBeGreaterThanOrEqual(3);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [key, b] of before) {
      const a = after.get(key)!;
      expect(a.line, key).toBe(b.line + 3);
      expect(a.print, key).toBe(b.print);
      expect(b.print).toMatch(/^[0-9a-f]{32}:\d+$/);
    }
    expect(new Set([...before.values()].map(v => v.print)).size).toBe(before.size);
  });

  it('change when the flagged line itself changes', () => {
    const before = fingerprintsOf('fp-base', original);
    const edited = fingerprintsOf('fp-edited', original.replace('    free(buf);', '    free((void *)buf);'));
    expect(edited.get('mixed-heap@wrong_family')!.print).not.toBe(before.get('mixed-heap@wrong_family')!.print);
    expect(edited.get('borrowed-free@free_borrowed')!.print).toBe(before.get('borrowed-free@free_borrowed')!.print);
  });
});
