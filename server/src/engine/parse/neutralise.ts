/**
 * Same-length rewrites of macros that tree-sitter misparses. Offsets, lines and columns of everything
 * else are unchanged, so findings map straight back to the user's text.
 *
 * - Statement macros (Py_BEGIN_ALLOW_THREADS …) become calls to marker functions `__HL_R…();`,
 *   `__HL_A…();` or `__HL_N…();` (GIL released / acquired / no effect) that the engine recognises.
 * - Member macros (PyObject_HEAD) become an int member.
 * - Type wrappers (Py_LOCAL_INLINE(T)) become their expansion's storage class.
 * - PyVarObject_HEAD_INIT(...) in type initializers becomes `{0}` plus the comma its expansion carries.
 * - A label right before `#if` gets an empty statement (labels.ts).
 */
import type { Model } from '../../../../allocator-model/src/model';
import { labelsBeforeDirectives } from './labels';

export const GIL_RELEASE_MARKER = '__HL_R';
export const GIL_ACQUIRE_MARKER = '__HL_A';
export const NEUTRAL_MARKER = '__HL_N';

interface Plan {
  regex: RegExp;
  /** Macros taking a type argument (PyMem_New(PyObject *, n)): index of that argument. */
  typeArgs: Map<string, number>;
  typeRegex: RegExp | undefined;
  kinds: Map<string, 'stmt' | 'stmt-fn' | 'member' | 'type' | 'init'>;
  effects: Map<string, string>;
  replacements: Map<string, string>;
}

const plans = new WeakMap<Model, Plan>();

function planFor(model: Model): Plan {
  let plan = plans.get(model);
  if (plan) return plan;
  const kinds = new Map<string, 'stmt' | 'stmt-fn' | 'member' | 'type' | 'init'>();
  const effects = new Map<string, string>();
  const replacements = new Map<string, string>();
  for (const m of model.statementMacros.values()) {
    kinds.set(m.name, m.functionLike ? 'stmt-fn' : 'stmt');
    effects.set(m.name, m.effect === 'gil-release' ? GIL_RELEASE_MARKER : m.effect === 'gil-acquire' ? GIL_ACQUIRE_MARKER : NEUTRAL_MARKER);
  }
  for (const m of model.memberMacros) kinds.set(m, 'member');
  for (const m of model.typeWrapperMacros.values()) {
    kinds.set(m.name, 'type');
    replacements.set(m.name, m.replacement);
  }
  for (const m of model.headInitMacros) kinds.set(m, 'init');
  const names = [...kinds.keys()].sort((a, b) => b.length - a.length).map(n => n.replace(/[^A-Za-z0-9_]/g, ''));
  const typeArgs = new Map<string, number>();
  for (const a of model.apis.values()) if (a.typeArg !== undefined) typeArgs.set(a.name, a.typeArg);
  const typeNames = [...typeArgs.keys()].sort((a, b) => b.length - a.length);
  plan = {
    regex: new RegExp(`\\b(${names.join('|')})\\b`, 'g'), kinds, effects, replacements, typeArgs,
    typeRegex: typeNames.length ? new RegExp(`\\b(${typeNames.join('|')})\\s*\\(`, 'g') : undefined,
  };
  plans.set(model, plan);
  return plan;
}

/** Index just past the parenthesised group starting at `open` (which must be '('), or -1. */
function matchParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (ch === '\n' && depth === 0) return -1;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || text[i] === '\n')) i++;
  return i;
}

function pad(ident: string, len: number): string {
  return ident.length >= len ? ident.slice(0, len) : ident + '_'.repeat(len - ident.length);
}

/** True when offset `i` sits on a preprocessor line (a #define of the macro itself, say). */
function onDirectiveLine(text: string, i: number): boolean {
  let j = text.lastIndexOf('\n', i - 1) + 1;
  while (j < i && (text[j] === ' ' || text[j] === '\t')) j++;
  return text[j] === '#';
}

/**
 * `PyMem_New(PyObject *, n)` is a macro whose first argument is a type, which no C parser accepts as
 * an expression: the type is spelled as one identifier of the same length (`PyObject__`).
 */
