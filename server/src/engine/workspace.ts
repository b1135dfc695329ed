/**
 * A long-lived set of C files for the language server and the CLI: each file is parsed once per
 * version of its text, and findings are recomputed for the files asked about with the summaries of
 * every file known. Callers never see parse trees.
 */
import type { Model } from '../../../allocator-model/src/model';
import { analyzeParsed, parseSource, ProjectIndex, type ParsedFile, type ProjectResult } from './project/project';
import { releaseBodies } from './project/compact';
import { carryMemos } from './project/memo';
import { reparseInPlace } from './project/reparse';
import { reparseFile } from './project/reparse-file';
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
}

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
      // a file no longer asked about keeps its syntax, but not the tree-sitter tree (WASM memory)
      if (!wantEager) dropTree(f.parsed);
      const previous = f.previous;
      f.previous = undefined;
      if (!f.parsed && !f.problem && wantEager && previous) {
        try {
          // one function edited: parse it alone; otherwise re-parse the file from its last tree
          f.parsed = reparseInPlace(previous, f.text, this.opts.model) ?? reparseFile(previous, f.text, this.opts.model);
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
