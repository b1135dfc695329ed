/**
 * The `heaplint.*` settings as the server uses them. Values come from the editor per resource
 * (`workspace/configuration` with a scope URI) and are cached by that URI until the next
 * `workspace/didChangeConfiguration`. Each setting has a small `from()` normaliser: whatever the user
 * wrote, it yields a usable value and falls back to the default instead of throwing.
 */
import { parsePythonVersion } from '../../../allocator-model/src/version';
import { RULE_IDS, type SeverityLevel } from '../engine';

export type RunMode = 'onType' | 'onSave' | 'off';
export type RuleLevel = SeverityLevel | 'off';

export interface Settings {
  /** When to analyse a document: as it changes, when it is saved, or never. */
  run: RunMode;
  /** Delay between the last change and the analysis, in ms. */
  debounceMs: number;
  /** CPython version to check against; undefined: heaplint.json's `python`, else the model's default. */
  pythonVersion: string | undefined;
  /** Per-rule severity, on top of heaplint.json's `rules`. */
  rules: Record<string, RuleLevel>;
  /** Globs (relative to the workspace folder) of files neither indexed nor linted. */
  exclude: string[];
  /** Upper bound of the workspace index, per workspace folder. */
  maxWorkspaceFiles: number;
}

export namespace RunMode {
  export const defaultValue: RunMode = 'onType';
  export function from(value: unknown): RunMode {
    return value === 'onType' || value === 'onSave' || value === 'off' ? value : defaultValue;
  }
}

export namespace DebounceMs {
  export const defaultValue = 300;
  export const max = 10_000;
  export function from(value: unknown): number {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return defaultValue;
    return Math.min(Math.round(n), max);
  }
}

export namespace PythonVersion {
  /** "3.11" and 3.11 are both accepted; "" or an unsupported version means "not set". */
  export function from(value: unknown): string | undefined {
    if (typeof value === 'number') value = String(value);
    if (typeof value !== 'string' || value.trim() === '') return undefined;
    return parsePythonVersion(value)?.label;
  }
}

export namespace RuleLevels {
  const LEVELS: readonly string[] = ['off', 'info', 'warning', 'error'];
  const ALIASES: Record<string, RuleLevel> = { hint: 'info', information: 'info', warn: 'warning', none: 'off', ignore: 'off' };
  /** Unknown rule ids and levels are dropped one by one. */
  export function from(value: unknown): Record<string, RuleLevel> {
    const out: Record<string, RuleLevel> = {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
    for (const [id, level] of Object.entries(value as Record<string, unknown>)) {
      if (!(RULE_IDS as readonly string[]).includes(id) || typeof level !== 'string') continue;
      const l = level.trim().toLowerCase();
      if (LEVELS.includes(l)) out[id] = l as RuleLevel;
      else if (ALIASES[l]) out[id] = ALIASES[l];
    }
    return out;
  }
}

export namespace Excludes {
  export function from(value: unknown): string[] {
    if (typeof value === 'string') value = [value];
    if (!Array.isArray(value)) return [];
    return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map(v => v.trim());
  }
}

export namespace MaxWorkspaceFiles {
  export const defaultValue = 5000;
  export function from(value: unknown): number {
    const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return defaultValue;
    return Math.floor(n);
  }
}

export namespace Settings {
  export const defaults: Settings = {
    run: RunMode.defaultValue,
    debounceMs: DebounceMs.defaultValue,
    pythonVersion: undefined,
    rules: {},
    exclude: [],
    maxWorkspaceFiles: MaxWorkspaceFiles.defaultValue,
  };

  /** The `heaplint` section as the editor sent it (any shape) → settings. */
  export function from(section: unknown): Settings {
    const s = typeof section === 'object' && section !== null ? (section as Record<string, unknown>) : {};
    return {
      run: RunMode.from(s.run),
      debounceMs: DebounceMs.from(s.debounceMs),
      pythonVersion: PythonVersion.from(s.pythonVersion),
      rules: RuleLevels.from(s.rules),
      exclude: Excludes.from(s.exclude),
      maxWorkspaceFiles: MaxWorkspaceFiles.from(s.maxWorkspaceFiles),
    };
  }
}

/**
 * Settings by resource. `fetch` asks the editor for the `heaplint` section for a scope URI (or
 * undefined when the client cannot answer); results are cached until `clear()`.
 */
export class SettingsCache {
  private readonly cache = new Map<string, Promise<Settings>>();
  private fallback: unknown = undefined;

  constructor(private readonly fetch: ((scopeUri: string | undefined) => Promise<unknown>) | undefined) {}

  /** Settings pushed with `workspace/didChangeConfiguration`, used when the client has no `workspace/configuration`. */
  setPushed(section: unknown): void {
    this.fallback = section;
  }

  get(scopeUri: string | undefined): Promise<Settings> {
    const key = scopeUri ?? '';
    let entry = this.cache.get(key);
    if (!entry) {
      const fetch = this.fetch;
      entry = fetch
        ? fetch(scopeUri).then(
            section => Settings.from(section ?? this.fallback),
            () => Settings.from(this.fallback),
          )
        : Promise.resolve(Settings.from(this.fallback));
      this.cache.set(key, entry);
    }
    return entry;
  }

  clear(): void {
    this.cache.clear();
  }
}
