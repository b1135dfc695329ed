/**
 * Per-function analysis results, reused while the function's syntax and everything its analysis
 * reads from outside (the context key: callee summaries, APIs, error convention, budget) are the
 * same. A result is kept with the function's FunctionInfo, so it dies with the syntax it points into.
 *
 * A result depends on the function's text and syntax, never on where the function sits in its file:
 * events name their places by site numbers, which are only keys into the result's `sites` map. So when
 * a whole file is parsed again (an edit tree-sitter parses with an error, a changed #define), each
 * function whose text and syntax came out the same gets its predecessor's result, with the sites
 * pointing at the new nodes (whose positions are those of the new text).
 */
import type { FlowResult } from '../flow/analyze';
import type { Syntax } from '../parse/syntax';
import type { FunctionInfo } from './facts';

export interface Memo {
  /** The context key the result was computed with. */
  key: string;
  result: FlowResult;
}

const memos = new WeakMap<FunctionInfo, Memo>();

export function memoOf(info: FunctionInfo): Memo | undefined {
  return memos.get(info);
}

export function remember(info: FunctionInfo, memo: Memo): void {
  memos.set(info, memo);
}

/**
 * After `after` was parsed from scratch in place of `before` (the same file): moves the results of
 * functions whose text and syntax are unchanged to their new FunctionInfo. Functions are paired by
 * name and text, so one that moved, or a same-named alternative under #if/#else, still finds its own.
 * Returns how many results were carried.
 */
export function carryMemos(
  before: { analysed: string; facts: { functions: FunctionInfo[] } },
  after: { analysed: string; facts: { functions: FunctionInfo[] } },
): number {
  const byName = new Map<string, FunctionInfo[]>();
  for (const info of before.facts.functions) {
    if (!memos.has(info)) continue;
    const list = byName.get(info.name);
    if (list) list.push(info);
    else byName.set(info.name, [info]);
  }
  let carried = 0;
  for (const info of after.facts.functions) {
    const candidates = byName.get(info.name);
    if (!candidates || memos.has(info)) continue;
    const text = after.analysed.slice(info.node.start, info.node.end);
    const i = candidates.findIndex(o => o.node.end - o.node.start === text.length && before.analysed.startsWith(text, o.node.start));
    if (i < 0) continue;
    const from = candidates.splice(i, 1)[0];
    const memo = memos.get(from)!;
    const nodes = correspondence(from.node, info.node);
    if (!nodes) continue;
    const sites = new Map<number, Syntax>();
    let complete = true;
    for (const [site, node] of memo.result.sites) {
      const now = nodes.get(node);
      if (!now) complete = false;
      else sites.set(site, now);
    }
    if (!complete) continue;
    memos.set(info, { key: memo.key, result: { ...memo.result, sites } });
    carried++;
  }
  return carried;
}

/**
 * Old node → new node when both subtrees have the same shape (types, fields, operators, error marks,
 * offsets relative to their roots, lazy bodies alike); undefined otherwise. Same text and same shape
 * mean the analysis would read exactly the same syntax.
 */
function correspondence(a: Syntax, b: Syntax): Map<Syntax, Syntax> | undefined {
  const map = new Map<Syntax, Syntax>();
  const da = a.start;
  const db = b.start;
  const stack: [Syntax, Syntax][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    if (
      x.type !== y.type || x.field !== y.field || x.op !== y.op || !!x.broken !== !!y.broken || !!x.lazy !== !!y.lazy ||
      x.start - da !== y.start - db || x.end - da !== y.end - db || x.children.length !== y.children.length
    ) return undefined;
    map.set(x, y);
    for (let i = 0; i < x.children.length; i++) stack.push([x.children[i], y.children[i]]);
  }
  return map;
}
