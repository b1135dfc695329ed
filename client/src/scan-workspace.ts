/**
 * "HeapLint: Scan Workspace": asks the server to re-index every workspace folder and publish the
 * findings of all its C files. The server reports progress itself (cancellable from the
 * notification); this command only says what came out.
 */
import * as vscode from 'vscode';
import { ClientCommands, ScanWorkspaceRequest } from '../../server/src/lsp/protocol';
import type { HeaplintContext } from './context';

export function activate({ extension, client }: HeaplintContext): void {
  extension.subscriptions.push(
    vscode.commands.registerCommand(ClientCommands.scanWorkspace, async () => {
      if (!client.isRunning()) {
        void vscode.window.showWarningMessage('HeapLint: the language server is not running.');
        return;
      }
      const r = await client.sendRequest(ScanWorkspaceRequest.type);
      if (r.cancelled) return;
      const seconds = (r.ms / 1000).toFixed(1);
      const summary =
        r.findings === 0
          ? `HeapLint: no findings in ${r.files} C files (${seconds} s).`
          : `HeapLint: ${r.findings} findings in ${r.filesWithFindings} of ${r.files} C files (${seconds} s).`;
      const capped = r.capped ? ' The index stopped at heaplint.maxWorkspaceFiles.' : '';
      void vscode.window.showInformationMessage(summary + capped);
    }),
  );
}
