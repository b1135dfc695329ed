/**
 * A long-lived set of C files for the language server and the CLI: each file is parsed once per
 * version of its text, and findings are recomputed for the files asked about with the summaries of
 * every file known. Callers never see parse trees.
 */
import type { Model } from '../../../allocator-model/src/model';
import { parseC } from './parse/parser';
import { analyzeParsed, hasGuesses, parseSource, ProjectIndex, type ParsedFile, type ProjectResult } from './project/project';
import { releaseBodies } from './project/compact';
import { carryMemos } from './project/memo';
import { reparseInPlace } from './project/reparse';
import { reparseFile } from './project/reparse-file';
import { confirms } from './project/settle';
import type { FileProblem, Finding, SeverityLevel } from './types';

interface FileState {
  text: string;
  parsed?: ParsedFile;
  problem?: FileProblem;
  /** Parsed with every body that may matter converted (a file asked about), not just its top level. */
  eager?: boolean;
  /** The last full parse of an earlier text: an edit inside one function is parsed again from it. */
  previous?: ParsedFile;
}

export interface WorkspaceOptions {
  model: Model;
  severities?: Record<string, SeverityLevel | 'off'>;
  budget?: number;
  /**
   * An edit inside a function with a syntax error (or in a declaration, a conditional, a function's
   * head) is parsed with its top-level item alone, a guess that settle() confirms or corrects
   * afterwards, instead of parsing the whole file at once (the editor: findings at once, the exact
   * ones a moment later). Off, every analysis is exact.
   */
  speculate?: boolean;
}

/** What settle() did: see there. */
export type Settling = 'settled' | 'confirmed' | 'corrected';

export class Workspace {
  private readonly files = new Map<string, FileState>();
  private opts: WorkspaceOptions;
  /** The last analysis's index: the next one reuses it when only function bodies changed. */
  private index: ProjectIndex | undefined;

  constructor(opts: WorkspaceOptions) {
    this.opts = opts;
  }

  /** New model or severities: parse results stay valid only if the model is the same object. */
  configure(opts: WorkspaceOptions): void {
    if (opts.model !== this.opts.model) {
      for (const f of this.files.values()) {
        dropTree(f.parsed);
        dropTree(f.previous);
        f.parsed = f.problem = f.previous = undefined;
      }
    }
    this.opts = opts;
  }

  /** Adds or replaces a file. Parsing happens lazily, at the next analysis. */
  upsert(path: string, text: string): void {
    const old = this.files.get(path);
    if (old && old.text === text) return;
    this.files.set(path, { text, previous: old?.parsed && old.eager ? old.parsed : old?.previous });
  }

