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
  | { kind: 'field-assign'; site: number; key: string; alloc: AllocFact }
  | { kind: 'field-release'; site: number; key: string; api: string; family: string; via: string[] };
