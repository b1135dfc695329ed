/**
 * Which files a run lints. Files named on the command line are always linted, whatever their
 * extension; folders are walked for `.c` and `.h` files, skipping node_modules, hidden folders
 * (.git, .venv, …), symbolic links to folders, and whatever the exclude patterns match. The order is
 * deterministic: command-line order, then each folder's entries sorted by name (code unit order).
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeFsError, InputError } from './errors';
import { makeExcluder, type ExcludePattern } from './glob';

export interface DiscoverOptions {
  cwd: string;
  excludes: ExcludePattern[];
  maxFiles: number;
}

export interface Discovery {
  /** Absolute paths, deduplicated, in lint order. */
  files: string[];
  /** Command-line paths that do not exist, as given. */
  missing: string[];
  /** Folders or files that could not be listed or examined, with the reason. */
  unreadable: { path: string; reason: string }[];
  /** Command-line folders with no C file in them (after excludes), as given. */
  empty: string[];
  /** How many files and folders exclude patterns removed. */
  excluded: number;
}

const SOURCE_FILE = /\.[ch]$/;
const SKIPPED_FOLDERS = new Set(['node_modules']);

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function discoverFiles(paths: readonly string[], opts: DiscoverOptions): Discovery {
  const out: Discovery = { files: [], missing: [], unreadable: [], empty: [], excluded: 0 };
  const seen = new Set<string>();
  const excluded = makeExcluder(opts.excludes);

  let candidates = 0;
  const add = (abs: string) => {
    candidates++;
    if (seen.has(abs)) return;
    if (out.files.length >= opts.maxFiles) {
      throw new InputError(
        `more than ${opts.maxFiles} files to lint; name fewer paths, add "exclude" patterns (heaplint.json or --exclude), or raise --max-files`,
      );
    }
    seen.add(abs);
    out.files.push(abs);
  };

  const walk = (dir: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      out.unreadable.push({ path: dir, reason: `cannot list folder: ${describeFsError(err)}` });
      return;
    }
    entries.sort(byName);
    for (const e of entries) {
      const abs = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        // Links to files are followed; links to folders are not (no cycles, no escaping the tree).
        try {
          isFile = statSync(abs).isFile();
        } catch {
          isFile = false;
        }
        isDir = false;
      }
      if (isDir) {
        if (SKIPPED_FOLDERS.has(e.name) || e.name.startsWith('.')) continue;
        if (excluded(abs)) {
          out.excluded++;
          continue;
        }
        walk(abs);
      } else if (isFile && SOURCE_FILE.test(e.name)) {
        if (excluded(abs)) {
          out.excluded++;
          continue;
        }
        add(abs);
      }
    }
  };

  for (const p of paths) {
    const abs = resolve(opts.cwd, p);
    let st;
    try {
      st = statSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') out.missing.push(p);
      else out.unreadable.push({ path: abs, reason: describeFsError(err) });
      continue;
    }
    if (st.isDirectory()) {
      const before = candidates;
      walk(abs);
      if (candidates === before) out.empty.push(p);
    } else {
      add(abs);
    }
  }
  return out;
}
