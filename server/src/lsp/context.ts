/**
 * What the server's parts share: the connection, the open documents, the projects, the settings
 * cache and what the client said it can do. Also the mapping between URIs and the paths the engine
 * uses (file URIs become file-system paths; other schemes keep their URI as the path).
 */
import { fileURLToPath } from 'node:url';
import type { ClientCapabilities, Connection, TextDocuments } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { fileUri } from './convert';
import type { Projects } from './projects';
import type { SettingsCache } from './settings';

export interface ClientSupport {
  relatedInformation: boolean;
  unnecessaryTag: boolean;
  codeDescription: boolean;
  workspaceConfiguration: boolean;
  workspaceFolders: boolean;
  workDoneProgress: boolean;
  watchedFilesRegistration: boolean;
  versionedWorkspaceEdits: boolean;
  showDocument: boolean;
  markdownHover: boolean;
}

export function clientSupport(c: ClientCapabilities): ClientSupport {
  return {
    relatedInformation: c.textDocument?.publishDiagnostics?.relatedInformation === true,
    unnecessaryTag: c.textDocument?.publishDiagnostics?.tagSupport?.valueSet?.includes(1) === true,
    codeDescription: c.textDocument?.publishDiagnostics?.codeDescriptionSupport === true,
    workspaceConfiguration: c.workspace?.configuration === true,
    workspaceFolders: c.workspace?.workspaceFolders === true,
    workDoneProgress: c.window?.workDoneProgress === true,
    watchedFilesRegistration: c.workspace?.didChangeWatchedFiles?.dynamicRegistration === true,
    versionedWorkspaceEdits: c.workspace?.workspaceEdit?.documentChanges === true,
    showDocument: c.window?.showDocument?.support === true,
    markdownHover: c.textDocument?.hover?.contentFormat?.includes('markdown') ?? true,
  };
}

/** Writes to the output channel; it never pops up (the client decides, and it says never). */
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

export function makeLog(connection: Connection): Log {
  const stamp = () => new Date().toISOString().slice(11, 23);
  return {
    info: m => connection.console.info(`[${stamp()}] ${m}`),
    warn: m => connection.console.warn(`[${stamp()}] ${m}`),
    error: (m, err) => connection.console.error(`[${stamp()}] ${m}${err instanceof Error && err.stack ? `\n${err.stack}` : err ? `: ${String(err)}` : ''}`),
  };
}

export interface ServerContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  projects: Projects;
  settings: SettingsCache;
  support: ClientSupport;
  /** False in an untrusted folder: lint open files only, no workspace scan. */
  trusted: boolean;
  log: Log;
  /** Paths of open documents → the URI string the client used for them. */
  openUris: Map<string, string>;
}

export function pathOf(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      return uri;
    }
  }
  return uri;
}

/** The URI to publish for an engine path: the open document's own URI string if it is open. */
export function uriOf(ctx: Pick<ServerContext, 'documents' | 'openUris'>, path: string): string {
  const byPath = ctx.openUris.get(path);
  if (byPath && ctx.documents.get(byPath)) return byPath;
  return fileUri(path);
}

/** Documents heaplint reads: C sources and headers, whatever language id the editor gave a `.h`. */
export function isCDocument(doc: { uri: string; languageId: string }): boolean {
  if (doc.languageId === 'c') return true;
  return /\.[ch]$/i.test(doc.uri.replace(/[?#].*$/, ''));
}
