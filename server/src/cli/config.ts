/**
 * The configuration of a run: heaplint.json (named by --config, or the nearest one above the first
 * path or in the current directory), then the command line on top of it (--python, --rule,
 * --exclude). A broken heaplint.json is reported and its valid parts still apply; a bad command-line
 * value is a UsageError.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { modelFor, parseConfig, parsePythonVersion, DEFAULT_PYTHON, type ConfigProblem, type WorkspaceConfig } from '../../../allocator-model/src';
import type { Model } from '../../../allocator-model/src/model';
import { RULE_IDS, type SeverityLevel } from '../engine';
import { describeFsError, InputError, UsageError } from './errors';
import type { ExcludePattern } from './glob';

export const CONFIG_FILE_NAME = 'heaplint.json';

export type RuleSetting = SeverityLevel | 'off';
const LEVELS: readonly RuleSetting[] = ['off', 'info', 'warning', 'error'];

export interface ResolvedConfig {
  /** Absolute path of the heaplint.json used, if any. */
  file?: string;
  config: WorkspaceConfig;
  problems: ConfigProblem[];
  /** The Python version checked against, e.g. "3.12". */
  python: string;
  model: Model;
  /** Effective per-rule settings that differ from the rules' defaults (heaplint.json, then --rule). */
  severities: Record<string, RuleSetting>;
  excludes: ExcludePattern[];
}

export interface ConfigRequest {
  cwd: string;
  paths: readonly string[];
  configPath?: string;
  python?: string;
  rules: readonly string[];
  excludes: readonly string[];
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The nearest heaplint.json: in the first path's folder or an ancestor of it, else in the current directory. */
export function findConfigFile(firstPath: string | undefined, cwd: string): string | undefined {
  if (firstPath !== undefined) {
    const abs = resolve(cwd, firstPath);
    let dir = existsSync(abs) && statSync(abs).isDirectory() ? abs : dirname(abs);
    for (;;) {
      const candidate = join(dir, CONFIG_FILE_NAME);
      if (isFile(candidate)) return candidate;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  const here = join(cwd, CONFIG_FILE_NAME);
  return isFile(here) ? here : undefined;
}

/** `ID=level` specs, later ones winning; an unknown rule id or level is a usage error. */
export function parseRuleOverrides(specs: readonly string[]): Record<string, RuleSetting> {
  const out: Record<string, RuleSetting> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new UsageError(`--rule expects ID=off|info|warning|error, not "${spec}"`);
    const id = spec.slice(0, eq).trim();
    const level = spec.slice(eq + 1).trim() as RuleSetting;
    if (!(RULE_IDS as readonly string[]).includes(id)) {
      throw new UsageError(`unknown rule "${id}" in --rule (rules: ${RULE_IDS.join(', ')})`);
    }
    if (!LEVELS.includes(level)) throw new UsageError(`--rule ${id}= must be off, info, warning or error, not "${level}"`);
    out[id] = level;
  }
  return out;
}

export function checkPython(version: string): string {
  const target = parsePythonVersion(version);
  if (!target) throw new UsageError(`unsupported Python version "${version}" for --python (3.8 … 3.14, or 3.13t/3.14t for the free-threaded build)`);
  return target.label;
}

export function loadConfig(req: ConfigRequest): ResolvedConfig {
  // Command-line values first: a usage error should not depend on what the config file says.
  const overrides = parseRuleOverrides(req.rules);
  const cliPython = req.python !== undefined ? checkPython(req.python) : undefined;

  let file: string | undefined;
  let config: WorkspaceConfig = {};
  let problems: ConfigProblem[] = [];
  if (req.configPath !== undefined) {
    file = resolve(req.cwd, req.configPath);
    if (!isFile(file)) {
      const why = existsSync(file) ? 'is a folder' : 'no such file';
      throw new InputError(`cannot read config file ${req.configPath}: ${why}`);
    }
  } else {
    file = findConfigFile(req.paths[0], req.cwd);
  }
  if (file) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (req.configPath !== undefined) throw new InputError(`cannot read config file ${req.configPath}: ${describeFsError(err)}`);
      problems = [{ file, path: '/', message: `cannot be read (${describeFsError(err)}); using the defaults` }];
    }
    if (text !== undefined) ({ config, problems } = parseConfig(text.replace(/^\uFEFF/, ''), file));
  }

  const python = cliPython ?? (config.python && parsePythonVersion(config.python)?.label) ?? DEFAULT_PYTHON;
  const severities: Record<string, RuleSetting> = { ...(config.rules ?? {}), ...overrides };
  const excludes: ExcludePattern[] = [
    ...(config.exclude ?? []).map(pattern => ({ pattern, base: dirname(file!), source: CONFIG_FILE_NAME })),
    ...req.excludes.map(pattern => ({ pattern, base: req.cwd, source: '--exclude' })),
  ];
  return { file, config, problems, python, model: modelFor(config, python), severities, excludes };
}

/** `file:line: error: JSON path: message`, with the path relative to `cwd` and a 1-based line. */
export function formatConfigProblem(p: ConfigProblem, cwd: string): string {
  const where = p.line !== undefined ? `${relative(cwd, p.file) || p.file}:${p.line + 1}` : relative(cwd, p.file) || p.file;
  return `${where}: error: ${p.path}: ${p.message}`;
}
