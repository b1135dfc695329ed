/** CPython versions as comparable numbers: "3.11" -> 311, "3.13t" -> 313 (free-threaded flag kept apart). */

export interface PythonTarget {
  minor: number; // 3.11 -> 11
  freeThreaded: boolean;
  label: string;
}

export const DEFAULT_PYTHON = '3.12';
export const SUPPORTED_MINORS = [8, 9, 10, 11, 12, 13, 14];

export function parsePythonVersion(text: string): PythonTarget | undefined {
  const m = /^3\.(\d+)(t?)$/.exec(text.trim());
  if (!m) return undefined;
  const minor = Number(m[1]);
  if (!SUPPORTED_MINORS.includes(minor)) return undefined;
  const freeThreaded = m[2] === 't';
  if (freeThreaded && minor < 13) return undefined;
  return { minor, freeThreaded, label: `3.${minor}${freeThreaded ? 't' : ''}` };
}

function minorOf(v: string): number {
  return Number(v.split('.')[1]);
}

/** since is inclusive, until is the first version without the API. */
export function inRange(target: PythonTarget, since?: string, until?: string): boolean {
  if (since && target.minor < minorOf(since)) return false;
  if (until && target.minor >= minorOf(until)) return false;
  return true;
}
