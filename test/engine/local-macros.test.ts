/**
 * Which bodies a parse converts at once (project.ts bodySkipper): those naming an allocator, a
 * deallocator or a GIL release, directly or through a macro of the file that does. Other bodies stay
 * unconverted until an analysis needs them, and their mentions are read off their text (facts.ts).
 */
import { describe, expect, it } from 'vitest';
import { modelFor } from '../../allocator-model/src';
import { wordsOfCode } from '../../server/src/engine/project/facts';
import { localMacroNames, macroNamesAfterEdit, type ParsedFile } from '../../server/src/engine/project/project';

const model = modelFor({}, '3.11');

const MACROS = [
  '#define MAX(a, b) ((a) > (b) ? (a) : (b))',
  '#define NEW_BUF(n) \\',
  '    ((char *)PyMem_Malloc(n))',
  '#define NEW_TWO() NEW_BUF(2)',
  '#define CHECK(x) if (!(x)) return NULL',
  'static int f(void) { return MAX(1, 2); }',
].join('\n');

describe('localMacroNames', () => {
  it('names the macros that allocate, on continuation lines too and through other macros of the file', () => {
    expect(localMacroNames(MACROS, model)).toEqual(['NEW_BUF', 'NEW_TWO']);
  });

  it('sees an edit of a continuation line that makes a macro allocate', () => {
    const before = MACROS.replace('PyMem_Malloc', 'some_helper');
    expect(localMacroNames(before, model)).toEqual([]);
    const prev = { analysed: before, macroNames: localMacroNames(before, model) } as unknown as ParsedFile;
    const from = before.indexOf('some_helper');
    const after = MACROS;
    expect(macroNamesAfterEdit(prev, after, from, from + 'some_helper'.length, from + 'PyMem_Malloc'.length, model)).toBeUndefined();
    // an edit in a function body leaves them as they were
    const body = before.indexOf('return MAX');
    expect(macroNamesAfterEdit(prev, before, body, body, body, model)).toEqual([]);
  });
});

describe('wordsOfCode', () => {
  it('reads the words that may be identifiers: not comments, literals, member names or numbers', () => {
    const text = '{ /* free(p) */ x = self->release(y.free, "PyMem_Free(p)", \'a\'); // PyMem_Malloc\n  z = 0x1fUL + 1e5; return helper(x); }';
    const words = new Set<string>();
    wordsOfCode(text, 0, text.length, words);
    expect([...words]).toEqual(['x', 'self', 'y', 'z', 'return', 'helper']);
  });
});
