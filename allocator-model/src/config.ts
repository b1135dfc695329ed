/**
 * Reading and validating heaplint.json. A bad file never stops linting: each problem becomes a
 * ConfigProblem naming the file, the JSON path and what is wrong, and the valid parts still apply.
 */
import Ajv, { type ErrorObject } from 'ajv';
import modelSchema from '../schema/model.schema.json';
import configSchema from '../schema/heaplint.schema.json';
import type { ModelFile, WorkspaceConfig } from './types';

export interface ConfigProblem {
  file: string;
  path: string; // JSON pointer-ish: /functions/2/kind
  message: string;
  line?: number; // 0-based, when it can be located in the text
}

let ajv: Ajv | undefined;
function validator() {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema(modelSchema as object);
    ajv.addSchema(configSchema as object);
  }
  return ajv;
}

export function validateModelFile(data: unknown): string[] {
  const v = validator();
  const ok = v.validate('https://heaplint.dev/schema/model.schema.json', data);
  return ok ? [] : (v.errors ?? []).map(e => `${e.instancePath || '/'}: ${e.message}`);
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown property "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'enum') return `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map(v => JSON.stringify(v)).join(', ')}`;
  if (e.keyword === 'propertyNames') return `unknown rule id "${(e.params as { propertyName: string }).propertyName}"`;
  return e.message ?? 'invalid';
}

/** Finds the line of a JSON path in the source text, best effort: the line of the last path key. */
function locate(text: string, path: string): number | undefined {
  const keys = path.split('/').filter(k => k && !/^\d+$/.test(k));
  const last = keys[keys.length - 1];
  if (!last) return 0;
  const idx = text.indexOf(`"${last}"`);
  return idx < 0 ? undefined : text.slice(0, idx).split('\n').length - 1;
}

export interface LoadedConfig {
  config: WorkspaceConfig;
  problems: ConfigProblem[];
}

/** Parses and validates; invalid entries are dropped individually so the rest still applies. */
export function parseConfig(text: string, file: string): LoadedConfig {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length - 1 : undefined;
    return { config: {}, problems: [{ file, path: '/', message: `not valid JSON: ${msg}`, line }] };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { config: {}, problems: [{ file, path: '/', message: 'must be a JSON object', line: 0 }] };
  }
  const v = validator();
  if (v.validate('https://heaplint.dev/schema/heaplint.schema.json', data)) return { config: data as WorkspaceConfig, problems: [] };
  const errors = v.errors ?? [];
  const problems = errors
    .filter(e => e.keyword !== 'if' && !(e.instancePath === '/rules' && (e as { propertyName?: string }).propertyName))
    .map(e => ({ file, path: e.instancePath || '/', message: describe(e), line: locate(text, e.instancePath) }));
  return { config: prune(data as Record<string, unknown>, errors), problems: dedupe(problems) };
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter(p => {
    const k = `${p.path}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Drops the smallest enclosing unit of each error: an array item, a rules entry, or a top-level key. */
function prune(data: Record<string, unknown>, errors: ErrorObject[]): WorkspaceConfig {
  const out: Record<string, unknown> = { ...data };
  const badItems = new Map<string, Set<number>>();
  for (const e of errors) {
    const parts = e.instancePath.split('/').slice(1);
    const top = parts[0] ?? ((e.params as { additionalProperty?: string }).additionalProperty ?? '');
    if (!top) continue;
    if ((top === 'families' || top === 'functions') && parts.length >= 2) {
      if (!badItems.has(top)) badItems.set(top, new Set());
      badItems.get(top)!.add(Number(parts[1]));
    } else if (top === 'rules' && parts.length === 1 && (e.keyword === 'propertyNames' || (e as { propertyName?: string }).propertyName)) {
      // a bad rule id: drop that entry only (ajv reports it once as propertyNames, once with propertyName set)
      const name = (e as { propertyName?: string }).propertyName ?? (e.params as { propertyName: string }).propertyName;
      const rules = { ...(out.rules as Record<string, unknown>) };
      delete rules[name];
      out.rules = rules;
    } else if (top === 'rules' && parts.length >= 2) {
      const rules = { ...(out.rules as Record<string, unknown>) };
      delete rules[parts[1]];
      out.rules = rules;
    } else {
      delete out[top];
    }
  }
  for (const [key, bad] of badItems) {
    const arr = out[key];
    if (Array.isArray(arr)) out[key] = arr.filter((_, i) => !bad.has(i));
  }
  return out as WorkspaceConfig;
}

/** The workspace's additions as one model file, applied after the bundled ones. */
export function configAsModelFile(config: WorkspaceConfig): ModelFile {
  return { families: config.families ?? [], apis: config.functions ?? [] };
}
