/** "HeapLint: Show Output": the server's log, which never opens by itself. */
import * as vscode from 'vscode';
import { ClientCommands } from '../../server/src/lsp/protocol';
import type { HeaplintContext } from './context';

export function activate({ extension, output }: HeaplintContext): void {
  extension.subscriptions.push(vscode.commands.registerCommand(ClientCommands.showOutput, () => output.show(true)));
}
