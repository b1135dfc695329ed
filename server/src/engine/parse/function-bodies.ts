/**
 * Function bodies found by reading the text, before any parse: a `{` at the top level right after a
 * `)` opens one, and its matching `}` closes it. Comments, string and character literals are skipped,
 * and so are preprocessor lines. A body that contains a preprocessor line is not reported, because
 * `#if` arms can split a body's braces so that the text alone cannot be trusted. If the braces of the
 * whole file do not balance, nothing is reported.
 *
 * The CLI cuts out the insides of the bodies that will not be converted (they call no allocator) before
 * tree-sitter parses the file, and those of initializers nothing reads (data-tables.ts). Their tokens
 * are most of some files, and the parse builds trees for them that nothing reads. The conversion maps
 * the offsets back (CutMap). A body the analysis needs later is parsed again from the real text, as a
 * skipped body always is.
 */
import type { Syntax } from './syntax';

export interface BodySpan {
  /** Offset of the `{`. */
  open: number;
  /** Offset just past the `}`. */
  close: number;
}

/** A brace at the top level of a file, and what the text before it says it is. */
export interface TopLevelBraces extends BodySpan {
  /** `{` right after `)`: a function body; after `=`: an initializer; else a struct, enum… body. */
  kind: 'body' | 'initializer' | 'other';
  /** Offset where the declaration before the brace starts: after the last top-level `;`, body or initializer. */
  head: number;
  /** Preprocessor lines between the braces. */
  directives: boolean;
  /** Those lines are conditionals that open and close inside (an `#else` or `#endif` of an outer one, or a `#define`, is not). */
  balanced: boolean;
}

export function functionBodies(text: string): BodySpan[] {
  return topLevelBraces(text).filter(isPlainBody).map(({ open, close }) => ({ open, close }));
}

/** A function body without preprocessor lines: its braces, read off the text, can be trusted. */
export function isPlainBody(b: TopLevelBraces): boolean {
  return b.kind === 'body' && !b.directives;
}

/**
 * Every top-level `{ … }` of the text, in order. Comments, string and character literals are skipped,
 * and so are preprocessor lines (noted on the braces they fall in). If the braces of the whole file do
 * not balance, or a literal breaks across lines, nothing is reported.
 */
export function topLevelBraces(text: string): TopLevelBraces[] {
  const out: TopLevelBraces[] = [];
  const n = text.length;
  let depth = 0;
  /** The last character at the top level that was not white space or a comment. */
  let last = 0;
  let open = -1;
  let head = 0;
  let kind: TopLevelBraces['kind'] = 'other';
  let directiveInside = false;
  /** Conditionals opened inside the current braces and not yet closed; -1 once one closed an outer one. */
  let nesting = 0;
  let lineStart = true;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x0a /* \n */) {
      lineStart = true;
      i++;
      continue;
    }
    if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0c) {
      i++;
      continue;
    }
    if (c === 0x23 /* # */ && lineStart) {
      // a preprocessor line, with its continuations; one between a declarator and its `{`
      // (`#endif`, `#pragma`) leaves the function to the preprocessor's arms
      const start = i;
      if (depth > 0) directiveInside = true;
      else last = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x0a && text.charCodeAt(i - 1) !== 0x5c /* \ */ && !(text.charCodeAt(i - 1) === 0x0d && text.charCodeAt(i - 2) === 0x5c)) break;
        if (d === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2a /* * */) {
          const end = text.indexOf('*/', i + 2);
          i = end < 0 ? n : end + 2;
          continue;
        }
        i++;
      }
      if (depth > 0 && nesting >= 0) nesting = nestAfter(text, start, nesting);
      continue;
    }
    lineStart = false;
    if (c === 0x2f /* / */) {
      const next = text.charCodeAt(i + 1);
      if (next === 0x2a /* * */) {
        const end = text.indexOf('*/', i + 2);
        i = end < 0 ? n : end + 2;
        continue;
      }
      if (next === 0x2f) {
        const end = text.indexOf('\n', i);
        i = end < 0 ? n : end;
        continue;
      }
    }
    if (c === 0x22 /* " */ || c === 0x27 /* ' */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i += 2;
        else if (d === c) break;
        else if (d === 0x0a) return []; // a literal broken across lines: not text to trust
        else i++;
      }
      i++;
      if (depth === 0) last = c;
      continue;
    }
    if (c === 0x7b /* { */) {
      if (depth === 0) {
        open = i;
        kind = last === 0x29 /* ) */ ? 'body' : last === 0x3d /* = */ ? 'initializer' : 'other';
        // (a directive right before the `{` makes it neither: its arms may hold other declarators)
        directiveInside = false;
        nesting = 0;
      }
      depth++;
    } else if (c === 0x7d /* } */) {
      if (--depth < 0) return [];
      if (depth === 0) {
        out.push({ open, close: i + 1, kind, head, directives: directiveInside, balanced: nesting === 0 });
        // a struct's body is part of the declaration that follows it (`struct s {…} table[] = {…}`)
        if (kind !== 'other') head = i + 1;
      }
    } else if (c === 0x3b /* ; */ && depth === 0) head = i + 1;
    if (depth === 0) last = c;
    i++;
  }
  return depth === 0 ? out : [];
}

