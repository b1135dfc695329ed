/**
 * The workspace index: every C file of a workspace folder, read into the project's engine Workspace
 * so that summaries of functions in files nobody opened (wrappers, struct field families) are known.
 * The walk is bounded (`heaplint.maxWorkspaceFiles`, exclude patterns, no node_modules, hidden or
 * symlinked folders), asynchronous (the server keeps answering while it runs) and cancellable.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CancellationTokenSource, type CancellationToken, type WorkDoneProgressServerReporter } from 'vscode-languageserver';
import type { ServerContext } from './context';
import type { Project } from './projects';
import type { ScanResult } from './protocol';
import type { StatusReporter } from './status';
import type { Validator } from './validation';

export const C_FILE = /\.[ch]$/i;
const SKIPPED_FOLDERS = new Set(['node_modules', '__pycache__']);
/** Files larger than this are indexed by name only when opened (generated tables, amalgamations). */
export const MAX_INDEXED_FILE_BYTES = 4 * 1024 * 1024;

export interface ScanProgress {
  (done: number, total: number, message: string): void;
}

export interface ScanOutcome {
  files: number;
  added: number;
  changed: number;
  removed: number;
  skippedLarge: number;
  capped: boolean;
  cancelled: boolean;
  ms: number;
}

/** Lists the folder's C files, sorted, stopping at `max`. Unreadable folders are skipped. */
export async function listCFiles(
  project: Project,
  max: number,
  token: CancellationToken,
): Promise<{ files: string[]; capped: boolean; cancelled: boolean }> {
  const files: string[] = [];
  const root = project.folder;
  if (root === undefined || max <= 0) return { files, capped: max <= 0 && root !== undefined, cancelled: false };
  const queue = [root];
  while (queue.length) {
    if (token.isCancellationRequested) return { files, capped: false, cancelled: true };
    const dir = queue.shift()!;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name.startsWith('.') || SKIPPED_FOLDERS.has(e.name) || project.excludedBy(p)) continue;
        queue.push(p);
      } else if (e.isFile() && C_FILE.test(e.name)) {
        if (project.excludedBy(p)) continue;
        if (files.length >= max) return { files, capped: true, cancelled: false };
        files.push(p);
      }
    }
  }
  return { files, capped: false, cancelled: false };
}

/**
 * Brings the project's index in line with the disk: reads every listed file that is new or changed
 * since it was last read and not open in the editor (open documents are the truth for their own
 * text), and drops indexed files that disappeared.
 */
export async function scanProject(
  project: Project,
  opts: { max: number; isOpen: (path: string) => boolean; token: CancellationToken; progress?: ScanProgress },
): Promise<ScanOutcome> {
  const t0 = performance.now();
  const listed = await listCFiles(project, opts.max, opts.token);
  const outcome: ScanOutcome = { files: 0, added: 0, changed: 0, removed: 0, skippedLarge: 0, capped: listed.capped, cancelled: listed.cancelled, ms: 0 };
  if (listed.cancelled) return finish();
  const wanted = new Set(listed.files);
  for (const old of [...project.indexed.keys()]) {
    if (!wanted.has(old)) {
      project.indexed.delete(old);
      if (!opts.isOpen(old)) project.workspace.remove(old);
      outcome.removed++;
    }
  }
  const total = listed.files.length;
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < total && !opts.token.isCancellationRequested) {
      const path = listed.files[next++];
      await indexFile(project, path, opts.isOpen, outcome);
      done++;
      if (done % 25 === 0 || done === total) opts.progress?.(done, total, `${done}/${total} files`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, total) }, worker));
  outcome.cancelled = opts.token.isCancellationRequested;
  project.capped = listed.capped;
  return finish();

  function finish(): ScanOutcome {
    outcome.files = project.indexed.size;
    outcome.ms = performance.now() - t0;
    return outcome;
  }
}

async function indexFile(project: Project, path: string, isOpen: (path: string) => boolean, outcome: ScanOutcome): Promise<void> {
  const known = project.indexed.get(path);
  if (isOpen(path)) {
    if (known === undefined) {
      outcome.added++;
      project.indexed.set(path, 0);
    }
    return;
  }
  const source = await readSource(path, known);
  if (source === 'unchanged' || source === undefined) return;
  if (source === null) {
    outcome.skippedLarge++;
    return;
  }
  if (isOpen(path)) return; // opened while it was being read
  if (known === undefined) outcome.added++;
  else outcome.changed++;
  project.indexed.set(path, source.mtime);
  project.workspace.upsert(path, source.text);
}

/**
 * The file's text and modification time; `'unchanged'` when its modification time is still
 * `knownMtime`; `null` when it is too large to index; `undefined` when it cannot be read.
 */
