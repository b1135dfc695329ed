/**
 * LSP wiring only: what the server can do (`capabilities()`), and one small method per message that
 * hands the work to the module that owns it. Every handler is guarded: an exception is logged and
 * answered with an empty result, never allowed to end the process.
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  TextDocumentSyncKind,
  TextDocuments,
  type CancellationToken,
  type CodeAction,
  type CodeActionParams,
  type Connection,
  type DidChangeConfigurationParams,
  type DidChangeWatchedFilesParams,
  type ExecuteCommandParams,
  type Hover,
  type HoverParams,
  type InitializeParams,
  type InitializeResult,
  type ServerCapabilities,
  type WorkspaceFoldersChangeEvent,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { TOOL_VERSION } from '../cli/version';
import { initParser, ruleDocsUrl, RULE_IDS } from '../engine';
import { codeActions } from './code-actions';
import { clientSupport, isCDocument, makeLog, pathOf, type ServerContext } from './context';
import { configDiagnostics, fileUri } from './convert';
import { apiHover, combine, findingHover, mayBePointer, pointerHover, wordAt } from './hover';
import { isConfigFile, Projects, type Project } from './projects';
import { registerSimulateHeap, type HeapSimulation } from './simulate-heap';
import { FIX_ALL_KIND, ScanWorkspaceRequest, ServerCommands, type InitializationOptions, type ScanResult } from './protocol';
import { SettingsCache } from './settings';
import { StatusReporter } from './status';
import { Validator } from './validation';
import { C_FILE, Indexer, readSource } from './workspace-index';

const VERSION = TOOL_VERSION;

export class HeaplintServer {
  static create(connection: Connection): HeaplintServer {
    return new HeaplintServer(connection);
  }

  private readonly documents = new TextDocuments(TextDocument);
  private ctx!: ServerContext;
  private validator!: Validator;
  private indexer!: Indexer;
  private status!: StatusReporter;
  private readonly readyByProject = new Map<Project, Promise<boolean>>();
  private readonly justOpened = new Set<string>();
  private parserReady: Promise<unknown> = Promise.resolve();
  /** The Heap View's requests, code lenses and .heaptrace documents (server/src/lsp/simulate-heap.ts). */
  private heap!: HeapSimulation;

  private constructor(private readonly connection: Connection) {}

  capabilities(): ServerCapabilities {
    return {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
      executeCommandProvider: { commands: ServerCommands.all },
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      ...this.heap.capabilities(),
    };
  }

  /** Binds every handler to the connection. Call once, before `connection.listen()`. */
  register(): void {
    const c = this.connection;
    c.onInitialize(p => this.initialize(p));
    c.onInitialized(() => this.guard('initialized', () => this.initialized()));
    c.onDidChangeConfiguration(p => this.guard('configuration change', () => this.configurationChanged(p)));
    c.onDidChangeWatchedFiles(p => this.guard('watched files', () => this.watchedFilesChanged(p)));
    c.onHover((p, token) => this.answer('hover', null, () => this.hover(p, token)));
    c.onCodeAction((p, token) => this.answer('code action', [], () => this.codeAction(p, token)));
    c.onExecuteCommand(p => this.answer('command', null, () => this.executeCommand(p)));
    c.onRequest(ScanWorkspaceRequest.type, token => this.answer('scan', emptyScan(), () => this.scanWorkspace(token)));
    c.onShutdown(() => this.indexer?.cancel());
    this.heap = registerSimulateHeap(c, this.documents, {
      projectFor: uri => {
        const path = pathOf(uri);
        const p = this.ctx.projects.of(path);
        return { workspace: p.workspace, model: p.model, python: p.python, path };
      },
      log: { info: m => this.ctx?.log.info(m), error: (m, err) => this.ctx?.log.error(m, err) },
    });

    this.documents.onDidOpen(e => this.justOpened.add(e.document.uri));
    this.documents.onDidChangeContent(e => this.guard('document change', () => this.documentChanged(e.document)));
    this.documents.onDidSave(e => this.guard('save', () => this.validator.documentEvent(e.document, 'save')));
    this.documents.onDidClose(e => this.guard('close', () => this.documentClosed(e.document)));
    this.documents.listen(c);
  }

  private initialize(params: InitializeParams): InitializeResult {
    const support = clientSupport(params.capabilities);
    const options = (params.initializationOptions ?? {}) as InitializationOptions;
    const log = makeLog(this.connection);
    const projects = new Projects();
    projects.setFolders(
      (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : [])).map(f => ({ path: pathOf(f.uri), uri: f.uri, name: f.name })),
    );
    const settings = new SettingsCache(
      support.workspaceConfiguration ? scopeUri => this.connection.workspace.getConfiguration({ scopeUri, section: 'heaplint' }) : undefined,
    );
    this.ctx = { connection: this.connection, documents: this.documents, projects, settings, support, trusted: options.workspaceTrusted !== false, log, openUris: new Map() };
    this.status = new StatusReporter(this.ctx);
    const ready = (p: Project) => this.ready(p);
    this.validator = new Validator(this.ctx, this.status, ready);
    this.indexer = new Indexer(this.ctx, this.validator, this.status, ready);
    this.parserReady = initParser().catch(err => log.error('loading the C grammar failed; no file can be analysed', err));
    log.info(`heaplint language server ${VERSION} (node ${process.version}, ${process.platform}-${process.arch}); ${this.ctx.trusted ? 'trusted workspace' : 'Restricted Mode: open files only, no workspace scan'}`);
    return { capabilities: this.capabilities(), serverInfo: { name: 'heaplint', version: VERSION } };
  }

  private async initialized(): Promise<void> {
    const { support, connection } = this.ctx;
    if (support.watchedFilesRegistration) {
      await connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: '**/*.{c,h}' }, { globPattern: '**/heaplint.json' }],
      });
    }
    if (support.workspaceConfiguration) await connection.client.register(DidChangeConfigurationNotification.type, { section: 'heaplint' });
    if (support.workspaceFolders) connection.workspace.onDidChangeWorkspaceFolders(e => this.guard('folders', () => this.foldersChanged(e)));
    await this.parserReady;
    for (const p of this.ctx.projects.all()) await this.ready(p);
    if (this.ctx.trusted) await this.indexer.scan({ report: false });
  }

  /**
   * heaplint.json and the folder's settings applied to the project's engine (once, until either
   * changes). Resolves to true when that changed what the engine reports.
   */
  private ready(project: Project): Promise<boolean> {
    let p = this.readyByProject.get(project);
    if (!p) {
      p = (async () => {
        await this.parserReady;
        const configChanged = await project.readConfig();
        const settings = await this.ctx.settings.get(project.folderUri);
        const engineChanged = project.configure(settings);
        this.publishConfigProblems(project);
        return configChanged || engineChanged;
      })();
      this.readyByProject.set(project, p);
      p.catch(() => this.readyByProject.delete(project));
    }
    return p;
  }

  private publishConfigProblems(project: Project): void {
    const file = project.configPath;
    if (!file) return;
    const uri = this.ctx.openUris.get(file) ?? fileUri(file);
    const diagnostics = configDiagnostics(project.configProblems, project.configText);
    if (diagnostics.length || this.validator.hasPublished(uri)) this.validator.publish(uri, diagnostics, undefined);
  }

  private async documentChanged(doc: TextDocument): Promise<void> {
    if (!isCDocument(doc)) return;
    const opened = this.justOpened.delete(doc.uri);
    if (opened) this.ctx.openUris.set(pathOf(doc.uri), doc.uri);
    await this.validator.documentEvent(doc, opened ? 'open' : 'change');
  }

  private async documentClosed(doc: TextDocument): Promise<void> {
    this.justOpened.delete(doc.uri);
    if (!isCDocument(doc)) return;
    const path = pathOf(doc.uri);
    this.ctx.openUris.delete(path);
    this.validator.closed(doc.uri);
    const project = this.ctx.projects.of(path);
    // The file on disk is the truth again: re-read it (an unsaved buffer may have differed), or
    // forget it if it is not part of the index (an untitled buffer, a file outside the folders).
    const source = project.indexed.has(path) ? await readSource(path) : undefined;
    if (this.ctx.openUris.has(path)) return; // reopened meanwhile
    if (source && typeof source === 'object') {
      project.workspace.upsert(path, source.text);
      project.indexed.set(path, source.mtime);
      if (source.text === doc.getText()) return; // saved: nothing the other documents see has changed
    } else {
      project.workspace.remove(path);
      project.indexed.delete(path);
    }
    this.validator.revalidateProject(project, 200);
  }

  private async configurationChanged(params: DidChangeConfigurationParams): Promise<void> {
    const pushed = (params.settings as { heaplint?: unknown } | null)?.heaplint;
    if (pushed !== undefined) this.ctx.settings.setPushed(pushed);
    this.ctx.settings.clear();
    this.readyByProject.clear();
    const changed = new Set<Project>();
    for (const p of this.ctx.projects.all()) if (await this.ready(p)) changed.add(p);
    await this.validator.revalidateAll(changed);
    if (this.ctx.trusted) void this.indexer.scan({ report: false });
  }

  private async watchedFilesChanged(params: DidChangeWatchedFilesParams): Promise<void> {
    const touched = new Set<Project>();
    for (const change of params.changes) {
      const path = pathOf(change.uri);
      if (isConfigFile(path)) {
        const project = this.ctx.projects.ofConfig(path);
        if (!project) continue;
        this.readyByProject.delete(project);
        if (!(await this.ready(project))) continue;
        this.ctx.log.info(`${path} changed; analysing the open files again`);
        this.validator.revalidateProject(project, 0); // config changes apply at once
        continue;
      }
      if (!C_FILE.test(path) || this.ctx.openUris.has(path)) continue; // an open document is its own truth
      const project = this.ctx.projects.of(path);
      if (project.folder === undefined || project.excludedBy(path)) continue;
      if (change.type === FileChangeType.Deleted) {
        project.indexed.delete(path);
        project.workspace.remove(path);
        this.validator.dropWorkspaceReport(change.uri);
      } else {
        const settings = await this.ctx.settings.get(project.folderUri);
        if (!project.indexed.has(path) && project.indexed.size >= settings.maxWorkspaceFiles) continue;
        const source = await readSource(path, project.indexed.get(path));
        if (!source || typeof source !== 'object' || this.ctx.openUris.has(path)) continue;
        project.indexed.set(path, source.mtime);
        project.workspace.upsert(path, source.text);
      }
      touched.add(project);
    }
    // Summaries of the changed files may change findings in open documents.
    for (const p of touched) this.validator.revalidateProject(p, 100);
  }

  private async foldersChanged(e: WorkspaceFoldersChangeEvent): Promise<void> {
    const current = this.ctx.projects.withFolders().map(p => ({ path: p.folder!, uri: p.folderUri!, name: p.name }));
    const removed = new Set(e.removed.map(f => pathOf(f.uri)));
    const next = [...current.filter(f => !removed.has(f.path)), ...e.added.map(f => ({ path: pathOf(f.uri), uri: f.uri, name: f.name }))];
    const { removed: gone } = this.ctx.projects.setFolders(next);
    for (const p of gone) this.readyByProject.delete(p);
    await this.validator.revalidateAll(new Set(this.ctx.projects.all()));
    if (this.ctx.trusted) void this.indexer.scan({ report: false });
  }

  private async hover(params: HoverParams, token: CancellationToken): Promise<Hover | null> {
    const doc = this.documents.get(params.textDocument.uri);
    if (doc && this.heap.handles(doc)) return this.heap.hover(doc, params.position);
    if (!doc || !isCDocument(doc) || token.isCancellationRequested) return null;
    const path = pathOf(doc.uri);
    const project = this.ctx.projects.of(path);
    await this.ready(project);
    if (token.isCancellationRequested) return null;
    const pos = params.position;
    const result = this.validator.result(doc.uri);
    const findings = result && result.version === doc.version ? result.findings : [];
    const word = wordAt(doc, pos);
    let pointer: string | undefined;
    if (word && mayBePointer(word, project.model)) {
      project.workspace.upsert(path, doc.getText());
      try {
        pointer = pointerHover(project.workspace, path, pos);
      } catch (err) {
        this.ctx.log.error(`describing ${word.word} at ${path}:${pos.line + 1}`, err);
      }
    }
    if (token.isCancellationRequested) return null;
    return combine([findingHover(findings, pos, path), word ? apiHover(project.model, word.word) : undefined, pointer], word?.range);
  }

  private codeAction(params: CodeActionParams, token: CancellationToken): CodeAction[] {
    const doc = this.documents.get(params.textDocument.uri);
    if (!doc || token.isCancellationRequested) return [];
    const published = this.validator.result(doc.uri)?.diagnostics ?? [];
    return codeActions({ doc, params, published, versioned: this.ctx.support.versionedWorkspaceEdits });
  }

  private async executeCommand(params: ExecuteCommandParams): Promise<unknown> {
    if (params.command !== ServerCommands.openRuleDocs) return null;
    const rule = String(params.arguments?.[0] ?? '');
    if (!(RULE_IDS as readonly string[]).includes(rule)) return null;
    const url = ruleDocsUrl(rule);
    if (this.ctx.support.showDocument) return this.ctx.connection.window.showDocument({ uri: url, external: true });
    void this.ctx.connection.window.showInformationMessage(`${rule}: ${url}`);
    return null;
  }

  private async scanWorkspace(token: CancellationToken): Promise<ScanResult> {
    if (!this.ctx.trusted) {
      void this.ctx.connection.window.showInformationMessage('HeapLint scans the whole workspace only in a trusted folder; open files are still analysed.');
      return emptyScan();
    }
    await this.parserReady;
    return this.indexer.scan({ report: true, token });
  }

  /** Runs a notification handler; logs what it throws. */
  private guard(what: string, fn: () => unknown): void {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch(err => this.ctx?.log.error(`${what} failed`, err));
    } catch (err) {
      this.ctx?.log.error(`${what} failed`, err);
    }
  }

  /** Runs a request handler; a failure is logged and answered with `fallback`. */
  private async answer<T>(what: string, fallback: T, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.ctx?.log.error(`${what} failed`, err);
      return fallback;
    }
  }
}

function emptyScan(): ScanResult {
  return { files: 0, filesWithFindings: 0, findings: 0, capped: false, cancelled: false, ms: 0 };
}
