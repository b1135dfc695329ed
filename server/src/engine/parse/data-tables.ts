/**
 * Big initialisers of numbers only — Unicode databases, generated parser tables — make the largest
 * syntax trees by far, take a fifth of the time tree-sitter spends on CPython, and tree-sitter's WASM
 * memory, once grown to hold one, never shrinks. Nothing in them matters to the analysis (no
 * identifier, no call), so unless the file is open in the editor (where every node may be hovered)
 * they are blanked before parsing: the same length and the same line breaks, so every offset stays valid.
 */
import { spaces, type BodySpan, type TopLevelBraces } from './function-bodies';

/** Initialisers shorter than this are left alone: they cost little, and scanning them costs time. */
const MIN_TABLE = 4096;

export function blankNumericTables(text: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let open = text.indexOf('{'); open >= 0; open = text.indexOf('{', open + 1)) {
    const close = numericTableEnd(text, open);
    if (close < 0 || close - open < MIN_TABLE) continue;
    parts.push(text.slice(from, open + 1), spaces(text.slice(open + 1, close)));
    from = close;
    open = close;
  }
  if (!parts.length) return text;
  parts.push(text.slice(from));
  return parts.join('');
}


/**
 * The offset of the `}` closing the brace at `open` when everything between is numbers, commas,
 * nested braces and white space; -1 otherwise (it gives up at the first other character, so most
 * braces cost a few characters of scanning).
 */
function numericTableEnd(text: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */) depth++;
    else if (c === 0x7d /* } */) {
      if (--depth === 0) return i;
    } else if (c === 0x2c /* , */ || c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
      // separators
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d /* - */) {
      // a number: digits, then hex digits / x / suffixes as part of the same token
      i++;
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++;
      continue;
    } else return -1;
    i++;
  }
  return -1;
}

/** Digits, hex digits, `x` and the suffixes u/l: the rest of a number token. */
function isNumberChar(c: number): boolean {
  const lower = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66) || lower === 0x78 /* x */ || lower === 0x75 /* u */ || lower === 0x6c /* l */;
}

/** Top-level initializers shorter than this are left alone: they cost tree-sitter little. */
const MIN_INITIALIZER = 512;

/**
 * The top-level initializers among `braces` whose declarations name no type whose tables are read
 * (`read`, asked of every word before the `=`, comments included, so a doubt keeps the table):
 * the parse leaves them unconverted anyway (facts.ts, unreadInitializer), so a lint cuts their insides
 * out of the text it parses (function-bodies.ts, cutBraces). Generated tables of strings, structs and
 * macros (CJK codecs, OpenSSL error codes) are most of their files. One holding preprocessor lines is
 * taken only if they are conditionals that open and close inside it.
 */
export function unreadInitializers(text: string, braces: readonly TopLevelBraces[], read: (word: string) => boolean): BodySpan[] {
  const out: BodySpan[] = [];
  for (const b of braces) {
    if (b.kind !== 'initializer' || b.close - b.open < MIN_INITIALIZER || (b.directives && !b.balanced)) continue;
    const words = text.slice(b.head, b.open).match(/[A-Za-z_]\w*/g) ?? [];
    if (!words.some(read)) out.push({ open: b.open, close: b.close });
  }
  return out;
}
