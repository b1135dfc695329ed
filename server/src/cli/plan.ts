/**
 * The coordinator's part of a run with worker threads: from every worker's share of the call graph,
 * the functions worth analysing and the order one thread would analyse them in, so that each worker,
 * analysing only its own files, reads exactly the callee summaries one thread would have read.
 */
import type { GraphNode } from '../engine/project/project';
import { calleesFirst, reachingSeeds } from '../engine/project/call-graph';

export interface Plan {
  /** Ids of the functions to analyse (those that reach an allocator or deallocator). */
  relevant: Set<string>;
  /** Each relevant function's place in the order: callees first. */
  position: Map<string, number>;
  /** For each worker: its functions whose summaries other workers read, and which workers. */
  sends: Map<string, number[]>[];
}

/**
 * Functions come first in file order, then the macros analysed as functions, as on one thread; ids
 * are `<file>:<n>` and `<file>:m<n>`.
 */
function rank(id: string): [number, number, number] {
  const colon = id.indexOf(':');
  const file = Number(id.slice(0, colon));
  const rest = id.slice(colon + 1);
  return rest[0] === 'm' ? [1, file, Number(rest.slice(1))] : [0, file, Number(rest)];
}

export function planSchedule(shares: GraphNode[][]): Plan {
  const owner = new Map<string, number>();
  const byId = new Map<string, GraphNode>();
  shares.forEach((share, w) => {
    for (const n of share) {
      owner.set(n.id, w);
      byId.set(n.id, n);
    }
  });
  const nodes = [...byId.values()];
  const ranks = new Map(nodes.map(n => [n, rank(n.id)]));
  nodes.sort((a, b) => {
    const x = ranks.get(a)!;
    const y = ranks.get(b)!;
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  const callees = new Map(nodes.map(n => [n, n.callees.flatMap(id => byId.get(id) ?? [])]));
  const relevantNodes = reachingSeeds(nodes, n => callees.get(n)!, n => n.seed);
  const order = calleesFirst(nodes.filter(n => relevantNodes.has(n)), n => callees.get(n)!.filter(c => relevantNodes.has(c)));
  const position = new Map(order.map((n, i) => [n.id, i]));
  const sends = shares.map(() => new Map<string, number[]>());
  for (const n of order) {
    const reader = owner.get(n.id)!;
    for (const c of callees.get(n)!) {
      const from = owner.get(c.id)!;
      if (from === reader || !relevantNodes.has(c) || position.get(c.id)! >= position.get(n.id)!) continue;
      const to = sends[from].get(c.id) ?? [];
      if (!to.includes(reader)) to.push(reader);
      sends[from].set(c.id, to);
    }
  }
  return { relevant: new Set(order.map(n => n.id)), position, sends };
}
