/**
 * Recursive-descent parser of .heaptrace. Never throws: every problem becomes a diagnostic and the
 * parser resumes at the next line, so a half-typed trace still yields a usable program.
 *
 *   python 3.11                      optional, first statement only
 *   NAME = FN(SIZE)                  malloc PyMem_RawMalloc PyMem_Malloc PyObject_Malloc
 *   NAME = FN(COUNT, SIZE)           calloc PyMem_RawCalloc PyMem_Calloc PyObject_Calloc
 *   NAME = FN(NAME2, SIZE)           realloc PyMem_RawRealloc PyMem_Realloc PyObject_Realloc
 *   FN(NAME)                         free PyMem_RawFree PyMem_Free PyObject_Free
 *   repeat N { ... }                 may nest; NAME[i] is slot i, i = innermost index
 *   snapshot LABEL
 * NAME is `a`, `a[i]` or `a[3]`; NULL may stand for a pointer argument.
 */
import { apiFunction, apiFunctions, type ApiFunction } from '../families';
import type { Diagnostic, DiagnosticCode, ParseResult, Range, Ref, Stmt } from './ast';
import { tokenize, type Token, type TokenType } from './lexer';

const RESERVED = new Set(['python', 'repeat', 'snapshot', 'NULL', 'i']);
/** Sizes are size_t; anything above PY_SSIZE_T_MAX is refused by every allocator anyway. */
const MAX_SIZE = Number.MAX_SAFE_INTEGER;
const MAX_REPEAT = 1e9;

class SyntaxError_ extends Error {
  constructor(
    readonly range: Range,
    message: string,
    readonly code: DiagnosticCode = 'syntax',
  ) {
    super(message);
  }
}

function span(a: Range, b: Range): Range {
  return { start: a.start, end: b.end };
}

function describe(t: Token): string {
  if (t.type === 'eof') return 'end of file';
  if (t.type === 'newline') return 'end of line';
  return `'${t.text}'`;
}

export function parseHeaptrace(text: string): ParseResult {
  return new Parser(text).parse();
}

class Parser {
  private toks: Token[];
  private pos = 0;
  private diags: Diagnostic[] = [];
  private seenStatement = false;
  private python: ParseResult['program']['python'] = null;
  private lineCount: number;

  constructor(text: string) {
    this.toks = tokenize(text);
    // A final newline ends the last line; it does not start another.
    const body = text.replace(/(\r\n|\r|\n)$/, '');
    this.lineCount = body.length === 0 ? 0 : body.split(/\r\n|\r|\n/).length;
  }

  parse(): ParseResult {
    const body = this.block(false);
    return { program: { python: this.python, body, lineCount: this.lineCount }, diagnostics: this.diags };
  }

