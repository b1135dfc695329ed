/**
 * When documents are analysed and what gets published. A change schedules its document after
 * `heaplint.debounceMs`; a newer change replaces the pending run. One run analyses the document with
 * every other open document of the same project (their findings may depend on summaries of the
 * function just edited) and publishes what changed. Any failure becomes one diagnostic on the
 * document and a line in the output channel; it never escapes.
 *
 * When the engine took a guess for the edit (a function with a syntax error parsed alone; see
 * docs/editor.md, Latency), the findings are published at once and the guess is checked by a parse
 * of the whole file once the document has been quiet for a moment; a newer version of the document
 * replaces the check. A wrong guess is corrected and the document analysed again, and published if
 * its diagnostics changed. `heaplint/settled` says when a version's diagnostics are final.
 */
import type { Diagnostic } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Finding, ProjectResult, Settling } from '../engine';
import { isCDocument, pathOf, uriOf, type ServerContext } from './context';
import { problemDiagnostic, toDiagnostics } from './convert';
import type { Project } from './projects';
import { SettledNotification } from './protocol';
import type { Settings } from './settings';
import type { StatusReporter } from './status';

/** What the last analysis said about one document: the findings hover and code actions work from. */
export interface DocumentResult {
  version: number | undefined;
  findings: Finding[];
  diagnostics: Diagnostic[];
}

type Trigger = 'open' | 'change' | 'save' | 'refresh';

/**
 * The check of a guess (one parse of the whole file, ≈ 60 ms for 16,000 lines, during which messages
 * wait) starts once the document has had no new version analysed for this long — a pause in typing,
 * like the default of heaplint.debounceMs: while someone types each check would be outdated before it
 * ended, and would hold up their next keystroke.
 */
const SETTLE_DELAY_MS = 300;

export class Validator {
  private readonly pending = new Map<string, { cancel(): void }>();
  private readonly results = new Map<string, DocumentResult>();
  private readonly published = new Map<string, string>();
  /** Files whose diagnostics a workspace scan published although they are not open. */
  readonly workspaceReported = new Set<string>();
  /** Settings of each open document, resolved when it opened or changed. */
  private readonly docSettings = new Map<string, Settings>();
  private readonly excludedLogged = new Set<string>();
  /** Documents whose syntax holds a guess being checked, with the version it was published for. */
  private readonly settling = new Map<string, number>();
  private settleStep: { cancel(): void } | undefined;

  constructor(
    private readonly ctx: ServerContext,
    private readonly status: StatusReporter,
    /** Resolves once the project's heaplint.json and settings are applied to its engine. */
    private readonly ready: (project: Project) => Promise<unknown>,
  ) {}

  result(uri: string): DocumentResult | undefined {
    return this.results.get(uri);
  }

  settingsOf(uri: string): Settings | undefined {
    return this.docSettings.get(uri);
  }

  /**
   * Entry point for open, change and save, and for `refresh` after a configuration change: that one
   * analyses only if the document's settings changed or `force` says its project did.
   */
  async documentEvent(doc: TextDocument, trigger: Trigger, force = false): Promise<void> {
    if (!isCDocument(doc)) return;
    let settings: Settings;
    try {
      settings = await this.ctx.settings.get(doc.uri);
    } catch (err) {
      this.ctx.log.error(`settings for ${doc.uri}`, err);
      return;
    }
    const current = this.ctx.documents.get(doc.uri);
    if (!current || current.version !== doc.version) return; // a newer event handles it
    const before = this.docSettings.get(doc.uri);
    this.docSettings.set(doc.uri, settings);
    if (trigger === 'refresh' && !force && before && JSON.stringify(before) === JSON.stringify(settings)) return;
    if (settings.run === 'off') {
      this.cancel(doc.uri);
      this.clear(doc.uri);
      return;
    }
    if (trigger === 'change' && settings.run !== 'onType') return;
    if (trigger === 'save' && this.results.get(doc.uri)?.version === doc.version) return;
    this.schedule(doc.uri, trigger === 'change' ? settings.debounceMs : 0);
  }

  /** Runs `uri` after `delayMs`, replacing a run already scheduled for it. */
  schedule(uri: string, delayMs: number): void {
    this.cancel(uri);
    const run = () => {
      this.pending.delete(uri);
      void this.validate(uri);
    };
    if (delayMs <= 0) {
      const h = setImmediate(run);
      this.pending.set(uri, { cancel: () => clearImmediate(h) });
    } else {
      const h = setTimeout(run, delayMs);
      this.pending.set(uri, { cancel: () => clearTimeout(h) });
    }
  }

  cancel(uri: string): void {
    this.pending.get(uri)?.cancel();
    this.pending.delete(uri);
    this.settling.delete(uri);
  }

