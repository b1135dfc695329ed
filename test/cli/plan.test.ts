/**
 * The coordinator's plan for worker threads: which functions matter and in which order, from the
 * call-graph shares of the workers, and which summaries cross from one worker to another.
 */
import { describe, expect, it } from 'vitest';
import { planSchedule } from '../../server/src/cli/plan';
import type { GraphNode } from '../../server/src/engine/project/project';

const fn = (id: string, callees: string[] = [], seed = false): GraphNode => ({ id, callees, seed });

describe('planSchedule', () => {
  it('makes a caller relevant through a callee in another worker, and puts the callee first', () => {
    // worker 0: file 0 allocates in 0:0; worker 1: file 1 calls it from 1:0, and 1:1 touches nothing
    const plan = planSchedule([[fn('0:0', [], true)], [fn('1:0', ['0:0']), fn('1:1')]]);
    expect([...plan.relevant].sort()).toEqual(['0:0', '1:0']);
    expect(plan.position.get('0:0')!).toBeLessThan(plan.position.get('1:0')!);
    expect(plan.sends[0].get('0:0')).toEqual([1]);
    expect(plan.sends[1].size).toBe(0);
  });

  it('orders a call cycle as one thread would, whichever worker holds its members', () => {
    // 0:0 -> 1:0 -> 0:0, both reaching the seed 2:0; roots are taken in file order
    const shares = [[fn('0:0', ['1:0', '2:0'])], [fn('1:0', ['0:0']), fn('2:0', [], true)]];
    const a = planSchedule(shares);
    const b = planSchedule([shares[1], shares[0]]);
    const order = (p: ReturnType<typeof planSchedule>) => [...p.position].sort((x, y) => x[1] - y[1]).map(([id]) => id);
    expect(order(a)).toEqual(order(b));
    expect(order(a)[0]).toBe('2:0');
    // inside the cycle only the member placed first is read by the other: one summary crosses, not two
    const crossing = [...a.sends[0].keys(), ...a.sends[1].keys()].filter(id => id !== '2:0');
    expect(crossing).toHaveLength(1);
  });

  it('takes functions in file order before macros, as one thread lists them', () => {
    const plan = planSchedule([[fn('1:m0', [], true), fn('1:0', [], true)], [fn('0:0', [], true)]]);
    expect([...plan.position].sort((x, y) => x[1] - y[1]).map(([id]) => id)).toEqual(['0:0', '1:0', '1:m0']);
  });
});
