/**
 * Reads the files to lint. A file that cannot be read, looks binary or is unreasonably large is
 * skipped with a reason; the others are decoded as UTF-8 (Latin-1 when they are not valid UTF-8, so
 * an old source file is still linted) without a byte order mark.
 */
import { readFileSync } from 'node:fs';
import type { SourceFile } from '../engine';
import { describeFsError } from './errors';

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface ReadResult {
  sources: SourceFile[];
  skipped: SkippedFile[];
}

export const MAX_FILE_BYTES = 16 * 1024 * 1024;
const PROBE_BYTES = 8192;

function looksBinary(buf: Buffer): boolean {
  const end = Math.min(buf.length, PROBE_BYTES);
  for (let i = 0; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decode(buf: Buffer): string {
  try {
    return utf8.decode(buf);
  } catch {
    return buf.toString('latin1');
  }
}

export function readSource(file: string): SourceFile | SkippedFile {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    return { file, reason: `cannot be read: ${describeFsError(err)}` };
  }
  if (buf.length > MAX_FILE_BYTES) return { file, reason: `larger than ${MAX_FILE_BYTES / (1024 * 1024)} MiB` };
  if (looksBinary(buf)) return { file, reason: 'not a text file (binary content)' };
  return { path: file, text: decode(buf) };
}

export function readSources(files: readonly string[], onProgress?: (done: number, total: number) => void): ReadResult {
  const out: ReadResult = { sources: [], skipped: [] };
  files.forEach((f, i) => {
    const r = readSource(f);
    if ('reason' in r) out.skipped.push(r);
    else out.sources.push(r);
    onProgress?.(i + 1, files.length);
  });
  return out;
}
