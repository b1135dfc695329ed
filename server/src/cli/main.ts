/**
 * Entry point of the `heaplint` command (bundled to dist/cli.js, started by bin/heaplint.js).
 * Wires runCli to the process, and makes sure that whatever happens the user sees one line,
 * `heaplint: <message>`, and exit status 2, never a stack trace (set HEAPLINT_DEBUG=1 for one).
 */
import './v8-tuning'; // first: it must precede the compilation of the engine's code
import { runCli } from './run';
import { TOOL_NAME } from './version';

function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${TOOL_NAME}: ${message.split('\n')[0]}\n`);
  if (process.env.HEAPLINT_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 2;
}

async function main(): Promise<void> {
  // A closed pipe (`heaplint … | head`) is not an error worth a message.
  process.stdout.on('error', err => {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') process.exit(process.exitCode ?? 0);
    fail(err);
  });
  process.on('uncaughtException', err => {
    fail(err);
    process.exit(2);
  });
  process.on('unhandledRejection', reason => {
    fail(reason);
    process.exit(2);
  });
  try {
    process.exitCode = await runCli(process.argv.slice(2), {
      out: s => process.stdout.write(s),
      err: s => process.stderr.write(s),
      cwd: process.cwd(),
      stderrIsTTY: Boolean(process.stderr.isTTY),
    });
  } catch (err) {
    fail(err);
  }
}

void main();
