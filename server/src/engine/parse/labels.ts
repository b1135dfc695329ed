/**
 * A label right before a preprocessor conditional (`done:` then `#if X`, common in error-handling
 * tails). tree-sitter wants a statement after a label, takes the `#if` line for an error, and reads
 * both arms as straight-line code, so a path of one build runs the other build's arm. The label gets
 * an empty statement: `done:` becomes `don:;`, one character shorter to make room, and every
 * `goto done` of the same function becomes `goto don `. Lengths and offsets are unchanged.
 *
 * The function is the text between the `}` that ends a line at column 0 before the label and the next
 * one after it: the end of the previous top-level item and the end of this function, in the usual
 * layout. Brace matching would be defeated by `#if` arms that split braces, as in the files where this
 * matters most. The rewrite is skipped when the shorter name is already used there.
 */

/** A colon ending a line whose next line opens a conditional; the label is checked from the line start. */
const COLON_BEFORE_DIRECTIVE = /:[ \t]*\r?\n[ \t]*#[ \t]*(?:if|ifdef|ifndef)\b/g;
const LABEL_LINE = /^([A-Za-z_]\w+):[ \t]*$/;

export function labelsBeforeDirectives(text: string): string {
  // same-length replacements by offset (the editor calls this on every keystroke: one scan, no
  // per-character work)
  const edits: [number, string][] = [];
  for (const c of text.matchAll(COLON_BEFORE_DIRECTIVE)) {
    const lineStart = text.lastIndexOf('\n', c.index) + 1;
    const m = LABEL_LINE.exec(text.slice(lineStart, text.indexOf('\n', c.index)).replace(/\r$/, ''));
    if (!m) continue;
    const name = m[1];
    const short = name.slice(0, -1);
    const before = text.lastIndexOf('\n}', lineStart);
    const after = text.indexOf('\n}', lineStart);
    if (after < 0) continue;
    const from = before < 0 ? 0 : before + 2;
    const inside = text.slice(from, after);
    if (new RegExp(`\\b${short}\\b`).test(inside)) continue;
    edits.push([lineStart, `${short}:;`]);
    for (const g of inside.matchAll(new RegExp(`\\bgoto(\\s+)${name}\\b`, 'g'))) edits.push([from + g.index + 4 + g[1].length, `${short} `]);
  }
  if (!edits.length) return text;
  edits.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let last = 0;
  for (const [at, replacement] of edits) {
    parts.push(text.slice(last, at), replacement);
    last = at + replacement.length;
  }
  parts.push(text.slice(last));
  return parts.join('');
}
