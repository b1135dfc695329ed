/**
 * A real LSP client for the server tests: spawns the bundled server (`node dist/server.js --stdio`,
 * with the Node flags the VS Code client gives it) and speaks JSON-RPC to it with
 * vscode-languageserver-protocol. It answers the requests a server sends to an editor
 * (configuration, progress, registrations, showDocument), mirrors the text of the documents it
 * opened, and records what the server publishes. No mocks anywhere.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DidSaveTextDocumentNotification,
  ExecuteCommandRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShowDocumentRequest,
  ShowMessageNotification,
  ShowMessageRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type ClientCapabilities,
  type CodeAction,
  type Command,
  type Diagnostic,
  type FileEvent,
  type Hover,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type Range,
  type ShowDocumentParams,
  type TextDocumentContentChangeEvent,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { SettledNotification, StatusNotification, type SettledParams, type StatusParams } from '../../server/src/lsp/protocol';
import { SERVER_NODE_FLAGS } from '../../server/src/lsp/node-flags';

export const ROOT = resolve(__dirname, '../..');
export const SERVER = join(ROOT, 'dist/server.js');
export const FIXTURES = join(ROOT, 'test/fixtures');
export const TMP = join(ROOT, 'test/.tmp/lsp');

export const uriOf = (path: string) => pathToFileURL(path).href;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ when dist/server.js is missing or older than the sources it bundles. Test files run
 * in parallel processes, so the build is serialised with a lock folder.
 */
