/** A rule: metadata plus one small function that turns a flow event into a finding, or declines it. */
import type { Model } from '../../../../allocator-model/src/model';
import type { FlowEvent } from '../flow/events';
import type { AllocFact } from '../flow/summary';
import type { Range, Related, SeverityLevel } from '../types';

export interface RuleMeta {
  id: string;
  title: string;
  severity: SeverityLevel;
  /** Path-dependent: the finding comes with a code flow, and is dropped in functions whose syntax is unreliable. */
  pathDependent: boolean;
}

export interface Verdict {
  site: number;
  message: string;
  related: { site: number; message: string }[];
  flow?: { site: number; message: string }[];
  /** Replace the callee identifier at `site` with this function. */
  fixWith?: string;
}

export interface RuleContext {
  model: Model;
  line(site: number): number;
  describeAlloc(a: AllocFact): string;
  describeRelease(api: string, via: string[]): string;
  releaseOf(family: string): string | undefined;
  familyLabel(family: string): string;
}

export interface Rule extends RuleMeta {
  /** Kinds of events the rule looks at. */
  on: FlowEvent['kind'][];
  match(e: FlowEvent, ctx: RuleContext): Verdict | undefined;
}

export type { Range, Related };
