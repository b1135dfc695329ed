/**
 * Tokens of the .heaptrace language. Line based: newlines are tokens, `#` starts a comment.
 * The word after `snapshot` is lexed as a free-form label (quoted, or a run of non-blank characters),
 * so labels such as `after-free` need no quotes.
 */
import type { Range } from './ast';

export type TokenType =
  | 'ident'
  | 'number'
  | 'label'
  | '{'
  | '}'
  | '('
  | ')'
  | '['
  | ']'
  | ','
  | '='
  | ';'
  | 'newline'
  | 'invalid'
  | 'eof';

export interface Token {
  type: TokenType;
  text: string;
  range: Range;
}

const PUNCT = new Set(['{', '}', '(', ')', '[', ']', ',', '=', ';']);

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= '0' && c <= '9');
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 0;
  let col = 0;
  let i = 0;
  let labelNext = false;
  const n = text.length;
  const push = (type: TokenType, start: number, startCol: number, t: string) => {
    out.push({ type, text: t, range: { start: { line, character: startCol }, end: { line, character: startCol + (i - start) } } });
  };
  while (i < n) {
    const c = text[i];
    if (c === '\n' || c === '\r') {
      const start = i;
      const startCol = col;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      out.push({ type: 'newline', text: '\n', range: { start: { line, character: startCol }, end: { line, character: startCol + (i - start) } } });
      line++;
      col = 0;
      labelNext = false;
      continue;
    }
    if (c === ' ' || c === '\t') {
      i++;
      col++;
      continue;
    }
    if (c === '#') {
      while (i < n && text[i] !== '\n' && text[i] !== '\r') {
        i++;
        col++;
      }
      continue;
    }
    const start = i;
    const startCol = col;
    if (labelNext) {
      labelNext = false;
      if (c === '"') {
        i++;
        while (i < n && text[i] !== '"' && text[i] !== '\n' && text[i] !== '\r') i++;
        const closed = text[i] === '"';
        if (closed) i++;
        col += i - start;
        push(closed ? 'label' : 'invalid', start, startCol, closed ? text.slice(start + 1, i - 1) : text.slice(start, i));
        continue;
      }
      if (!PUNCT.has(c)) {
        while (i < n && !/[\s#{};]/.test(text[i])) i++;
        col += i - start;
        push('label', start, startCol, text.slice(start, i));
        continue;
      }
    }
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(text[i])) i++;
      col += i - start;
      const word = text.slice(start, i);
      push('ident', start, startCol, word);
      labelNext = word === 'snapshot';
      continue;
    }
    if (isDigit(c)) {
      // Numbers include version literals (3.11) and hexadecimal sizes (0x200).
      if (c === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
        i += 2;
        while (i < n && /[0-9a-fA-F_]/.test(text[i])) i++;
      } else {
        while (i < n && (isDigit(text[i]) || text[i] === '.' || text[i] === '_')) i++;
      }
      // "3.13t" names a free-threaded build: the 't' belongs to the version literal.
      if (text[i] === 't' && text.slice(start, i).includes('.') && !isIdentPart(text[i + 1] ?? ' ')) i++;
      // A number running into letters ("16k") is one invalid token, not two valid ones.
      let bad = false;
      while (i < n && isIdentPart(text[i])) {
        i++;
        bad = true;
      }
      col += i - start;
      push(bad ? 'invalid' : 'number', start, startCol, text.slice(start, i));
      continue;
    }
    if (PUNCT.has(c)) {
      i++;
      col++;
      push(c as TokenType, start, startCol, c);
      continue;
    }
    i++;
    col++;
    push('invalid', start, startCol, c);
  }
  out.push({ type: 'eof', text: '', range: { start: { line, character: col }, end: { line, character: col } } });
  return out;
}
