/**
 * Facts the flow analysis observes at one program point. Rules (engine/rules) turn events into
 * findings; the analysis itself never decides which rule a problem belongs to.
 */
import type { AllocFact } from './summary';

export type Released =
  | { what: 'block'; target: string; alloc: AllocFact; allocSite: number; freed: boolean; freedAt?: number; moved: boolean }
  | { what: 'borrowed'; api: string; site: number }
  | { what: 'nonheap'; desc: string; declSite?: number }
  | { what: 'newref'; api: string; site: number }
  | { what: 'typed-self'; family: string; typeName: string; freed: boolean; freedAt?: number }
  | { what: 'param'; param: number; freed: boolean; freedAt?: number }
  | { what: 'field'; key: string; freed: boolean; freedAt?: number };

export type FlowEvent =
  | { kind: 'release'; site: number; api: string; family: string; via: string[]; resize: boolean; released: Released }
  | { kind: 'use'; site: number; target: string; alloc?: AllocFact; allocSite?: number; freedAt?: number }
  | { kind: 'leak'; allocSite: number; alloc: AllocFact; retSite: number; overwritten?: boolean }
  | { kind: 'realloc-leak'; site: number; api: string; family: string; macro: boolean }
  | { kind: 'gil'; site: number; api: string; via: string[] }
  | { kind: 'nomem'; site: number; allocSite: number; alloc?: AllocFact }
  | { kind: 'field-assign'; site: number; key: string; alloc: AllocFact; pp?: PreprocFacts }
  | { kind: 'field-release'; site: number; key: string; api: string; family: string; via: string[]; pp?: PreprocFacts };

/**
 * The `#if` facts of the path a field event happened on (condition key, value): an assignment and a
 * release in two functions conflict only if some build compiles both, that is, if no condition holds
 * on one and fails on the other.
 */
export type PreprocFacts = readonly (readonly [string, boolean])[];

export function sameBuild(a: PreprocFacts | undefined, b: PreprocFacts | undefined): boolean {
  if (!a || !b) return true;
  for (const [k, v] of a) for (const [l, w] of b) if (k === l && v !== w) return false;
  return true;
}
