import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/engine';
import { parseC } from '../../server/src/engine/parse/parser';
import { neutralise } from '../../server/src/engine/parse/neutralise';
import { toSyntax } from '../../server/src/engine/parse/syntax';
import { modelFor } from '../../allocator-model/src';

const sample = readFileSync(join(__dirname, '..', '..', 'examples', 'spam', 'spammodule.c'), 'utf8');

beforeAll(async () => {
  await initParser();
});

describe('parsing', () => {
  it('the WASM grammar and the native tree-sitter 0.25 binding produce the same tree', async () => {
    const tree = parseC(sample);
    const wasm = tree.rootNode.toString();
    tree.delete();
    const Native = (await import('tree-sitter')).default as unknown as new () => { setLanguage(l: unknown): void; parse(t: string): { rootNode: { toString(): string } } };
    const language = (await import('tree-sitter-c')).default;
    const parser = new Native();
    parser.setLanguage(language);
    expect(parser.parse(sample).rootNode.toString()).toBe(wasm);
    expect(wasm).toContain('function_definition');
  });

  it('neutralises statement macros without moving any offset', () => {
    const text = 'void f(void) {\n    Py_BEGIN_ALLOW_THREADS\n    g();\n    Py_END_ALLOW_THREADS\n}\n';
    const out = neutralise(text, modelFor());
    expect(out.length).toBe(text.length);
    expect(out.split('\n').map(l => l.length)).toEqual(text.split('\n').map(l => l.length));
    const tree = parseC(out);
    expect(tree.rootNode.hasError).toBe(false);
    tree.delete();
  });

  it('positions are UTF-16 columns, computed from offsets', () => {
    const text = '/* héllo ✓ */ int x;\nint y = 1;\n';
    const tree = parseC(text);
    const root = toSyntax(tree, text);
    tree.delete();
    // comments are not copied: the two declarations are the only children
    const [first, second] = root.children;
    expect(second.row).toBe(1);
    expect(second.col).toBe(0);
    expect(first.row).toBe(0);
    expect(first.col).toBe(text.indexOf('int x'));
  });
});
