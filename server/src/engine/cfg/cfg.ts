/** The control-flow graph of one function: nodes hold one instruction each; edges may carry a path fact. */
import type { Syntax } from '../parse/syntax';

/** A condition known to hold along an edge: `key` is normalised source text, `deps` the variables it reads. */
export interface EdgeFact {
  key: string;
  deps: string[];
  value: boolean;
  /** Keys that are false along the edge too (the other cases of a switch). */
  others?: string[];
  /** Further facts along the edge (the conjuncts of a true `#if A && B`). */
  also?: [string, boolean][];
  /** Facts that cannot all hold along the edge (the conjuncts of a false `#if A && B`). */
  notAll?: [string, boolean][];
  /** A switch edge: the scrutinee equals the one case value, or (default) none of them. */
  switchCase?: { scrutinee: Syntax; values: Syntax[]; equal: boolean };
}

export type Instr =
  | { op: 'entry' }
  | { op: 'exit' }
  | { op: 'nop' }
  /** Evaluate an expression (or any statement's expressions) for its effects. */
  /** remember: the value is kept for the edges that follow (a switch scrutinee with calls in it). */
  | { op: 'eval'; n: Syntax; remember?: boolean }
  /** A local declaration; initializers listed in `lowered` are evaluated by later assign nodes instead. */
  | { op: 'decl'; n: Syntax; lowered?: Set<Syntax> }
  /** `lhs = rhs` made explicit while lowering a conditional expression. */
  | { op: 'assign'; lhs: Syntax; rhs: Syntax; at: Syntax }
  /** Two successors: [0] when `cond` is true, [1] when false. */
  | { op: 'branch'; cond: Syntax }
  /** `value` null: a return macro (Py_RETURN_NONE) that returns a live object. */
  | { op: 'return'; value: Syntax | null; at: Syntax; implicit?: boolean };

export interface CfgNode {
  id: number;
  instr: Instr;
  succ: number[];
  facts: (EdgeFact | undefined)[];
  preds: number[];
}

export interface Cfg {
  nodes: CfgNode[];
  entry: number;
  exit: number;
}
