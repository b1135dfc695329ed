/** Every rule heaplint knows, with its metadata; the order of release rules decides which one owns a finding. */
import { pathRules } from './path-rules';
import { releaseRules } from './release-rules';
import type { RuleMeta } from './rule';

export const fieldFamilyConflict: RuleMeta = {
  id: 'field-family-conflict', title: 'Struct field allocated and released by different families', severity: 'error', pathDependent: false,
};

export const RULE_IDS = [
  'mixed-heap', 'gc-mismatch', 'object-raw-free', 'borrowed-free', 'non-heap-free', 'gil-released-alloc',
  'double-free', 'use-after-free', 'leak', 'realloc-leak', 'nomemory-not-set', 'field-family-conflict',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

export const RULES: RuleMeta[] = (() => {
  const byId = new Map<string, RuleMeta>();
  for (const r of [...releaseRules, ...pathRules, fieldFamilyConflict]) if (!byId.has(r.id)) byId.set(r.id, r);
  return RULE_IDS.map(id => byId.get(id)!);
})();

export const RULE_DOCS_BASE = 'https://github.com/heaplint/heaplint/blob/main/docs/rules/';

export function ruleDocsUrl(id: string): string {
  return `${RULE_DOCS_BASE}${id}.md`;
}

export { pathRules, releaseRules };
