/**
 * One project per workspace folder: its heaplint.json, the allocator model resolved from it, its
 * exclude patterns and the engine Workspace holding every indexed C file of the folder. Files outside
 * every folder (an untitled buffer, a file opened on its own) belong to a loose project with the
 * defaults. The engine's parse results stay valid as long as the model object stays the same, so a
 * model is rebuilt only when heaplint.json or the Python version actually changed.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { DEFAULT_PYTHON, modelFor, parseConfig, parsePythonVersion, type ConfigProblem, type WorkspaceConfig } from '../../../allocator-model/src';
import type { Model } from '../../../allocator-model/src/model';
import { makeExcluder, type ExcludePattern } from '../cli/glob';
import { Workspace } from '../engine';
import type { RuleLevel, Settings } from './settings';

export const CONFIG_FILE = 'heaplint.json';

export class Project {
  readonly workspace: Workspace;
  /** heaplint.json as last read; `undefined` when the folder has none. */
  configText: string | undefined;
  config: WorkspaceConfig = {};
  configProblems: ConfigProblem[] = [];
  model: Model;
  python = DEFAULT_PYTHON;
  /** Files of the workspace index → the modification time of the text read (open documents: 0). */
  readonly indexed = new Map<string, number>();
  capped = false;
  private modelKey = '';
  private excluded: (path: string) => ExcludePattern | undefined = () => undefined;
  private excludeKey = '[]';
  private engineRules: Record<string, RuleLevel> = {};

  constructor(
    /** Absolute folder path; undefined for the loose project. */
    readonly folder: string | undefined,
    readonly folderUri: string | undefined,
    readonly name: string,
  ) {
    this.model = modelFor({}, DEFAULT_PYTHON);
    this.modelKey = this.keyFor({}, DEFAULT_PYTHON);
    // the editor takes a guess for an edit in a function with a syntax error, checked right after (docs/editor.md, Latency)
    this.workspace = new Workspace({ model: this.model, speculate: true });
  }

  get configPath(): string | undefined {
    return this.folder === undefined ? undefined : join(this.folder, CONFIG_FILE);
  }

  contains(path: string): boolean {
    if (this.folder === undefined) return false;
    const rel = relative(this.folder, path);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  }

  /** The exclude pattern that keeps `path` out of this project, if any. */
  excludedBy(path: string): ExcludePattern | undefined {
    return this.excluded(path);
  }

  /** Re-reads heaplint.json from disk. Returns true when its text changed. */
  async readConfig(): Promise<boolean> {
    const file = this.configPath;
    let text: string | undefined;
    if (file) {
      try {
        text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') {
          const changed = this.configText !== '\0unreadable';
          this.configText = '\0unreadable';
          this.config = {};
          this.configProblems = [{ file, path: '/', message: `cannot be read (${(err as Error).message}); using the defaults` }];
          return changed;
        }
      }
    }
    if (text === this.configText) return false;
    this.configText = text;
    if (text === undefined || !file) {
      this.config = {};
      this.configProblems = [];
    } else {
      const loaded = parseConfig(text, file);
      this.config = loaded.config;
      this.configProblems = loaded.problems;
    }
    return true;
  }

  /**
   * Applies heaplint.json and the folder's settings to the engine. Returns true when findings may
   * change (model, severities or excludes differ), so open documents must be analysed again.
   */
  configure(settings: Settings): boolean {
    const python = settings.pythonVersion ?? (this.config.python && parsePythonVersion(this.config.python)?.label) ?? DEFAULT_PYTHON;
    const key = this.keyFor(this.config, python);
    const rules: Record<string, RuleLevel> = { ...(this.config.rules ?? {}), ...settings.rules };
    const modelChanged = key !== this.modelKey;
    const rulesChanged = JSON.stringify(rules) !== JSON.stringify(this.engineRules);
    if (modelChanged) {
      this.model = modelFor(this.config, python);
      this.modelKey = key;
      this.python = python;
    }
    if (modelChanged || rulesChanged) {
      this.engineRules = rules;
      this.workspace.configure({ model: this.model, severities: rules, speculate: true });
    }
    const patterns: ExcludePattern[] =
      this.folder === undefined
        ? []
        : [
            ...(this.config.exclude ?? []).map(pattern => ({ pattern, base: this.folder!, source: CONFIG_FILE })),
            ...settings.exclude.map(pattern => ({ pattern, base: this.folder!, source: 'heaplint.exclude' })),
          ];
    const excludeKey = JSON.stringify(patterns.map(p => p.pattern));
    const excludesChanged = excludeKey !== this.excludeKey;
    if (excludesChanged) {
      this.excludeKey = excludeKey;
      this.excluded = makeExcluder(patterns);
    }
    return modelChanged || rulesChanged || excludesChanged;
  }
  /** Rule levels the engine runs with: heaplint.json's, then the folder's `heaplint.rules`. */
  get rules(): Record<string, RuleLevel> {
    return this.engineRules;
  }

  /** "bundled" or "bundled + heaplint.json (2 families, 5 functions)". */
  describeModel(): string {
    if (this.configText === undefined) return 'bundled';
    const extra = [
      this.config.families?.length ? `${this.config.families.length} families` : '',
      this.config.functions?.length ? `${this.config.functions.length} functions` : '',
    ].filter(Boolean);
    return `bundled + heaplint.json${extra.length ? ` (${extra.join(', ')})` : ''}`;
  }

  private keyFor(config: WorkspaceConfig, python: string): string {
    return `${python}|${JSON.stringify(config.families ?? [])}|${JSON.stringify(config.functions ?? [])}`;
  }
}

/** The projects of the current workspace folders, plus the loose one. */
export class Projects {
  private folders: Project[] = [];
  readonly loose = new Project(undefined, undefined, '(no folder)');

  /** Replaces the folder list, keeping the projects of folders that stay. */
  setFolders(folders: { path: string; uri: string; name: string }[]): { added: Project[]; removed: Project[] } {
    const old = new Map(this.folders.map(p => [p.folder!, p]));
    const next: Project[] = [];
    const added: Project[] = [];
    for (const f of folders) {
      const keep = old.get(f.path);
      if (keep) {
        next.push(keep);
        old.delete(f.path);
      } else {
        const p = new Project(f.path, f.uri, f.name);
        next.push(p);
        added.push(p);
      }
    }
    // Longest folder first, so a nested folder wins over its parent.
    this.folders = next.sort((a, b) => b.folder!.length - a.folder!.length);
    return { added, removed: [...old.values()] };
  }

  all(): Project[] {
    return [...this.folders, this.loose];
  }

  withFolders(): Project[] {
    return [...this.folders];
  }

  /** The project a file belongs to: the innermost folder containing it, else the loose project. */
  of(path: string): Project {
    for (const p of this.folders) if (p.contains(path)) return p;
    return this.loose;
  }

  /** The project whose heaplint.json is `path`, if any. */
  ofConfig(path: string): Project | undefined {
    return this.folders.find(p => p.configPath === path);
  }
}

export function isConfigFile(path: string): boolean {
  return path.split(sep).pop() === CONFIG_FILE || path.endsWith(`/${CONFIG_FILE}`);
}
