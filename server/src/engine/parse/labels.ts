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

const LABEL_BEFORE_DIRECTIVE = /^([A-Za-z_]\w+):([ \t]*)(?=\r?\n[ \t]*#[ \t]*(?:if|ifdef|ifndef)\b)/gm;

export function labelsBeforeDirectives(text: string): string {
  LABEL_BEFORE_DIRECTIVE.lastIndex = 0;
  const found = LABEL_BEFORE_DIRECTIVE.test(text);
  LABEL_BEFORE_DIRECTIVE.lastIndex = 0; // matchAll would start where test() stopped
  if (!found) return text;
  const chars = text.split('');
  let changed = false;
  for (const m of text.matchAll(LABEL_BEFORE_DIRECTIVE)) {
    const name = m[1];
    const short = name.slice(0, -1);
    const before = text.lastIndexOf('\n}', m.index);
    const after = text.indexOf('\n}', m.index);
    if (after < 0) continue;
    const from = before < 0 ? 0 : before + 2;
    const inside = text.slice(from, after);
    if (new RegExp(`\\b${short}\\b`).test(inside)) continue;
    const label = `${short}:;`;
    for (let i = 0; i < label.length; i++) chars[m.index + i] = label[i];
    for (const g of inside.matchAll(new RegExp(`\\bgoto(\\s+)${name}\\b`, 'g'))) {
      const start = from + g.index + 4 + g[1].length;
      for (let i = 0; i < name.length; i++) chars[start + i] = i < short.length ? short[i] : ' ';
    }
    changed = true;
  }
  return changed ? chars.join('') : text;
}
