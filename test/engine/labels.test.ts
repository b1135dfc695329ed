/**
 * A label right before `#if` (parse/labels.ts): the label gets an empty statement so that tree-sitter
 * keeps the conditional, without moving any offset.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/engine';
import { labelsBeforeDirectives } from '../../server/src/engine/parse/labels';
import { parseC } from '../../server/src/engine/parse/parser';

beforeAll(async () => {
  await initParser();
});

const FN = [
  'static int',
  'f(int x)',
  '{',
  '    if (x)',
  '        goto done;',
  'done:',
  '#ifdef MS_WINDOWS',
  '    x = 1;',
  '#else',
  '    x = 2;',
  '#endif',
  '    return x;',
  '}',
  '',
  'static int',
  'g(int y)',
  '{',
  '    goto done;',
  'done:',
  '    return y;',
  '}',
  '',
].join('\n');

describe('labelsBeforeDirectives', () => {
  it('gives the label an empty statement and renames it in its own function only, keeping every offset', () => {
    const out = labelsBeforeDirectives(FN);
    expect(out.length).toBe(FN.length);
    expect(out.split('\n').map(l => l.length)).toEqual(FN.split('\n').map(l => l.length));
    const [f, g] = out.split('\n}\n');
    expect(f).toContain('don:;');
    expect(f).toContain('goto don ;');
    expect(f).not.toMatch(/\bdone\b/);
    // the other function's label is not before a directive: untouched, as are its gotos
    expect(g).toContain('goto done;');
    expect(g).toContain('done:\n');
  });

  it('lets tree-sitter keep the #if / #else arms as a conditional', () => {
    const tree = parseC(labelsBeforeDirectives(FN));
    try {
      const s = tree.rootNode.toString();
      expect(s).toContain('preproc_ifdef');
      expect(s).toContain('preproc_else');
      expect(tree.rootNode.hasError).toBe(false);
    } finally {
      tree.delete();
    }
    const before = parseC(FN);
    try {
      expect(before.rootNode.hasError).toBe(true); // what the rewrite is for
    } finally {
      before.delete();
    }
  });

  it('leaves the label alone when the shorter name is taken in that function', () => {
    const text = FN.replace('    if (x)', '    int don = x;\n    if (don)');
    expect(labelsBeforeDirectives(text)).toBe(text);
  });
});