  remove(path: string): void {
    const f = this.files.get(path);
    dropTree(f?.parsed);
    dropTree(f?.previous);
    this.files.delete(path);
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  get size(): number {
    return this.files.size;
  }

  /**
   * Files asked about are parsed in full; the others keep only their top level, and the few function
   * bodies an analysis needs are parsed on demand — memory stays proportional to what is looked at.
   */
  private ensureParsed(eager?: Set<string>): { parsed: ParsedFile[]; problems: FileProblem[] } {
    const parsed: ParsedFile[] = [];
    const problems: FileProblem[] = [];
    for (const [path, f] of this.files) {
      const wantEager = !eager || eager.has(path);
      if (f.parsed && wantEager && !f.eager) f.parsed = undefined;
      // a file no longer asked about keeps its syntax, but not the tree-sitter tree (WASM memory); its
      // guesses could not be checked without that tree: it is parsed again from scratch, the results of
      // its unchanged functions carried over
      if (!wantEager && f.parsed && hasGuesses(f.parsed)) {
        dropTree(f.parsed);
        f.previous = f.parsed;
        f.parsed = undefined;
      }
      if (!wantEager) dropTree(f.parsed);
      const previous = f.previous;
      f.previous = undefined;
      if (!f.parsed && !f.problem && wantEager && previous) {
        try {
          // one function edited: parse it alone; otherwise re-parse the file from its last tree
          f.parsed = reparseInPlace(previous, f.text, this.opts.model, this.opts.speculate) ?? reparseFile(previous, f.text, this.opts.model);
          if (f.parsed) f.eager = true;
        } catch {
          f.parsed = undefined; // parsed from scratch below, which reports what fails
        }
        if (f.parsed) carryMemos(previous, f.parsed); // functions parsed anew with unchanged text keep their results
        else dropTree(previous);
      }
      if (!f.parsed && !f.problem) {
        try {
          const r = parseSource({ path, text: f.text }, this.opts.model, !wantEager, wantEager);
          f.eager = wantEager;
          if ('message' in r) f.problem = r;
          else {
            f.parsed = r;
            // functions the edit did not touch keep their analysis results
            if (previous) carryMemos(previous, r);
          }
        } catch (err) {
          f.problem = { file: path, message: `could not be parsed: ${(err as Error).message}` };
        }
      }
      if (f.parsed) parsed.push(f.parsed);
      if (f.problem) problems.push(f.problem);
    }
    return { parsed, problems };
  }

  /** Findings for `paths` (all files when omitted), analysed with every file's summaries. */
  analyze(paths?: Iterable<string>): ProjectResult {
    const t0 = performance.now();
    const only = paths ? new Set(paths) : undefined;
    const { parsed, problems } = this.ensureParsed(only);
    const t1 = performance.now();
    this.index = ProjectIndex.carryOver(this.index, parsed, this.opts.model);
    const result = analyzeParsed(parsed, { ...this.opts, reportOnly: only }, this.index);
    this.releaseBodies();
    result.problems.unshift(...problems.filter(p => !only || only.has(p.file)));
    result.stats.parseMs = t1 - t0;
    result.stats.analysisMs = performance.now() - t1;
    return result;
  }

  /**
   * Markdown for a hover on a pointer expression at (line, col): what it holds there — family, state,
   * where it was allocated or released, via which wrapper. Undefined when there is nothing to say.
   */
  describeAt(path: string, line: number, col: number): string | undefined {
    const f = this.files.get(path);
    if (!f) return undefined;
    let offset = 0;
    for (let l = 0; l < line; l++) {
      const nl = f.text.indexOf('\n', offset);
      if (nl < 0) return undefined;
      offset = nl + 1;
    }
    offset += col;
    const { parsed } = this.ensureParsed(new Set([path]));
    this.index = ProjectIndex.carryOver(this.index, parsed, this.opts.model);
    const probe = analyzeParsed(parsed, { ...this.opts, reportOnly: new Set([path]), probe: { file: path, offset } }, this.index).probe;
    this.releaseBodies();
    return probe;
  }

  /** Whether the syntax of `path` holds guesses (see WorkspaceOptions.speculate) that settle() has yet to check. */
  unsettled(path: string): boolean {
    const p = this.files.get(path)?.parsed;
    return !!p && hasGuesses(p);
  }

  /**
   * Checks the guesses in the syntax of `path` against a parse of the whole file from scratch
   * (project/settle.ts): 'settled', there was nothing to check; 'confirmed', the syntax is exact, and
   * so are the findings of the last analysis; 'corrected', it was not and the exact syntax has
   * replaced it: analyse again. Takes one parse of the file, in one go: a parse resumed after a pause
   * can recover from errors differently from one that was not interrupted.
   */
  settle(path: string): Settling {
    const f = this.files.get(path);
    const p = f?.parsed;
    if (!f || !p || !hasGuesses(p)) return 'settled';
    const exact = parseC(p.analysed);
    if (confirms(p, exact)) {
      p.tree?.delete();
      p.tree = exact;
      p.unverified = undefined;
      return 'confirmed';
    }
    let fixed: ParsedFile | undefined;
    try {
      fixed = reparseFile(p, p.text, this.opts.model, exact);
      if (!fixed) exact.delete();
    } catch {
      fixed = undefined; // reparseFile deleted the tree
    }
    if (fixed) {
      carryMemos(p, fixed);
      f.parsed = fixed;
    } else {
      // parsed from scratch at the next analysis
      dropTree(p);
      f.parsed = undefined;
      f.previous = undefined;
    }
    return 'corrected';
  }

  /** Files nobody asked about give back the bodies the analysis converted (their results stay). */
  private releaseBodies(): void {
    for (const f of this.files.values()) if (f.parsed && !f.eager) releaseBodies(f.parsed.facts);
  }

  findingsFor(path: string): Finding[] {
    return this.analyze([path]).findings.filter(f => f.file === path);
  }
}

/** Frees the tree-sitter tree a parse kept (WASM memory is not collected with the objects). */
function dropTree(p: ParsedFile | undefined): void {
  p?.tree?.delete();
  if (p) p.tree = undefined;
}
