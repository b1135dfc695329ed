/**
 * The view's heap model (client/media/heap-view/heap-model.js) against the simulator: stepping
 * forward and back through a recorded simulation must give, at every step visited, exactly the
 * statistics the simulator reports after that many operations.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordSimulation } from '../../server/src/engine/extract';
import { HeapSimulator } from '../../server/src/simulator';
import { parseHeaptrace, replayProgram } from '../../server/src/simulator/heaptrace';

const require = createRequire(__filename);
const { HeapModel } = require('../../client/media/heap-view/heap-model.js') as {
  HeapModel: new (r: unknown) => { seek(n: number): void; stats(): unknown; step: number; ops: number; lineAt(s: number): number };
};

const tracesDir = join(__dirname, '../fidelity/traces');

function resultFor(text: string, python?: string) {
  const program = parseHeaptrace(text).program;
  const rec = recordSimulation(program, { python });
  return {
    program,
    rec,
    result: { geometry: rec.geometry, blocksPerPool: rec.blocksPerPool, steps: { ops: rec.ops, opLine: rec.opLine, opCount: rec.opCount, records: rec.records, cHeapBytes: rec.cHeapBytes } },
  };
}

function expectedAt(program: ReturnType<typeof parseHeaptrace>['program'], k: number, python?: string) {
  if (k === 0) {
    const r = replayProgram(program, { python, stopAfterOps: 1 });
    return new HeapSimulator({ geometry: r.geometry }).stats();
  }
  return replayProgram(program, { python, stopAfterOps: k }).final;
}

describe('the Heap View model', () => {
  for (const file of readdirSync(tracesDir).filter((f) => f.endsWith('.heaptrace')).sort()) {
    it(`matches the simulator at every visited step of ${file}`, () => {
      const text = readFileSync(join(tracesDir, file), 'utf8');
      for (const python of [undefined, '3.8']) {
        const { program, rec, result } = resultFor(text, python);
        const model = new HeapModel(result);
        expect(model.ops).toBe(rec.ops);
        const n = rec.ops;
        // forward in big jumps, back to the start, then scattered (random but fixed) steps
        const visits = [n, 0, Math.floor(n / 2), 1, n - 1, Math.floor(n / 3), Math.floor((2 * n) / 3), 2, n];
        let seed = 7;
        for (let i = 0; i < 6; i++) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          visits.push(seed % (n + 1));
        }
        for (const k of visits) {
          model.seek(k);
          expect(model.stats(), `${file} (python ${python ?? 'trace'}) after ${k} of ${n} operations`).toEqual(expectedAt(program, k, python));
        }
        model.seek(n);
        expect(model.stats()).toEqual(rec.final);
      }
    });
  }

  it('knows the line of each step', () => {
    const { result } = resultFor('a = malloc(10)\n\nrepeat 2 {\n  b[i] = PyMem_Malloc(20)\n}\nfree(a)\n');
    const model = new HeapModel(result);
    expect([0, 1, 2, 3, 4].map((s) => model.lineAt(s))).toEqual([0, 1, 4, 4, 6]);
  });
});
