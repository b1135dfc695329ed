/**
 * Big initialisers of numbers only — Unicode databases, generated parser tables — make the largest
 * syntax trees by far, and tree-sitter's WASM memory, once grown to hold one, never shrinks. Nothing
 * in them can matter to a file nobody has open (no identifier, no call), so for such files they are
 * blanked before parsing: the same length and the same line breaks, so every offset stays valid.
 */

/** Initialisers shorter than this are left alone: they cost little, and scanning them costs time. */
const MIN_TABLE = 4096;

export function blankNumericTables(text: string): string {
  const parts: string[] = [];
  let from = 0;
  for (let open = text.indexOf('{'); open >= 0; open = text.indexOf('{', open + 1)) {
    const close = numericTableEnd(text, open);
    if (close < 0 || close - open < MIN_TABLE) continue;
    parts.push(text.slice(from, open + 1), text.slice(open + 1, close).replace(/[^\n]/g, ' '));
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
      while (i < text.length && /[0-9a-fA-FxXuUlL]/.test(text[i])) i++;
      continue;
    } else return -1;
    i++;
  }
  return -1;
}