export async function ensureServerBuilt(): Promise<void> {
  const stale = () => {
    if (!existsSync(SERVER) || !existsSync(join(ROOT, 'dist/tree-sitter-c.wasm'))) return true;
    const sources = Math.max(newestMtime(join(ROOT, 'server/src')), newestMtime(join(ROOT, 'allocator-model')), statSync(join(ROOT, 'scripts/build.mjs')).mtimeMs);
    return statSync(SERVER).mtimeMs < sources;
  };
  if (!stale()) return;
  mkdirSync(TMP, { recursive: true });
  const lock = join(TMP, 'build.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 60_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another test to build dist/');
      await new Promise(r => setTimeout(r, 100));
    }
  }
  try {
    if (!stale()) return;
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node scripts/build.mjs failed:\n${r.stdout}\n${r.stderr}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface StartOptions {
  folders?: string[];
  /** The `heaplint` settings section; per scope URI when a function. */
  settings?: Record<string, unknown> | ((scopeUri: string | undefined) => Record<string, unknown>);
  relatedInformation?: boolean;
  /** Announce `window.workDoneProgress` (default true). */
  progress?: boolean;
  trusted?: boolean;
  /** Extra arguments for node (e.g. `--max-old-space-size`). */
  nodeArgs?: string[];
}

type Waiter = { check: () => boolean; resolve: () => void };

export class LspClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly published: PublishDiagnosticsParams[] = [];
  readonly progress: { token: string | number; value: { kind: string; title?: string; message?: string; percentage?: number; cancellable?: boolean } }[] = [];
  readonly progressTokens: (string | number)[] = [];
  readonly logs: string[] = [];
  readonly messages: string[] = [];
  readonly statuses: StatusParams[] = [];
  readonly settled: SettledParams[] = [];
  readonly shownDocuments: ShowDocumentParams[] = [];
  readonly registrations: string[] = [];
  readonly docs = new Map<string, TextDocument>();
  stderr = '';
  exited: { code: number | null; signal: string | null } | undefined;
  settings: StartOptions['settings'];
  initializeResult!: InitializeResult;
  private waiters: Waiter[] = [];

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: ProtocolConnection,
  ) {}

  static async start(opts: StartOptions = {}): Promise<LspClient> {
    await ensureServerBuilt();
    const proc = spawn(process.execPath, [...SERVER_NODE_FLAGS, ...(opts.nodeArgs ?? []), SERVER, '--stdio'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const client = new LspClient(proc, conn);
    client.settings = opts.settings ?? {};
    proc.stderr!.on('data', d => (client.stderr += String(d)));
    proc.on('exit', (code, signal) => {
      client.exited = { code, signal };
      client.notify();
    });
    conn.onNotification(PublishDiagnosticsNotification.type, p => {
      client.diagnostics.set(p.uri, p);
      client.published.push(p);
      client.notify();
    });
    conn.onNotification(LogMessageNotification.type, p => {
      client.logs.push(p.message);
      client.notify();
    });
    conn.onNotification(ShowMessageNotification.type, p => client.messages.push(p.message));
    conn.onRequest(ShowMessageRequest.type, p => {
      client.messages.push(p.message);
      return null;
    });
    conn.onNotification(StatusNotification.type, p => {
      client.statuses.push(p);
      client.notify();
    });
    conn.onNotification(SettledNotification.type, p => {
      client.settled.push(p);
      client.notify();
    });
    // The server creates a token with window/workDoneProgress/create, then reports under it.
    conn.onRequest(WorkDoneProgressCreateRequest.type, p => {
      client.progressTokens.push(p.token);
      conn.onProgress(WorkDoneProgress.type, p.token, value => {
        client.progress.push({ token: p.token, value });
        client.notify();
      });
      return null;
    });
    conn.onRequest(ConfigurationRequest.type, p =>
      p.items.map(item => {
        const s = client.settings;
        return typeof s === 'function' ? s(item.scopeUri) : s;
      }),
    );
    conn.onRequest(RegistrationRequest.type, p => {
      client.registrations.push(...p.registrations.map(r => r.method));
      return null;
    });
    conn.onRequest(ShowDocumentRequest.type, p => {
      client.shownDocuments.push(p);
      return { success: true };
    });
    conn.listen();

    const capabilities: ClientCapabilities = {
      textDocument: {
        synchronization: { didSave: true, dynamicRegistration: false },
        publishDiagnostics: {
          relatedInformation: opts.relatedInformation ?? true,
          versionSupport: true,
          codeDescriptionSupport: true,
          dataSupport: true,
          tagSupport: { valueSet: [1, 2] },
        },
        hover: { contentFormat: ['markdown', 'plaintext'] },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source', 'source.fixAll'] } }, dataSupport: true, isPreferredSupport: true },
      },
      workspace: {
        configuration: true,
        workspaceFolders: true,
        didChangeConfiguration: { dynamicRegistration: true },
        didChangeWatchedFiles: { dynamicRegistration: true },
        workspaceEdit: { documentChanges: true },
      },
      window: { workDoneProgress: opts.progress ?? true, showDocument: { support: true } },
    };
    const folders = (opts.folders ?? []).map(f => ({ uri: uriOf(f), name: f.split('/').pop()! }));
    client.initializeResult = await conn.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: folders[0]?.uri ?? null,
      workspaceFolders: folders.length ? folders : null,
      capabilities,
      initializationOptions: { workspaceTrusted: opts.trusted ?? true },
    });
    await conn.sendNotification(InitializedNotification.type, {});
    return client;
  }

  private notify(): void {
    for (const w of [...this.waiters]) {
      if (w.check()) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Resolves when `check` holds (checked now and after every message); rejects after `ms`. */
  waitFor(what: string, check: () => boolean, ms = 30_000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        check: () => {
          if (this.exited) {
            clearTimeout(timer);
            reject(new Error(`server exited (${JSON.stringify(this.exited)}) while waiting for ${what}\n${this.stderr}`));
            return true;
          }
          return check();
        },
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}; last logs:\n${this.logs.slice(-10).join('\n')}\n${this.stderr}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** The diagnostics published for `uri` for the document's current version (or any, for files not open). */
  async diagnosticsFor(uri: string, ms = 30_000, check: (d: Diagnostic[]) => boolean = () => true): Promise<Diagnostic[]> {
    const doc = this.docs.get(uri);
    const ok = () => {
      const p = this.diagnostics.get(uri);
      if (!p) return false;
      if (doc && p.version !== undefined && p.version !== doc.version) return false;
      return check(p.diagnostics);
    };
    await this.waitFor(`diagnostics for ${uri}${doc ? ` v${doc.version}` : ''}`, ok, ms).catch(err => {
      const last = this.diagnostics.get(uri);
      const seen = last ? `last published (v${last.version}): ${last.diagnostics.map(d => `${d.range.start.line + 1}: ${d.code}: ${d.message}`).join(' | ') || 'none'}` : 'nothing published';
      throw new Error(`${(err as Error).message}\n${seen}`);
    });
    return this.diagnostics.get(uri)!.diagnostics;
  }

  /** Waits for the next workDoneProgress `end`. */
  async progressEnded(count = 1, ms = 60_000): Promise<void> {
    await this.waitFor(`${count} progress end(s)`, () => this.progress.filter(p => p.value.kind === 'end').length >= count, ms);
  }

  open(path: string, text = readFileSync(path, 'utf8'), languageId = 'c', uri = uriOf(path)): string {
    const doc = TextDocument.create(uri, languageId, 1, text);
    this.docs.set(uri, doc);
    void this.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  /** Applies incremental changes (or replaces the text) and sends them. */
  change(uri: string, changes: TextDocumentContentChangeEvent[] | string): number {
    const doc = this.docs.get(uri);
    if (!doc) throw new Error(`not open: ${uri}`);
    const events = typeof changes === 'string' ? [{ text: changes }] : changes;
    const next = TextDocument.update(doc, events, doc.version + 1);
    this.docs.set(uri, next);
    void this.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: next.version }, contentChanges: events });
    return next.version;
  }

  save(uri: string): void {
    void this.conn.sendNotification(DidSaveTextDocumentNotification.type, { textDocument: { uri } });
  }

  close(uri: string): void {
    this.docs.delete(uri);
    void this.conn.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  text(uri: string): string {
    return this.docs.get(uri)!.getText();
  }

  hover(uri: string, line: number, character: number): Promise<Hover | null> {
    return this.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line, character } });
  }

  hoverText(h: Hover | null): string {
    if (!h) return '';
    const c = h.contents as { value?: string } | string;
    return typeof c === 'string' ? c : (c.value ?? '');
  }

  codeActions(uri: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<(CodeAction | Command)[] | null> {
    return this.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics, only } });
  }

  executeCommand(command: string, args: unknown[]): Promise<unknown> {
    return this.conn.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  /** Applies a workspace edit to the open documents the way an editor would, sending didChange. */
  applyEdit(edit: WorkspaceEdit): void {
    const perUri = new Map<string, { range: Range; newText: string }[]>();
    for (const dc of edit.documentChanges ?? []) {
      if ('textDocument' in dc) {
        const doc = this.docs.get(dc.textDocument.uri);
        if (dc.textDocument.version !== null && doc && dc.textDocument.version !== doc.version) throw new Error('edit for a stale version');
        perUri.set(dc.textDocument.uri, dc.edits as { range: Range; newText: string }[]);
      }
    }
    for (const [uri, edits] of Object.entries(edit.changes ?? {})) perUri.set(uri, edits);
    for (const [uri, edits] of perUri) {
      const doc = this.docs.get(uri)!;
      // one didChange with the edits from last to first, so earlier ranges stay valid
      const sorted = [...edits].sort((a, b) => doc.offsetAt(b.range.start) - doc.offsetAt(a.range.start));
      this.change(uri, sorted.map(e => ({ range: e.range, text: e.newText })));
    }
  }

  configurationChanged(settings: StartOptions['settings']): void {
    this.settings = settings;
    void this.conn.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }

  filesChanged(changes: FileEvent[]): void {
    void this.conn.sendNotification(DidChangeWatchedFilesNotification.type, { changes });
  }

  async request<R>(method: string, params?: unknown): Promise<R> {
    return params === undefined ? this.conn.sendRequest(method) : this.conn.sendRequest(method, params);
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        await Promise.race([this.conn.sendRequest(ShutdownRequest.type), new Promise(r => setTimeout(r, 3000))]);
        await this.conn.sendNotification(ExitNotification.type);
      } catch {
        /* already gone */
      }
      await Promise.race([new Promise(r => this.proc.once('exit', r)), new Promise(r => setTimeout(r, 3000))]);
    }
    if (!this.exited) this.proc.kill('SIGKILL');
    this.conn.dispose();
  }
}

/** A scratch folder under test/.tmp/lsp for one test, emptied first. */
export function scratch(name: string): string {
  const dir = join(TMP, `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** 0-based line of the first line containing `needle`, and the column of `needle` in it. */
export function locate(text: string, needle: string, from = 0): { line: number; character: number } {
  const lines = text.split('\n');
  for (let i = from; i < lines.length; i++) {
    const c = lines[i].indexOf(needle);
    if (c >= 0) return { line: i, character: c };
  }
  throw new Error(`"${needle}" not found`);
}
