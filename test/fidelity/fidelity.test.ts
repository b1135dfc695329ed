/**
 * The simulator against real CPython: every trace in traces/ is replayed through the allocators of
 * each CPython build found on the machine (test/fidelity/replay.c, built here with gcc), and every
 * per-class pool, block and available-block count, every arena counter, every byte figure of
 * sys._debugmallocstats() and sys.getallocatedblocks() must equal the simulation. How the real heap
 * is made to start clean is explained at the top of replay.c.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { geometryFor } from '../../allocator-model/src/geometry';
import { buildReplay, compareTrace, discoverPythons, geometryMatches, type PythonInstall } from './harness';

const TRACES = join(__dirname, 'traces');
const traces = readdirSync(TRACES)
  .filter((f) => f.endsWith('.heaptrace'))
  .sort()
  .map((f) => ({ name: f.replace(/\.heaptrace$/, ''), text: readFileSync(join(TRACES, f), 'utf8') }));

const gccPresent = (() => {
  try {
    require('node:child_process').execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

interface Target {
  py: PythonInstall;
  binary?: string;
  skip?: string;
}

const targets: Target[] = gccPresent
  ? discoverPythons().map((py) => {
      const minor = py.version.split('.').slice(0, 2).join('.');
      let known = true;
      try {
        geometryFor(minor);
      } catch {
        known = false;
      }
      if (!known) return { py, skip: `${py.label} is a version heaplint has no geometry for` };
      const built = buildReplay(py);
      if ('error' in built) return { py, skip: built.error };
      const match = geometryMatches(built.binary, py);
      if (!match.ok) return { py, skip: match.why };
      return { py, binary: built.binary };
    })
  : [];
const runnable = targets.filter((t) => t.binary);

if (runnable.length === 0) {
  console.warn(
    gccPresent
      ? 'fidelity tests skipped: no CPython with headers and libpython found (install python3.11-dev, or pyenv builds)'
      : 'fidelity tests skipped: gcc is not installed',
  );
}
for (const t of targets.filter((t) => t.skip)) console.warn(`fidelity: not comparing ${t.py.label}: ${t.skip}`);

describe.skipIf(runnable.length === 0)('fidelity against real CPython', () => {
  it('has at least ten traces', () => {
    expect(traces.length).toBeGreaterThanOrEqual(10);
  });

  it('covers 3.11 and a version with 256 KiB arenas and 4 KiB pools (before 3.10)', () => {
    const minors = runnable.map((t) => t.py.version.split('.').slice(0, 2).join('.'));
    expect(minors).toContain('3.11');
    const old = runnable.filter((t) => {
      const g = geometryFor(t.py.version);
      return g.kind === 'pymalloc' && g.arenaSize === 256 * 1024 && g.poolSize === 4096;
    });
    expect(old.length).toBeGreaterThan(0);
  });

  for (const t of runnable) {
    describe(`CPython ${t.py.label}`, () => {
      for (const trace of traces) {
        for (const alignment of ['aligned', 'misaligned'] as const) {
          it(`${trace.name} (${alignment} arenas) matches _debugmallocstats at every snapshot`, () => {
            const comparisons = compareTrace(t.binary!, t.py, trace.name, trace.text, alignment);
            expect(comparisons.length).toBeGreaterThan(0);
            for (const c of comparisons) {
              expect({ snapshot: c.label, ...c.real }).toEqual({ snapshot: c.label, ...c.simulated });
            }
          });
        }
      }
    });
  }
});
