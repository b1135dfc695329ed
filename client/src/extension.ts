/**
 * The extension's entry point (bundled to dist/client.js, package.json `main`): starts the language
 * client, then lets each feature register itself. Everything else lives in the feature files.
 */
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { createClient } from './client';
import type { Feature, HeaplintContext } from './context';
import * as heapView from './heap-view';
import * as restartServer from './restart-server';
import * as scanWorkspace from './scan-workspace';
import * as showOutput from './show-output';
import * as statusItem from './status-item';
import * as workspaceTrust from './workspace-trust';

/** The features, in activation order. A new feature adds one import and one entry here. */
const FEATURES: Feature[] = [showOutput, statusItem, scanWorkspace, restartServer, workspaceTrust, heapView];

let client: LanguageClient | undefined;

export async function activate(extension: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('HeapLint');
  extension.subscriptions.push(output);
  client = createClient(extension, output);
  const context: HeaplintContext = { extension, client, output };
  for (const feature of FEATURES) feature.activate(context);
  try {
    await client.start();
  } catch (err) {
    output.appendLine(`HeapLint: the language server did not start: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
