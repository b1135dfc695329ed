/**
 * Entry point of the language server (bundled to dist/server.js). The transport comes from the
 * command line, as vscode-languageserver reads it: `--stdio`, `--node-ipc`, `--socket=<port>` or
 * `--pipe=<name>`. Nothing may kill the process but the client: stray exceptions and rejections are
 * logged and the server goes on.
 */
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { HeaplintServer } from './server';

const connection = createConnection(ProposedFeatures.all);

const report = (what: string) => (err: unknown) => {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  try {
    connection.console.error(`heaplint: ${what}: ${text}`);
  } catch {
    process.stderr.write(`heaplint: ${what}: ${text}\n`);
  }
};
process.on('uncaughtException', report('uncaught exception'));
process.on('unhandledRejection', report('unhandled rejection'));

HeaplintServer.create(connection).register();
connection.listen();