function neutraliseTypeArgs(text: string, plan: Plan): string {
  const re = plan.typeRegex;
  if (!re) return text;
  re.lastIndex = 0;
  // positions to turn into '_', in increasing order (matches do not overlap once spliced): a big
  // file has few of them, and splitting it into an array of characters cost more than the parse
  const blanks: number[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    const index = plan.typeArgs.get(m[1])!;
    const open = m.index + m[0].length - 1;
    const close = matchParen(text, open);
    if (close < 0) continue;
    let depth = 0;
    let arg = 0;
    let start = open + 1;
    for (let i = open + 1; i < close; i++) {
      const ch = text[i];
      if (ch === '(' || ch === '[') depth++;
      else if (ch === ')' || ch === ']') depth--;
      if ((ch === ',' && depth === 0) || i === close - 1) {
        const end = ch === ',' && depth === 0 ? i : close - 1;
        if (arg === index) {
          const raw = text.slice(start, end);
          const lead = raw.length - raw.trimStart().length;
          const body = raw.trim();
          if (/[^A-Za-z0-9_]/.test(body) && !/[()]/.test(body)) {
            for (let k = 0; k < body.length; k++) if (!/[A-Za-z0-9_]/.test(body[k])) blanks.push(start + lead + k);
          }
          break;
        }
        arg++;
        start = i + 1;
      }
    }
  }
  if (!blanks.length) return text;
  blanks.sort((a, b) => a - b);
  const parts: string[] = [];
  let from = 0;
  for (const at of blanks) {
    if (at < from) continue; // the same position twice
    parts.push(text.slice(from, at), '_');
    from = at + 1;
  }
  parts.push(text.slice(from));
  return parts.join('');
}

export function neutralise(source: string, model: Model): string {
  const plan = planFor(model);
  const text = neutraliseTypeArgs(labelsBeforeDirectives(source), plan);
  plan.regex.lastIndex = 0;
  let out: string[] | undefined;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = plan.regex.exec(text))) {
    const name = m[1];
    const start = m.index;
    if (onDirectiveLine(text, start)) continue;
    const kind = plan.kinds.get(name)!;
    let end = start + name.length;
    let replacement: string | undefined;
    if (kind === 'stmt' || kind === 'stmt-fn') {
      let after = skipSpace(text, end);
      if (text[after] === '(') {
        const close = matchParen(text, after);
        if (close < 0) continue;
        end = close;
        after = skipSpace(text, end);
      }
      const hasSemi = text[after] === ';';
      const marker = plan.effects.get(name)!;
      const body = hasSemi ? '()' : '();';
      replacement = pad(marker, end - start - body.length) + body;
    } else if (kind === 'member') {
      const hasSemi = text[skipSpace(text, end)] === ';';
      const ident = pad('_hl', end - start - 4 - (hasSemi ? 0 : 1));
      replacement = `int ${ident}${hasSemi ? '' : ';'}`;
    } else if (kind === 'type') {
      const open = skipSpace(text, end);
      if (text[open] !== '(') continue;
      const close = matchParen(text, open);
      if (close < 0) continue;
      const inner = text.slice(open + 1, close - 1);
      const storage = plan.replacements.get(name)!;
      const head = storage.padEnd(open + 1 - start, ' ');
      if (head.length !== open + 1 - start) continue;
      replacement = head + inner + ' ';
      end = close;
    } else {
      const open = skipSpace(text, end);
      if (text[open] !== '(') continue;
      const close = matchParen(text, open);
      if (close < 0) continue;
      end = close;
      const hasComma = text[skipSpace(text, end)] === ',';
      const len = end - start;
      replacement = hasComma ? '{0}' + ' '.repeat(len - 3) : '{0}' + ' '.repeat(len - 4) + ',';
    }
    if (replacement === undefined || replacement.length !== end - start) continue;
    (out ??= []).push(text.slice(last, start), replacement);
    last = end;
    plan.regex.lastIndex = end;
  }
  if (!out) return text;
  out.push(text.slice(last));
  return out.join('');
}
