/** Writes a report to --output, creating the folder it goes in; failures become one clear InputError. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { describeFsError, InputError } from './errors';

export function writeOutput(file: string, data: string, cwd: string): void {
  const abs = resolve(cwd, file);
  try {
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, data);
  } catch (err) {
    throw new InputError(`cannot write ${file}: ${describeFsError(err)}`);
  }
}
