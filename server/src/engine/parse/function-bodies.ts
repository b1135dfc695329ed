/**
 * Function bodies found by reading the text, before any parse: a `{` at the top level right after a
 * `)` opens one, and its matching `}` closes it. Comments, string and character literals are skipped,
 * and so are preprocessor lines. A body that contains a preprocessor line is not reported, because
 * `#if` arms can split a body's braces so that the text alone cannot be trusted. If the braces of the
 * whole file do not balance, nothing is reported.
 *
 * The CLI blanks the bodies that will not be converted (they call no allocator) before tree-sitter parses
 * the file, as it does for tables of numbers. Their tokens are most of some files, and the parse builds
 * trees for them that nothing reads. Offsets and line breaks stay the same. A body the analysis needs
 * later is parsed again from the real text, as a skipped body always is.
 */
import type { Syntax } from './syntax';

export interface BodySpan {
  /** Offset of the `{`. */
  open: number;
  /** Offset just past the `}`. */
  close: number;
}

export function functionBodies(text: string): BodySpan[] {
  const out: BodySpan[] = [];
  const n = text.length;
  let depth = 0;
  /** The last character at the top level that was not white space or a comment. */
  let last = 0;
  let open = -1;
  let directiveInside = false;
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
      // (`#endif`, `#pragma`) leaves the function to the preprocessor's arms: not reported
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
        open = last === 0x29 /* ) */ ? i : -1;
        directiveInside = false;
      }
      depth++;
    } else if (c === 0x7d /* } */) {
      if (--depth < 0) return [];
      if (depth === 0) {
        if (open >= 0 && !directiveInside) out.push({ open, close: i + 1 });
        open = -1;
      }
    }
    if (depth === 0) last = c;
    i++;
  }
  return depth === 0 ? out : [];
}

/** `text` with the insides of the given bodies replaced by spaces (line breaks kept). */
export function blankBodies(text: string, bodies: readonly BodySpan[]): string {
  if (!bodies.length) return text;
  const parts: string[] = [];
  let from = 0;
  for (const b of bodies) {
    parts.push(text.slice(from, b.open + 1), spaces(text.slice(b.open + 1, b.close - 1)));
    from = b.close - 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

/** Spaces in place of every character but line breaks. */
export function spaces(text: string): string {
  return text.split('\n').map(line => ' '.repeat(line.length)).join('\n');
}

/**
 * Whether every span is the body of a function in the converted tree (left unconverted there). When
 * one is not, the text misled functionBodies, and the file must be parsed with its bodies.
 */
export function bodiesFound(root: Syntax, spans: readonly BodySpan[]): boolean {
  const starts = new Map<number, number>();
  const visit = (n: Syntax) => {
    for (const c of n.children) {
      if (c.type === 'function_definition') {
        const body = c.children.find(x => x.field === 'body');
        if (body?.lazy) starts.set(body.start, body.end);
      } else if (c.children.length && c.type !== 'compound_statement') visit(c);
    }
  };
  visit(root);
  return spans.every(s => starts.get(s.open) === s.close);
}
