/**
 * The wire contract between the heaplint extension and its language server: every custom message,
 * command id and initialization option, in one place. The client and the server both import this file
 * and nothing else about each other.
 */
import { NotificationType, RequestType0 } from 'vscode-languageserver-protocol';

/** The language id the server lints, and the id of the client (which also names the `heaplint.trace.server` setting). */
export const CLIENT_ID = 'heaplint';
export const DIAGNOSTIC_SOURCE = 'heaplint';

/** Sent by the client in `initialize`. */
export interface InitializationOptions {
  /** `vscode.workspace.isTrusted`. In an untrusted folder the server lints open files only and does not scan the workspace. */
  workspaceTrusted?: boolean;
}

export type StatusState = 'starting' | 'scanning' | 'ready' | 'slow' | 'error';

export interface StatusParams {
  state: StatusState;
  /** CPython version findings are checked against, e.g. "3.12" or "3.13t". */
  python: string;
  /** Where the allocator model comes from: "bundled" or "bundled + heaplint.json". */
  model: string;
  /** C files known to the workspace index (open documents included). */
  indexedFiles: number;
  /** The document the last analysis was about, its duration, and when it finished (ms since epoch). */
  lastUri?: string;
  lastMs?: number;
  lastAt?: number;
  /** A file takes longer than this to analyse: the state becomes `slow`. */
  budgetMs: number;
  /** One line for humans: what is slow, what failed, what is being scanned. */
  message?: string;
}

/**
 * `heaplint/status`, server → client, after every analysis, scan and configuration change. The
 * client shows it in a language status item next to the C language indicator.
 */
export namespace StatusNotification {
  export const method = 'heaplint/status';
  export const type = new NotificationType<StatusParams>(method);
}

export interface SettledParams {
  uri: string;
  version: number;
  /** The first publish of this version came from a guess: an edit in a function with a syntax error, parsed alone. */
  guessed: boolean;
  /** The guess was not what a parse from scratch gives: the document was analysed again (and republished if its diagnostics changed). */
  corrected: boolean;
}

/**
 * `heaplint/settled`, server → client: the diagnostics of this version of the document are final —
 * those of a parse from scratch, what the CLI reports. Sent after each analysis of an edited document;
 * when its syntax held a guess, once a parse of the whole file has checked it (never, if a newer
 * version came first). For tests and measurements: editors need not listen.
 */
export namespace SettledNotification {
  export const method = 'heaplint/settled';
  export const type = new NotificationType<SettledParams>(method);
}

export interface ScanResult {
  /** C files in the index after the scan. */
  files: number;
  /** Files with at least one finding. */
  filesWithFindings: number;
  findings: number;
  /** True when `heaplint.maxWorkspaceFiles` stopped the scan early. */
  capped: boolean;
  cancelled: boolean;
  ms: number;
}

/**
 * `heaplint/scanWorkspace`, client → server ("HeapLint: Scan Workspace"): re-read every C file of
 * the workspace folders and publish findings for all of them, not only the open ones. Progress is
 * reported through `window/workDoneProgress` and the user can cancel it.
 */
export namespace ScanWorkspaceRequest {
  export const method = 'heaplint/scanWorkspace';
  export const type = new RequestType0<ScanResult, void>(method);
}

/** Commands the server executes (`workspace/executeCommand`); the language client registers them in the editor. */
export namespace ServerCommands {
  /** Arguments: `[ruleId: string]`. Opens the rule's documentation page through `window/showDocument`. */
  export const openRuleDocs = 'heaplint.openRuleDocs';
  export const all = [openRuleDocs];
}

/** Commands the client contributes to the palette (package.json `contributes.commands`). */
export namespace ClientCommands {
  export const scanWorkspace = 'heaplint.scanWorkspace';
  export const showOutput = 'heaplint.showOutput';
  export const restartServer = 'heaplint.restartServer';
}

/** The code action kind of "fix every deallocator in this file", usable in `editor.codeActionsOnSave`. */
export const FIX_ALL_KIND = 'source.fixAll.heaplint';

/**
 * What the server stores in `Diagnostic.data`, so a code action request can be answered from the
 * diagnostic alone even if the document changed since.
 */
export interface DiagnosticData {
  rule: string;
  /** Replacement of the deallocator's name, when the model knows the matching one. */
  fix?: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string; oldText?: string };
  /** Marks the hint diagnostic of an unused suppression comment. */
  unusedSuppression?: boolean;
}