/**
 * Conditional nesting after the directive at `at`; -1 when it ends or continues a conditional opened
 * before the braces, or is no conditional at all (a `#define` in a table defines a macro for the rest
 * of the file: cutting it out would change what follows).
 */
function nestAfter(text: string, at: number, nesting: number): number {
  const m = /^#[ \t]*(\w+)/.exec(text.slice(at, at + 16));
  const word = m?.[1] ?? '';
  if (word === 'if' || word === 'ifdef' || word === 'ifndef') return nesting + 1;
  if (word === 'endif') return nesting > 0 ? nesting - 1 : -1;
  if (word === 'else' || word === 'elif' || word === 'elifdef' || word === 'elifndef') return nesting > 0 ? nesting : -1;
  return -1;
}

/**
 * `text` with the insides of the given braces (in order, not overlapping) cut out, and the map from
 * offsets in what is left back to offsets in `text`. Cut rather than blanked: tree-sitter's lexer
 * would read the blanks a character at a time.
 */
export function cutBraces(text: string, spans: readonly BodySpan[]): { text: string; cuts: CutMap } {
  const parts: string[] = [];
  const at: number[] = [];
  const shift: number[] = [];
  let from = 0;
  let cut = 0;
  for (const b of spans) {
    parts.push(text.slice(from, b.open + 1));
    at.push(b.open + 1 - cut);
    cut += b.close - 1 - (b.open + 1);
    shift.push(cut);
    from = b.close - 1;
  }
  parts.push(text.slice(from));
  return { text: parts.join(''), cuts: new CutMap(at, shift) };
}

/** Offsets in a text that had spans cut out of it, mapped back to offsets in the text before the cuts. */
export class CutMap {
  /** `at[k]`: where cut k is in the text after the cuts (ascending); `shift[k]`: how many characters cuts 0…k removed. */
  constructor(private readonly at: readonly number[], private readonly shift: readonly number[]) {}

  /** A node that starts where a cut was starts after what was cut (the `}` of `{}`). */
  start(offset: number): number {
    return offset + this.before(offset, true);
  }

  /** A node that ends where a cut was ends before what was cut (the `{`). */
  end(offset: number): number {
    return offset + this.before(offset, false);
  }

  private before(offset: number, including: boolean): number {
    const at = this.at;
    let lo = 0;
    let hi = at.length;
    // the number of cuts before the offset (at it too, if including)
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid] < offset || (including && at[mid] === offset)) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.shift[lo - 1];
  }
}

/** Spaces in place of every character but line breaks. */
export function spaces(text: string): string {
  return text.split('\n').map(line => ' '.repeat(line.length)).join('\n');
}

/**
 * Whether every span of `bodies` is the body of a function in the converted tree, and every span of
 * `initializers` the initializer of a top-level declaration, both left unconverted there. When one is
 * not, the text misled topLevelBraces, and the file must be parsed whole.
 */
export function bodiesFound(root: Syntax, bodies: readonly BodySpan[], initializers: readonly BodySpan[] = []): boolean {
  const lazy = new Map<number, number>();
  const visit = (n: Syntax) => {
    for (const c of n.children) {
      if (c.type === 'function_definition') {
        const body = c.children.find(x => x.field === 'body');
        if (body?.lazy) lazy.set(body.start, body.end);
      } else if (c.type === 'init_declarator') {
        const value = c.children.find(x => x.field === 'value');
        if (value?.lazy && value.type === 'initializer_list') lazy.set(value.start, value.end);
      } else if (c.children.length && c.type !== 'compound_statement') visit(c);
    }
  };
  visit(root);
  const found = (s: BodySpan) => lazy.get(s.open) === s.close;
  return bodies.every(found) && initializers.every(found);
}