  /** After a configuration change: documents whose settings or project (`changed`) differ are analysed again. */
  async revalidateAll(changed: ReadonlySet<Project>): Promise<void> {
    for (const doc of this.ctx.documents.all()) {
      if (!isCDocument(doc)) continue;
      await this.documentEvent(doc, 'refresh', changed.has(this.ctx.projects.of(pathOf(doc.uri))));
    }
  }

  /** Analyses the open documents of a project again after files they depend on changed on disk. */
  revalidateProject(project: Project, delayMs: number): void {
    for (const doc of this.ctx.documents.all()) {
      if (!isCDocument(doc) || this.ctx.projects.of(pathOf(doc.uri)) !== project) continue;
      const s = this.docSettings.get(doc.uri);
      if (s && s.run !== 'off') this.schedule(doc.uri, delayMs);
    }
  }

  /** `correctionOf`: a version whose guess was found wrong and corrected, analysed again. */
  private async validate(uri: string, correctionOf?: number): Promise<void> {
    const doc = this.ctx.documents.get(uri);
    if (!doc) return;
    const correction = doc.version === correctionOf;
    const path = pathOf(uri);
    const project = this.ctx.projects.of(path);
    try {
      await this.ready(project);
    } catch (err) {
      this.ctx.log.error(`configuring ${project.name}`, err);
    }
    if (this.ctx.documents.get(uri)?.version !== doc.version) return; // superseded while waiting
    const excluded = project.excludedBy(path);
    if (excluded) {
      this.clear(uri);
      if (!this.excludedLogged.has(uri)) this.ctx.log.info(`${path} is excluded by "${excluded.pattern}" (${excluded.source}); not analysed`);
      this.excludedLogged.add(uri);
      return;
    }
    this.excludedLogged.delete(uri);
    // The batch: this document first, then the other open documents of the project that are analysed.
    const batch = [doc];
    for (const other of this.ctx.documents.all()) {
      if (other.uri === uri || !isCDocument(other)) continue;
      const otherPath = pathOf(other.uri);
      if (this.ctx.projects.of(otherPath) !== project || project.excludedBy(otherPath)) continue;
      const s = this.docSettings.get(other.uri);
      if (s && s.run !== 'off') batch.push(other);
    }
    for (const d of batch) project.workspace.upsert(pathOf(d.uri), d.getText());

    const t0 = performance.now();
    let result: ProjectResult;
    try {
      result = project.workspace.analyze(batch.map(d => pathOf(d.uri)));
    } catch (err) {
      const message = `analysis failed: ${err instanceof Error ? err.message : String(err)}`;
      this.ctx.log.error(`analysing ${path}`, err);
      this.store(doc, [], [problemDiagnostic(message)], true);
      this.status.failed(project, uri, message);
      return;
    }
    const ms = performance.now() - t0;
    for (const d of batch) {
      try {
        this.publishResult(d, result, project, d === doc && !correction);
      } catch (err) {
        this.ctx.log.error(`publishing ${d.uri}`, err);
      }
    }
    for (const p of result.problems) if (batch.some(d => pathOf(d.uri) === p.file)) this.ctx.log.warn(`${p.file}: ${p.message}`);
    this.status.analysed(project, uri, ms, result.stats);
    for (const d of batch) {
      if (d !== doc && project.workspace.unsettled(pathOf(d.uri)) && !this.settling.has(d.uri)) this.checkLater(d.uri, d.version);
    }
    if (project.workspace.unsettled(path)) this.checkLater(uri, doc.version);
    else this.settled(uri, doc.version, correction, correction);
  }

  /** Checks the document's guess SETTLE_DELAY_MS after its last analysis, one document after the other. */
  private checkLater(uri: string, version: number): void {
    this.settling.set(uri, version);
    this.settleStep?.cancel();
    const h = setTimeout(() => this.check(), SETTLE_DELAY_MS);
    this.settleStep = { cancel: () => clearTimeout(h) };
  }

  private check(): void {
    this.settleStep = undefined;
    const next = this.settling.entries().next();
    if (next.done) return;
    const [uri, version] = next.value;
    this.settling.delete(uri);
    const doc = this.ctx.documents.get(uri);
    // a newer version, about to be analysed, has its check scheduled after that
    if (doc && doc.version === version && !this.pending.has(uri)) {
      let outcome: Settling | 'failed';
      try {
        outcome = this.ctx.projects.of(pathOf(uri)).workspace.settle(pathOf(uri));
      } catch (err) {
        outcome = 'failed'; // the guess stays, and is checked after the next edit
        this.ctx.log.error(`checking the syntax of ${uri}`, err);
      }
      if (outcome === 'confirmed') this.settled(uri, version, true, false);
      // the exact syntax is in place ('settled': the engine put it there meanwhile, parsing the file
      // again): the same version is analysed again, its publish and `settled` follow
      else if (outcome !== 'failed') void this.validate(uri, version);
    }
    if (this.settling.size && !this.settleStep) {
      const h = setImmediate(() => this.check());
      this.settleStep = { cancel: () => clearImmediate(h) };
    }
  }

