/**
 * The `heaplint` command as users run it: the built binary, spawned on the fixtures under
 * test/cli/fixtures. Engine results are asserted only where they are robust (a free() of a
 * PyMem_Malloc buffer, a PyUnicode_AsUTF8 buffer passed to free(), a second PyMem_Free()).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, FIXTURES, FIXTURES_REL, heaplint, lines, ROOT, tempDir, TEXT_LINE } from './helpers';

const FINDINGS = `${FIXTURES_REL}/findings.c`;
const CLEAN = `${FIXTURES_REL}/clean.c`;
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

let tmp: string;
beforeAll(() => {
  ensureBuilt();
  tmp = tempDir('cli');
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** No stack trace, no multi-line dump: what a user sees on stderr for a usage or input error. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  const l = lines(stderr);
  expect(l, stderr).toHaveLength(1);
  expect(l[0]).toMatch(/^heaplint: /);
  expect(l[0]).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('command line', () => {
  it('--help prints the usage and exits 0', () => {
    const r = heaplint(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: heaplint \[options\] <files or folders…>/);
    for (const opt of ['--format', '--output', '--python', '--config', '--rule', '--jobs', '--exclude']) expect(r.stdout).toContain(opt);
    expect(r.stderr).toBe('');
  });

  it('--version prints the package version', () => {
    const r = heaplint(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`heaplint ${pkg.version}\n`);
  });

  it('an unknown option exits 2 with one line and a hint to --help', () => {
    const r = heaplint(['--frobnicate', CLEAN]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /unknown option --frobnicate.*heaplint --help/);
    expect(r.stdout).toBe('');
  });

  it.each([
    [['--format', 'xml', CLEAN], /--format must be text, json or sarif/],
    [['--jobs', '0', CLEAN], /--jobs must be a whole number/],
    [['--jobs', 'many', CLEAN], /--jobs must be a whole number/],
    [['--jobs'], /--jobs needs a value/],
    [[], /no files or folders/],
    [['--rule', 'no-such-rule=off', CLEAN], /unknown rule "no-such-rule"/],
    [['--rule', 'mixed-heap=loud', CLEAN], /must be off, info, warning or error/],
    [['--rule', 'mixed-heap', CLEAN], /--rule expects ID=/],
    [['--python', '2.7', CLEAN], /unsupported Python version "2\.7"/],
  ])('usage error %j exits 2 with one line', (args, pattern) => {
    const r = heaplint(args);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, pattern);
  });

  it('accepts --opt=value spellings and a valid --jobs', () => {
    const r = heaplint(['--format=json', '--jobs=2', CLEAN]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).summary.files).toBe(1);
  });
});

describe('exit codes and the text format', () => {
  it('exits 0 with nothing on stdout for a clean file, and prints the summary on stderr', () => {
    const r = heaplint([CLEAN]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^heaplint: no findings in 1 file \(\d+\.\d s\)\n$/);
  });

  it('exits 1 and prints file:line:col: severity: message [rule-id] for findings', () => {
    const r = heaplint([FINDINGS]);
    expect(r.code).toBe(1);
    const out = lines(r.stdout);
    expect(out.length).toBeGreaterThanOrEqual(3);
    for (const l of out) expect(l).toMatch(TEXT_LINE);
    expect(out.every(l => l.startsWith(`${FINDINGS}:`))).toBe(true);
    expect(out).toContainEqual(expect.stringMatching(/^test\/cli\/fixtures\/findings\.c:12:5: error: .*PyMem_Malloc.*free\(\).* \[mixed-heap\]$/));
    expect(out).toContainEqual(expect.stringMatching(/^test\/cli\/fixtures\/findings\.c:22:5: error: .*PyUnicode_AsUTF8.* \[borrowed-free\]$/));
    expect(out).toContainEqual(expect.stringMatching(/^test\/cli\/fixtures\/findings\.c:33:5: error: .* \[double-free\]$/));
    expect(r.stderr).toMatch(new RegExp(`^heaplint: ${out.length} findings in 1 of 1 file \\(\\d+\\.\\d s\\)\\n$`));
  });

  it('prints paths relative to the current directory, however the file was named', () => {
    const rel = heaplint(['findings.c'], { cwd: FIXTURES });
    const abs = heaplint([join(FIXTURES, 'findings.c')], { cwd: FIXTURES });
    expect(rel.code).toBe(1);
    expect(lines(rel.stdout).every(l => l.startsWith('findings.c:'))).toBe(true);
    expect(abs.stdout).toBe(rel.stdout);
    const above = heaplint(['../fixtures/findings.c'], { cwd: join(FIXTURES, 'tree') });
    expect(lines(above.stdout).every(l => l.startsWith(join('..', 'findings.c:')))).toBe(true);
  });

  it('--quiet drops the summary line', () => {
    const r = heaplint(['--quiet', FINDINGS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toBe('');
  });

  it('lists findings in a deterministic order', () => {
    const a = heaplint([FINDINGS, `${FIXTURES_REL}/flow.c`, `${FIXTURES_REL}/tree`]);
    const b = heaplint([FINDINGS, `${FIXTURES_REL}/flow.c`, `${FIXTURES_REL}/tree`]);
    expect(a.stdout).toBe(b.stdout);
    const files = lines(a.stdout).map(l => TEXT_LINE.exec(l)![1]);
    const firstIndex = (f: string) => files.indexOf(f);
    expect(firstIndex(FINDINGS)).toBe(0);
    expect(firstIndex(`${FIXTURES_REL}/flow.c`)).toBeGreaterThan(files.lastIndexOf(FINDINGS));
    const lineNos = lines(a.stdout).filter(l => l.startsWith(`${FINDINGS}:`)).map(l => Number(TEXT_LINE.exec(l)![2]));
    expect(lineNos).toEqual([...lineNos].sort((x, y) => x - y));
  });
});

describe('--rule', () => {
  it('changes a rule severity', () => {
    const r = heaplint(['--rule', 'mixed-heap=warning', FINDINGS]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/findings\.c:12:5: warning: .* \[mixed-heap\]/);
    expect(r.stdout).toMatch(/findings\.c:22:5: error: .* \[borrowed-free\]/);
  });

  it('turns a rule off, and the last --rule for a rule wins', () => {
    const r = heaplint(['--rule', 'mixed-heap=info', '--rule', 'mixed-heap=off', FINDINGS]);
    expect(r.stdout).not.toContain('[mixed-heap]');
    expect(r.stdout).toContain('[borrowed-free]');
  });

  it('exits 0 when every rule that fires is off', () => {
    const rules = ['mixed-heap', 'borrowed-free', 'double-free', 'use-after-free', 'leak'];
    const r = heaplint([...rules.flatMap(id => ['--rule', `${id}=off`]), `${FIXTURES_REL}/tree/src/module.c`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe('--python', () => {
  // PyUnicode_AsUnicode() exists until 3.11 and returns a buffer owned by the str object.
  const file = `${FIXTURES_REL}/versioned.c`;

  it('checks against the version given', () => {
    const old = heaplint(['--python', '3.11', file]);
    expect(old.code).toBe(1);
    expect(old.stdout).toMatch(/versioned\.c:10:5: error: .*PyUnicode_AsUnicode.* \[borrowed-free\]/);
    const current = heaplint(['--python', '3.12', file]);
    expect(current.stdout).not.toContain('[borrowed-free]');
  });

  it('is reported in the JSON output, defaulting to the model default', () => {
    expect(JSON.parse(heaplint(['--python', '3.13t', '--format', 'json', CLEAN]).stdout).python).toBe('3.13t');
    expect(JSON.parse(heaplint(['--format', 'json', CLEAN]).stdout).python).toMatch(/^3\.\d+$/);
  });
});

describe('configuration', () => {
  const badConfig = `${FIXTURES_REL}/bad-config/heaplint.json`;

  it('--config with a broken file: each error names the file, line and JSON path, and linting goes on', () => {
    const r = heaplint(['--config', badConfig, FINDINGS]);
    expect(r.code).toBe(1);
    const errs = lines(r.stderr).filter(l => l.includes(': error: '));
    expect(errs).toContainEqual(expect.stringMatching(/^test\/cli\/fixtures\/bad-config\/heaplint\.json:2: error: \/python: ./));
    expect(errs).toContainEqual(expect.stringMatching(/^test\/cli\/fixtures\/bad-config\/heaplint\.json:5: error: \/rules\/leak: must be one of/));
    // the valid parts still apply: mixed-heap is lowered to info
    expect(r.stdout).toMatch(/findings\.c:12:5: info: .* \[mixed-heap\]/);
    expect(r.stdout).toContain('[borrowed-free]');
    expect(r.stderr).toMatch(/heaplint: \d+ findings in 1 of 1 file/);
  });

  it('finds the nearest heaplint.json above the first path', () => {
    const r = heaplint([`${FIXTURES_REL}/bad-config`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${badConfig}:2: error: /python:`);
    expect(r.stdout).toMatch(/bad-config\/module\.c:11:5: info: .* \[mixed-heap\]/);
  });

  it('a config file that does not exist is an input error', () => {
    const r = heaplint(['--config', 'no/such/heaplint.json', CLEAN]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /cannot read config file no\/such\/heaplint\.json: no such file/);
  });

  it('--rule overrides heaplint.json', () => {
    const r = heaplint(['--config', badConfig, '--rule', 'mixed-heap=error', FINDINGS]);
    expect(r.stdout).toMatch(/findings\.c:12:5: error: .* \[mixed-heap\]/);
  });

  it('takes the Python version from heaplint.json, and --python over it', () => {
    const dir = join(tmp, 'py311');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'heaplint.json'), '{ "python": "3.11" }\n');
    writeFileSync(join(dir, 'versioned.c'), readFileSync(join(FIXTURES, 'versioned.c')));
    const fromConfig = heaplint(['--format', 'json', 'versioned.c'], { cwd: dir });
    expect(JSON.parse(fromConfig.stdout).python).toBe('3.11');
    expect(JSON.parse(fromConfig.stdout).config).toBe('heaplint.json');
    expect(fromConfig.code).toBe(1);
    const overridden = heaplint(['--format', 'json', '--python', '3.12', 'versioned.c'], { cwd: dir });
    expect(JSON.parse(overridden.stdout).python).toBe('3.12');
  });
});

describe('file discovery', () => {
  const tree = `${FIXTURES_REL}/tree`;

  it('walks folders for .c and .h files, honouring heaplint.json excludes and skipping node_modules and hidden folders', () => {
    const r = heaplint(['--format', 'json', tree]);
    const doc = JSON.parse(r.stdout);
    expect(r.code).toBe(1);
    expect(doc.summary.files).toBe(2); // src/module.c and src/module.h
    expect(doc.config).toBe(`${tree}/heaplint.json`);
    const files = new Set(doc.findings.map((f: { file: string }) => f.file));
    expect([...files]).toEqual([`${tree}/src/module.c`]);
    for (const hidden of ['vendor', 'node_modules', '.cache', 'parser_gen', 'notes.txt']) expect(r.stdout + r.stderr).not.toContain(hidden);
    expect(r.stderr).toMatch(/in 1 of 2 files/);
  });

  it('--exclude adds patterns relative to the current directory', () => {
    const r = heaplint(['--format', 'json', '--exclude', `${tree}/src/*.h`, tree]);
    expect(JSON.parse(r.stdout).summary.files).toBe(1);
    const byName = heaplint(['--format', 'json', '--exclude', 'module.h', tree]);
    expect(JSON.parse(byName.stdout).summary.files).toBe(1);
  });

  it('a folder where everything is excluded is an input error', () => {
    const r = heaplint(['--exclude', 'src', tree]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /tree: no \.c or \.h files found/);
  });

  it('a file named on the command line is linted even if a pattern excludes it', () => {
    const r = heaplint([`${tree}/vendor/zlib/inflate.c`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('inflate.c:');
  });

  it('--max-files refuses runs that are too large, with a clear message', () => {
    const r = heaplint(['--max-files', '1', tree]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /more than 1 files to lint; .*--max-files/);
  });
});

describe('unreadable, binary and missing input', () => {
  it('skips a binary file, reports it, and lints the rest', () => {
    const r = heaplint([`${FIXTURES_REL}/mixed`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('heaplint: test/cli/fixtures/mixed/blob.c: not a text file (binary content)\n');
    expect(r.stderr).toMatch(/heaplint: no findings in 1 file, 1 skipped/);
  });

  it('exits 2 when the only file is binary', () => {
    const r = heaplint([`${FIXTURES_REL}/mixed/blob.c`]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /blob\.c: not a text file/);
  });

  it('a path that does not exist: reported, exit 2 when nothing else could be linted', () => {
    const r = heaplint(['no-such-file.c']);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /^heaplint: no-such-file\.c: no such file or folder$/);
    expect(r.stdout).toBe('');
  });

  it('a path that does not exist next to one that does: reported, the other is linted', () => {
    const r = heaplint(['no-such-file.c', FINDINGS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('heaplint: no-such-file.c: no such file or folder\n');
    expect(r.stdout).toContain('[mixed-heap]');
    expect(r.stderr).toMatch(/in 1 of 1 file, 1 skipped/);
  });

  it('an unreadable file is reported and skipped', () => {
    if (process.getuid?.() === 0) return; // root reads everything
    const dir = join(tmp, 'unreadable');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'locked.c'), 'int x;\n', { mode: 0o000 });
    writeFileSync(join(dir, 'open.c'), 'int y;\n');
    const r = heaplint(['locked.c', 'open.c'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('heaplint: locked.c: cannot be read: permission denied\n');
  });
});

describe('--output and --format json', () => {
  it('writes the report to a file, creating its folder, and keeps stdout empty', () => {
    const out = join(tmp, 'deep', 'er', 'report.json');
    const r = heaplint(['--format', 'json', '--output', out, FINDINGS]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(Object.keys(doc)).toEqual(['formatVersion', 'tool', 'python', 'config', 'summary', 'findings', 'skipped', 'problems', 'configProblems']);
    expect(doc.formatVersion).toBe(1);
    expect(doc.tool).toEqual({ name: 'heaplint', version: pkg.version });
    const f = doc.findings.find((x: { rule: string }) => x.rule === 'mixed-heap');
    expect(Object.keys(f)).toEqual([
      'rule', 'severity', 'file', 'line', 'column', 'endLine', 'endColumn', 'message', 'function', 'related', 'flow', 'fix', 'fingerprint', 'helpUri',
    ]);
    expect(f).toMatchObject({ file: FINDINGS, line: 12, column: 5, function: 'wrong_family', severity: 'error' });
    expect(f.related[0]).toMatchObject({ file: FINDINGS, line: 8 });
    expect(f.helpUri).toMatch(/^https:\/\/.*mixed-heap/);
    expect(doc.summary).toMatchObject({ files: 1, filesWithFindings: 1, skipped: 0, findings: doc.findings.length });
  });

  it('writes text reports too', () => {
    const out = join(tmp, 'report.txt');
    const r = heaplint(['-o', out, FINDINGS]);
    expect(r.code).toBe(1);
    expect(lines(readFileSync(out, 'utf8')).every(l => TEXT_LINE.test(l))).toBe(true);
  });

  it('reports a write error clearly', () => {
    const blocker = join(tmp, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const r = heaplint(['--output', join(blocker, 'report.json'), FINDINGS]);
    expect(r.code).toBe(2);
    expectOneLineError(r.stderr, /cannot write .*not-a-folder.*report\.json: /);
  });
});

describe('heaplint simulate', () => {
  it('delegates to the simulator', () => {
    const trace = join(tmp, 'ok.heaptrace');
    writeFileSync(trace, 'python 3.11\nb = PyMem_Malloc(24)\nPyMem_Free(b)\nsnapshot end\n');
    const r = heaplint(['simulate', trace]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/CPython 3\.11/);
  });

  it('passes on the simulator exit status and options', () => {
    const trace = join(tmp, 'bad.heaptrace');
    writeFileSync(trace, 'python 3.11\nb = PyMem_Malloc(24)\nPyObject_Free(b)\nsnapshot end\n');
    const r = heaplint(['simulate', trace, '--format', 'json', '--output', join(tmp, 'sim', 'out.json')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(readFileSync(join(tmp, 'sim', 'out.json'), 'utf8')).python).toBe('3.11');
    expect(heaplint(['simulate']).code).toBe(2);
    expect(heaplint(['simulate', '--help']).code).toBe(0);
  });
});
