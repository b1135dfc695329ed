/**
 * What every client feature receives in `activate(context)`: the extension context (for
 * subscriptions), the language client and the output channel. Features own their disposables.
 */
import type * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';

export interface HeaplintContext {
  extension: vscode.ExtensionContext;
  client: LanguageClient;
  /** The "HeapLint" output channel; the server's log goes there and it never pops up by itself. */
  output: vscode.OutputChannel;
}

/** A client feature: one file, one `activate`. */
export interface Feature {
  activate(context: HeaplintContext): void;
}
