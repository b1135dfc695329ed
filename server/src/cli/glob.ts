/**
 * Exclude patterns: gitignore-like globs matched against paths relative to a base folder (the
 * folder holding heaplint.json, or the current directory for --exclude).
 *
 *   *  any characters but "/"        **  any number of folders      ?  one character but "/"
 *   [abc] [!a-z]  character classes   {a,b}  alternatives
 *
 * A pattern without "/" matches a file or folder name at any depth (`build`, `*_gen.c`); a pattern
 * with "/" is anchored at the base (`vendor/**`, `src/legacy`); a leading "/" only anchors. A pattern
 * that matches a folder excludes everything under it.
 */
import { isAbsolute, relative, sep } from 'node:path';

export interface ExcludePattern {
  pattern: string;
  /** Absolute folder the pattern is relative to. */
  base: string;
  /** Where the pattern came from, for messages: "heaplint.json" or "--exclude". */
  source: string;
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** Translates one glob (already normalised) into the body of a regular expression. */
function translate(g: string): string {
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*') {
      if (g[i + 1] === '*') {
        const atSegmentStart = i === 0 || g[i - 1] === '/';
        const after = g[i + 2];
        if (atSegmentStart && after === '/') {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
        continue;
      }
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = g.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = g.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^/' : ''}${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '{') {
      const close = g.indexOf('}', i + 1);
      if (close < 0) {
        re += '\\{';
        continue;
      }
      re += `(?:${g.slice(i + 1, close).split(',').map(translate).join('|')})`;
      i = close;
    } else {
      re += escapeRegExp(c);
    }
  }
  return re;
}

export function globToRegExp(glob: string): RegExp {
  let g = glob.trim().replace(/\\/g, '/');
  while (g.startsWith('./')) g = g.slice(2);
  const anchored = g.startsWith('/');
  if (anchored) g = g.slice(1);
  while (g.endsWith('/')) g = g.slice(0, -1);
  if (!anchored && !g.includes('/')) g = `**/${g}`;
  let tail = '';
  if (g.endsWith('/**')) {
    g = g.slice(0, -3);
    tail = '(?:/.*)?';
  }
  return new RegExp(`^${translate(g)}${tail}$`);
}

/** A predicate over absolute paths: the pattern that excludes the path, or undefined. */
export function makeExcluder(patterns: ExcludePattern[]): (absPath: string) => ExcludePattern | undefined {
  const compiled = patterns.filter(p => p.pattern.trim() !== '').map(p => ({ p, re: globToRegExp(p.pattern) }));
  return absPath => {
    for (const { p, re } of compiled) {
      const rel = relative(p.base, absPath);
      if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) continue;
      if (re.test(rel.split(sep).join('/'))) return p;
    }
    return undefined;
  };
}