export async function readSource(path: string, knownMtime?: number): Promise<{ text: string; mtime: number } | 'unchanged' | null | undefined> {
  try {
    const s = await stat(path);
    if (!s.isFile()) return undefined;
    if (knownMtime !== undefined && knownMtime !== 0 && s.mtimeMs === knownMtime) return 'unchanged';
    if (s.size > MAX_INDEXED_FILE_BYTES) return null;
    return { text: await readFile(path, 'utf8'), mtime: s.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Runs scans of every workspace folder: one at a time (a new scan cancels the running one), with
 * `window/workDoneProgress` the user can cancel. After the index is complete the open documents are
 * analysed again; a scan asked for by the user ("HeapLint: Scan Workspace") also publishes the
 * findings of every indexed file.
 */
export class Indexer {
  /** Scans run one after the other; this is the tail of the queue. */
  private chain: Promise<unknown> = Promise.resolve();
  private running: { report: boolean; source: CancellationTokenSource } | undefined;
  private queuedBackground: Promise<ScanResult> | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly validator: Validator,
    private readonly status: StatusReporter,
    private readonly ready: (project: Project) => Promise<unknown>,
  ) {}

  cancel(): void {
    this.running?.source.cancel();
  }

  /**
   * Queues a scan. A background re-index (settings or folders changed) restarts a background scan
   * that is running and joins one already queued; it never cancels a scan the user asked for, and
   * the user's scan cancels a background one.
   */
  scan(opts: { report: boolean; token?: CancellationToken }): Promise<ScanResult> {
    if (!opts.report && this.queuedBackground) return this.queuedBackground;
    if (this.running && !this.running.report) this.running.source.cancel();
    const next = this.chain.then(() => {
      if (!opts.report) this.queuedBackground = undefined;
      return this.run(opts);
    });
    if (!opts.report) this.queuedBackground = next;
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async run(opts: { report: boolean; token?: CancellationToken }): Promise<ScanResult> {
    const t0 = performance.now();
    const result: ScanResult = { files: 0, filesWithFindings: 0, findings: 0, capped: false, cancelled: false, ms: 0 };
    const source = new CancellationTokenSource();
    this.running = { report: opts.report, source };
    opts.token?.onCancellationRequested(() => source.cancel());
    const token = source.token;
    const progress = await this.progress();
    progress.token?.onCancellationRequested(() => source.cancel());
    progress.begin(opts.report ? 'HeapLint: scanning the workspace' : 'HeapLint: indexing C files', 0, undefined, true);
    const isOpen = (path: string) => this.ctx.openUris.has(path) && !!this.ctx.documents.get(this.ctx.openUris.get(path)!);
    try {
      const projects = this.ctx.projects.withFolders();
      for (const [i, project] of projects.entries()) {
        if (token.isCancellationRequested) break;
        await this.ready(project);
        const settings = await this.ctx.settings.get(project.folderUri);
        const base = (i / projects.length) * 100;
        const share = 100 / projects.length;
        this.status.scanning(project, `indexing ${project.name}`);
        const outcome = await scanProject(project, {
          max: settings.maxWorkspaceFiles,
          isOpen,
          token,
          progress: (done, total, message) => progress.report(Math.floor(base + (share * 0.8 * done) / Math.max(total, 1)), `${project.name}: ${message}`),
        });
        result.files += outcome.files;
        result.capped ||= outcome.capped;
        this.ctx.log.info(
          `indexed ${project.name}: ${outcome.files} C files (${outcome.added} new, ${outcome.changed} changed, ${outcome.removed} gone${outcome.skippedLarge ? `, ${outcome.skippedLarge} larger than ${MAX_INDEXED_FILE_BYTES >> 20} MB skipped` : ''}) in ${Math.round(outcome.ms)} ms${outcome.cancelled ? ' (cancelled)' : ''}`,
        );
        if (outcome.capped) {
          this.ctx.log.warn(
            `${project.name}: more than ${settings.maxWorkspaceFiles} C files; the index stops there (raise heaplint.maxWorkspaceFiles or add heaplint.exclude patterns)`,
          );
        }
        if (outcome.cancelled || token.isCancellationRequested) break;
        progress.report(Math.floor(base + share * 0.8), `${project.name}: analysing`);
        await new Promise(r => setImmediate(r)); // let the progress message out before the synchronous analysis
        if (opts.report) {
          const paths = project.workspace.paths().filter(p => !project.excludedBy(p));
          const t1 = performance.now();
          try {
            const analysed = project.workspace.analyze(paths);
            const counts = this.validator.publishWorkspace(project, analysed, paths);
            result.findings += counts.findings;
            result.filesWithFindings += counts.files;
            this.ctx.log.info(`${project.name}: ${counts.findings} findings in ${counts.files} of ${paths.length} files (${Math.round(performance.now() - t1)} ms)`);
          } catch (err) {
            this.ctx.log.error(`scanning ${project.name}`, err);
          }
        } else if (outcome.added + outcome.changed + outcome.removed > 0) {
          this.validator.revalidateProject(project, 0); // summaries they may depend on are new
        }
        this.status.ready(project);
      }
    } catch (err) {
      this.ctx.log.error('workspace scan', err);
    } finally {
      result.cancelled = token.isCancellationRequested;
      progress.done();
      this.running = undefined;
      source.dispose();
    }
    result.ms = Math.round(performance.now() - t0);
    return result;
  }

  private async progress(): Promise<WorkDoneProgressServerReporter> {
    if (this.ctx.support.workDoneProgress) {
      try {
        return await this.ctx.connection.window.createWorkDoneProgress();
      } catch (err) {
        this.ctx.log.warn(`no progress reporting: ${(err as Error).message}`);
      }
    }
    const none = new CancellationTokenSource();
    return { token: none.token, begin() {}, report() {}, done() {} };
  }
}
