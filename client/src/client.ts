/**
 * Builds the language client: the bundled server (dist/server.js) forked over Node IPC with the
 * Node flags that keep its heap small (server/src/lsp/node-flags.ts), the C
 * documents it reads, and the initialization options of the wire contract.
 */
import * as vscode from 'vscode';
import { LanguageClient, RevealOutputChannelOn, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { SERVER_NODE_FLAGS } from '../../server/src/lsp/node-flags';
import { CLIENT_ID, type InitializationOptions } from '../../server/src/lsp/protocol';

/** C sources, and headers whatever language the editor gave them (`.h` often opens as C++). */
export const C_SELECTOR: { scheme: string; language: string; pattern?: string }[] = [
  { scheme: 'file', language: 'c' },
  { scheme: 'untitled', language: 'c' },
  { scheme: 'file', language: 'cpp', pattern: '**/*.h' },
];

export function createClient(extension: vscode.ExtensionContext, output: vscode.OutputChannel): LanguageClient {
  const module = extension.asAbsolutePath('dist/server.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS] } },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: [...SERVER_NODE_FLAGS, '--nolazy', '--inspect=6011'] } },
  };
  const initializationOptions: InitializationOptions = { workspaceTrusted: vscode.workspace.isTrusted };
  const clientOptions: LanguageClientOptions = {
    // .heaptrace documents too: the server checks them and simulates them for the Heap View.
    documentSelector: [...C_SELECTOR, { scheme: 'file', language: 'heaptrace' }, { scheme: 'untitled', language: 'heaptrace' }],
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    initializationOptions,
    diagnosticCollectionName: CLIENT_ID,
    markdown: { isTrusted: false, supportHtml: false },
  };
  return new LanguageClient(CLIENT_ID, 'HeapLint', serverOptions, clientOptions);
}
