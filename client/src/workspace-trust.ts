/**
 * Restricted Mode: the server lints open files only and does not scan the folder. When the user
 * trusts the folder, the server restarts with the workspace scan on.
 */
import * as vscode from 'vscode';
import type { HeaplintContext } from './context';

export function activate({ extension, client, output }: HeaplintContext): void {
  extension.subscriptions.push(
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      const options = client.clientOptions.initializationOptions as { workspaceTrusted?: boolean } | undefined;
      if (options) options.workspaceTrusted = true;
      output.appendLine('HeapLint: workspace trusted; restarting the server with the workspace scan on');
      await client.restart();
    }),
  );
}
