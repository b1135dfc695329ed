/** "HeapLint: Restart Server": stops and starts the language server (settings and index are rebuilt). */
import * as vscode from 'vscode';
import { ClientCommands } from '../../server/src/lsp/protocol';
import type { HeaplintContext } from './context';

export function activate({ extension, client, output }: HeaplintContext): void {
  extension.subscriptions.push(
    vscode.commands.registerCommand(ClientCommands.restartServer, async () => {
      output.appendLine('HeapLint: restarting the language server');
      try {
        await client.restart();
      } catch (err) {
        output.appendLine(`HeapLint: restart failed: ${err instanceof Error ? err.message : String(err)}`);
        void vscode.window.showErrorMessage('HeapLint: the language server could not be restarted; see "HeapLint: Show Output".');
      }
    }),
  );
}
