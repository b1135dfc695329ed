/**
 * Shared by the CLI tests: build dist/ once when it is older than the sources (a lock keeps
 * parallel test files from building at the same time), then spawn `node bin/heaplint.js …` the
 * way a user would.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'heaplint.js');
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli.js');
export const FIXTURES = join(__dirname, 'fixtures');
/** The same folder as FIXTURES, relative to ROOT with "/" (how the CLI prints it when run from ROOT). */
export const FIXTURES_REL = 'test/cli/fixtures';

const SOURCES = ['server/src', 'allocator-model/src', 'allocator-model/data', 'allocator-model/schema', 'scripts/build.mjs', 'package.json'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

function isStale(): boolean {
  if (!existsSync(CLI_BUNDLE)) return true;
  const built = statSync(CLI_BUNDLE).mtimeMs;
  return SOURCES.some(s => newestMtime(join(ROOT, s)) > built);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `node scripts/build.mjs` unless dist/cli.js is newer than every source. */
export function ensureBuilt(): void {
  if (!isStale()) return;
  const lockParent = join(ROOT, 'test', '.tmp');
  mkdirSync(lockParent, { recursive: true });
  const lock = join(lockParent, 'cli-build.lock');
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Someone else is building; a lock older than two minutes is left over from a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone already */
      }
      if (Date.now() > deadline) throw new Error('timed out waiting for another test file to build dist/');
      sleep(200);
    }
  }
  try {
    if (!isStale()) return;
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node scripts/build.mjs failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/heaplint.js …args` in `cwd` (the repository root unless given). */
export function heaplint(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliRun {
  const env = { ...process.env, ...opts.env };
  delete env.HEAPLINT_DEBUG;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `heaplint-${prefix}-`));
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split('\n').filter(l => l !== '');
}

/** The text format's shape: `file:line:col: severity: message [rule-id]`. */
export const TEXT_LINE = /^(.+?):(\d+):(\d+): (error|warning|info): (.+) \[([a-z-]+)\]$/;