  private settled(uri: string, version: number, guessed: boolean, corrected: boolean): void {
    void this.ctx.connection.sendNotification(SettledNotification.type, { uri, version, guessed, corrected }).catch(() => undefined);
  }

  private publishResult(doc: TextDocument, result: ProjectResult, project: Project, always: boolean): void {
    const path = pathOf(doc.uri);
    const rules = { ...project.rules, ...(this.docSettings.get(doc.uri)?.rules ?? {}) };
    const diagnostics = toDiagnostics(path, result.findings, result.problems, result.unusedSuppressions, {
      relatedInformation: this.ctx.support.relatedInformation,
      unnecessaryTag: this.ctx.support.unnecessaryTag,
      rules,
      uriOf: p => uriOf(this.ctx, p),
      textAt: range => doc.getText(range),
    });
    const findings = result.findings.filter(f => f.file === path);
    this.store(doc, findings, diagnostics, always);
  }

  /** Remembers the result and publishes it, unless the same diagnostics are already on screen. */
  private store(doc: TextDocument, findings: Finding[], diagnostics: Diagnostic[], always: boolean): void {
    this.results.set(doc.uri, { version: doc.version, findings, diagnostics });
    this.publish(doc.uri, diagnostics, doc.version, always);
  }

  /**
   * The document that triggered a run always gets a (versioned) publish: clients can tell that
   * version was analysed. Other files only when their diagnostics changed.
   */
  publish(uri: string, diagnostics: Diagnostic[], version: number | undefined, always = false): void {
    const key = JSON.stringify(diagnostics);
    if (!always && this.published.get(uri) === key) return;
    this.published.set(uri, key);
    void this.ctx.connection.sendDiagnostics({ uri, version, diagnostics }).catch(() => undefined);
  }

  hasPublished(uri: string): boolean {
    return this.published.has(uri);
  }

  clear(uri: string): void {
    this.results.delete(uri);
    if (this.published.has(uri)) {
      this.published.delete(uri);
      void this.ctx.connection.sendDiagnostics({ uri, diagnostics: [] }).catch(() => undefined);
    }
  }

  /** The document closed: forget its state, keep the diagnostics only if a workspace scan reported the file. */
  closed(uri: string): void {
    this.cancel(uri);
    this.docSettings.delete(uri);
    this.results.delete(uri);
    if (!this.workspaceReported.has(uri)) this.clear(uri);
  }

  /** Publishes a whole-project result for files that are not open (the "Scan Workspace" command). */
  publishWorkspace(project: Project, result: ProjectResult, paths: string[]): { files: number; findings: number } {
    let files = 0;
    let findings = 0;
    const byFile = new Map<string, Finding[]>();
    for (const f of result.findings) {
      if (!byFile.has(f.file)) byFile.set(f.file, []);
      byFile.get(f.file)!.push(f);
    }
    const opts = {
      relatedInformation: this.ctx.support.relatedInformation,
      unnecessaryTag: this.ctx.support.unnecessaryTag,
      rules: project.rules,
      uriOf: (p: string) => uriOf(this.ctx, p),
    };
    const reported = new Set<string>();
    for (const path of paths) {
      const uri = uriOf(this.ctx, path);
      const doc = this.ctx.documents.get(uri);
      if (doc) {
        this.publishResult(doc, result, project, false);
        const n = this.results.get(uri)?.findings.length ?? 0;
        findings += n;
        if (n) files++;
        continue;
      }
      const diagnostics = toDiagnostics(path, byFile.get(path) ?? [], result.problems, result.unusedSuppressions, opts);
      const n = byFile.get(path)?.length ?? 0;
      findings += n;
      if (n) files++;
      if (diagnostics.length) {
        reported.add(uri);
        this.publish(uri, diagnostics, undefined);
      } else if (this.workspaceReported.has(uri)) {
        this.clear(uri);
      }
    }
    for (const uri of this.workspaceReported) {
      if (!reported.has(uri) && this.ctx.projects.of(pathOf(uri)) === project && !this.ctx.documents.get(uri)) this.clear(uri);
    }
    for (const uri of reported) this.workspaceReported.add(uri);
    return { files, findings };
  }

  /** Forgets the workspace report of a file that disappeared or is re-analysed. */
  dropWorkspaceReport(uri: string): void {
    if (this.workspaceReported.delete(uri) && !this.ctx.documents.get(uri)) this.clear(uri);
  }
}
