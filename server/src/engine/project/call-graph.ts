/**
 * The two walks over the call graph that decide what is analysed and in which order. They are kept
 * apart from the index so that the CLI's coordinator, which sees the graph of every worker's share
 * but none of their syntax, computes exactly what one thread would.
 */

/**
 * The nodes that reach a seed (call an allocator or deallocator, directly or through callees): only
 * they can have anything to report or a summary worth computing.
 */
export function reachingSeeds<T>(nodes: readonly T[], callees: (n: T) => readonly T[], isSeed: (n: T) => boolean): Set<T> {
  const callers = new Map<T, T[]>();
  const out = new Set<T>();
  const work: T[] = [];
  for (const n of nodes) {
    for (const c of callees(n)) {
      let list = callers.get(c);
      if (!list) callers.set(c, (list = []));
      list.push(n);
    }
    if (isSeed(n)) {
      out.add(n);
      work.push(n);
    }
  }
  while (work.length) {
    const n = work.pop()!;
    for (const caller of callers.get(n) ?? []) {
      if (out.has(caller)) continue;
      out.add(caller);
      work.push(caller);
    }
  }
  return out;
}

/**
 * The nodes, callees before callers: Tarjan's strongly connected components in reverse topological
 * order, roots taken in the order given. Inside a cycle some call must be analysed before its callee;
 * which one depends only on the order of `nodes` and of each callee list, so equal graphs give equal
 * orders.
 */
export function calleesFirst<T>(nodes: readonly T[], callees: (n: T) => readonly T[]): T[] {
  const idx = new Map<T, number>();
  const low = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const out: T[] = [];
  let counter = 0;
  for (const root of nodes) {
    if (idx.has(root)) continue;
    const work: { n: T; it: readonly T[]; i: number }[] = [];
    const push = (n: T) => {
      idx.set(n, counter);
      low.set(n, counter++);
      stack.push(n);
      onStack.add(n);
      work.push({ n, it: callees(n), i: 0 });
    };
    push(root);
    while (work.length) {
      const top = work[work.length - 1];
      if (top.i < top.it.length) {
        const w = top.it[top.i++];
        if (!idx.has(w)) push(w);
        else if (onStack.has(w)) low.set(top.n, Math.min(low.get(top.n)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].n;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.n)!));
      }
      if (low.get(top.n) === idx.get(top.n)) {
        let w: T;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          out.push(w);
        } while (w !== top.n);
      }
    }
  }
  return out;
}