  private peek(o = 0): Token {
    return this.toks[Math.min(this.pos + o, this.toks.length - 1)];
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.pos++;
    return t;
  }
  private expect(type: TokenType, what: string): Token {
    const t = this.peek();
    if (t.type !== type) throw new SyntaxError_(t.range, `expected ${what}, found ${describe(t)}`);
    return this.next();
  }
  private error(range: Range, message: string, code: DiagnosticCode = 'syntax', severity: 'error' | 'warning' = 'error'): void {
    this.diags.push({ range, severity, code, message });
  }
  /** Skip the rest of a bad statement, stopping before a closing brace or at the line end. */
  private recover(): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.type === 'eof') return;
      if (t.type === 'newline' && depth === 0) return;
      if (t.type === '{') depth++;
      if (t.type === '}') {
        if (depth === 0) return;
        depth--;
      }
      this.next();
    }
  }

  /** Statements up to EOF (top level) or up to and including the closing brace (inside repeat). */
  private block(inRepeat: boolean): Stmt[] {
    const out: Stmt[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'newline' || t.type === ';') {
        this.next();
        continue;
      }
      if (t.type === 'eof') {
        if (inRepeat) this.error(t.range, "missing '}' to close repeat");
        return out;
      }
      if (t.type === '}') {
        this.next();
        if (inRepeat) return out;
        this.error(t.range, "unmatched '}'");
        continue;
      }
      try {
        const s = this.statement();
        if (s) out.push(s);
        this.endOfStatement();
      } catch (e) {
        if (!(e instanceof SyntaxError_)) throw e;
        this.error(e.range, e.message, e.code);
        this.recover();
      }
      this.seenStatement = true;
    }
  }

  private endOfStatement(): void {
    const t = this.peek();
    if (t.type === 'newline' || t.type === ';' || t.type === '}' || t.type === 'eof') return;
    throw new SyntaxError_(t.range, `expected end of line, found ${describe(t)}`);
  }

  private statement(): Stmt | null {
    const t = this.peek();
    if (t.type === 'invalid') throw new SyntaxError_(t.range, `unexpected ${describe(t)}`);
    if (t.type !== 'ident') throw new SyntaxError_(t.range, `expected a statement, found ${describe(t)}`);
    switch (t.text) {
      case 'python':
        this.pythonStmt();
        return null;
      case 'repeat':
        return this.repeatStmt();
      case 'snapshot':
        return this.snapshotStmt();
    }
    if (this.peek(1).type === '(') return this.freeStmt();
    return this.assignment();
  }

  private pythonStmt(): void {
    const kw = this.next();
    const v = this.peek();
    if (v.type !== 'number' || !/^3\.\d+(\.\d+)?t?$/.test(v.text)) {
      throw new SyntaxError_(v.range, `expected a CPython version such as 3.11 after 'python', found ${describe(v)}`);
    }
    this.next();
    const range = span(kw.range, v.range);
    if (this.seenStatement || this.python) {
      this.error(range, "'python' must be the first statement of the trace", 'python-version');
      return;
    }
    const version = v.text;
    this.python = { version, range };
  }

  private repeatStmt(): Stmt {
    const kw = this.next();
    const n = this.peek();
    let count = 0;
    if (n.type === 'number' && /^\d[\d_]*$/.test(n.text)) {
      this.next();
      count = Number(n.text.replace(/_/g, ''));
      if (count > MAX_REPEAT) {
        this.error(n.range, `repeat count ${count} is larger than ${MAX_REPEAT}`);
        count = 0;
      }
    } else {
      this.error(n.range, `expected a repeat count (a whole number), found ${describe(n)}`);
      // Still parse the body so that braces stay balanced; it will run zero times.
      while (this.peek().type !== '{' && this.peek().type !== 'newline' && this.peek().type !== 'eof') this.next();
    }
    const brace = this.expect('{', "'{' after the repeat count");
    const body = this.block(true);
    const close = this.toks[this.pos - 1];
    return { type: 'repeat', count, body, range: span(kw.range, close && close.type === '}' ? close.range : brace.range) };
  }

  private snapshotStmt(): Stmt {
    const kw = this.next();
    const l = this.peek();
    if (l.type !== 'label') {
      throw new SyntaxError_(l.range, `expected a label after 'snapshot', found ${describe(l)}`);
    }
    this.next();
    return { type: 'snapshot', label: l.text, range: span(kw.range, l.range) };
  }

  private ref(allowNull: boolean): Ref | null {
    const t = this.peek();
    if (t.type !== 'ident') throw new SyntaxError_(t.range, `expected a name, found ${describe(t)}`);
    if (t.text === 'NULL') {
      if (!allowNull) throw new SyntaxError_(t.range, 'NULL cannot be assigned to');
      this.next();
      return null;
    }
    if (RESERVED.has(t.text)) throw new SyntaxError_(t.range, `'${t.text}' is a reserved word and cannot name a pointer`);
    if (apiFunction(t.text)) throw new SyntaxError_(t.range, `'${t.text}' is an allocator function, not a pointer name`);
    this.next();
    if (this.peek().type !== '[') return { name: t.text, index: null, range: t.range };
    this.next();
    const ix = this.peek();
    let index: 'i' | number;
    if (ix.type === 'ident' && ix.text === 'i') index = 'i';
    else if (ix.type === 'number' && /^\d+$/.test(ix.text)) index = Number(ix.text);
    else throw new SyntaxError_(ix.range, `expected 'i' or a slot number inside [ ], found ${describe(ix)}`);
    this.next();
    const close = this.expect(']', "']'");
    return { name: t.text, index, range: span(t.range, close.range) };
  }

  private size(what: string): number {
    const t = this.peek();
    if (t.type !== 'number' || !/^(0[xX][0-9a-fA-F_]+|\d[\d_]*)$/.test(t.text)) {
      throw new SyntaxError_(t.range, `expected ${what} (a whole number of bytes), found ${describe(t)}`);
    }
    this.next();
    const v = Number(t.text.replace(/_/g, ''));
    if (!Number.isSafeInteger(v) || v > MAX_SIZE) throw new SyntaxError_(t.range, `${what} ${t.text} is too large`);
    return v;
  }

  private callee(): { fn: ApiFunction | undefined; tok: Token } {
    const t = this.expect('ident', 'a function name');
    return { fn: apiFunction(t.text), tok: t };
  }

  private unknownFunction(tok: Token, kindHint: string): never {
    const names = apiFunctions()
      .filter((f) => kindHint === '' || f.kind === kindHint)
      .map((f) => f.name)
      .join(', ');
    throw new SyntaxError_(tok.range, `unknown function '${tok.text}': expected one of ${names}`, 'unknown-function');
  }

  private freeStmt(): Stmt {
    const { fn, tok } = this.callee();
    if (!fn) this.unknownFunction(tok, 'free');
    if (fn.kind !== 'free') {
      throw new SyntaxError_(tok.range, `${fn.name} returns a pointer: write NAME = ${fn.name}(...)`, 'wrong-form');
    }
    this.expect('(', "'('");
    const arg = this.ref(true);
    const close = this.expect(')', `')' (${fn.name} takes one pointer)`);
    return { type: 'free', fn, arg, range: span(tok.range, close.range) };
  }

  private assignment(): Stmt {
    const target = this.ref(false)!;
    this.expect('=', "'=' after the name");
    const { fn, tok } = this.callee();
    if (!fn) this.unknownFunction(tok, '');
    if (fn.kind === 'free') {
      throw new SyntaxError_(tok.range, `${fn.name} returns nothing: write ${fn.name}(NAME) on its own`, 'wrong-form');
    }
    this.expect('(', "'('");
    if (fn.kind === 'malloc') {
      const size = this.size('a size');
      const close = this.expect(')', `')' (${fn.name} takes one size)`);
      return { type: 'alloc', target, fn, count: null, size, range: span(target.range, close.range) };
    }
    if (fn.kind === 'calloc') {
      const count = this.size('an element count');
      this.expect(',', `',' (${fn.name} takes a count and a size)`);
      const size = this.size('an element size');
      const close = this.expect(')', "')'");
      return { type: 'alloc', target, fn, count, size, range: span(target.range, close.range) };
    }
    const source = this.ref(true);
    this.expect(',', `',' (${fn.name} takes a pointer and a size)`);
    const size = this.size('a size');
    const close = this.expect(')', "')'");
    return { type: 'realloc', target, fn, source, size, range: span(target.range, close.range) };
  }
}
