/**
 * Guesses (WorkspaceOptions.speculate): an edit inside a function tree-sitter parses with an error is
 * parsed with the function alone, analysed at once, and checked afterwards against a parse of the
 * whole file from scratch (Workspace.settle), which confirms the guess or replaces it. Whatever the
 * sequence of edits, once settled the findings are those of a fresh analysis — what the CLI reports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, Workspace } from '../../server/src/engine';
import { parseC } from '../../server/src/engine/parse/parser';
import { parseSource, type ParsedFile } from '../../server/src/engine/project/project';
import { reparseInPlace } from '../../server/src/engine/project/reparse';
import { confirms } from '../../server/src/engine/project/settle';
import { modelFor } from '../../allocator-model/src';

beforeAll(async () => {
  await initParser();
});

const model = modelFor();

// pack() keeps a syntax error; release() mixes heaps (line 14)
const source = readFileSync(join(__dirname, '..', 'shared', 'error-and-mixed-heap.c'), 'utf8');

function insert(text: string, after: string, what: string): string {
  const at = text.indexOf(after);
  if (at < 0) throw new Error(`no ${after}`);
  return text.slice(0, at + after.length) + what + text.slice(at + after.length);
}

const lines = (ws: Workspace) => ws.analyze(['m.c']).findings.map(f => `${f.range.startLine + 1}:${f.rule}`);

function fresh(text: string): string[] {
  const ws = new Workspace({ model });
  ws.upsert('m.c', text);
  return lines(ws);
}

describe('an edit inside a function with a syntax error', () => {
  it('is analysed at once from the function parsed alone, and a parse from scratch then confirms the guess', () => {
    const ws = new Workspace({ model, speculate: true });
    ws.upsert('m.c', source);
    expect(lines(ws)).toEqual(['14:mixed-heap']);
    expect(ws.unsettled('m.c')).toBe(false);
    const text = insert(source, 'RETURN_PACKED_ARGS(3,', ' ');
    ws.upsert('m.c', text);
    const guessed = ws.analyze(['m.c']);
    expect(guessed.stats.analysed).toBe(0); // pack() calls nothing that allocates; release() keeps its result
    expect(ws.unsettled('m.c')).toBe(true);
    expect(ws.settle('m.c')).toBe('confirmed');
    expect(ws.unsettled('m.c')).toBe(false);
    expect(ws.settle('m.c')).toBe('settled');
    const after = ws.analyze(['m.c']);
    expect(after.stats.analysed).toBe(0);
    expect(after.findings).toEqual(guessed.findings);
    expect(lines(ws)).toEqual(fresh(text));
  });

  it('is corrected when the parse from scratch disagrees: then the findings are those of a fresh analysis', () => {
    const ws = new Workspace({ model, speculate: true });
    ws.upsert('m.c', source);
    lines(ws);
    // an unterminated string: alone, pack() still ends at its brace; in the file, the string
    // swallows that brace and release() is parsed inside pack()
    const text = insert(source, 'RETURN_PACKED_ARGS(3, PyLong_', '"');
    ws.upsert('m.c', text);
    expect(lines(ws)).toEqual(['14:mixed-heap']); // the guess: release() as it was
    expect(ws.settle('m.c')).toBe('corrected');
    expect(ws.unsettled('m.c')).toBe(false);
    expect(lines(ws)).toEqual([]);
    expect(fresh(text)).toEqual([]);
  });

  it('without speculate is parsed with the whole file at once', () => {
    const ws = new Workspace({ model });
    ws.upsert('m.c', source);
    lines(ws);
    const text = insert(source, 'RETURN_PACKED_ARGS(3, PyLong_', '"');
    ws.upsert('m.c', text);
    expect(lines(ws)).toEqual([]);
    expect(ws.unsettled('m.c')).toBe(false);
    expect(ws.settle('m.c')).toBe('settled');
  });

  it('is checked node for node: a parse of the function alone against the tree of the whole file', () => {
    const before = parseSource({ path: 'm.c', text: source }, model, false, true) as ParsedFile;
    const right = reparseInPlace(before, insert(source, 'RETURN_PACKED_ARGS(3,', ' '), model, true)!;
    expect(right.unverified).toEqual([{ start: source.indexOf('static PyObject'), end: source.indexOf('\n}\n') + 3, guess: true }]);
    const exact = parseC(right.analysed);
    expect(confirms(right, exact)).toBe(true);
    exact.delete();
    right.tree?.delete();

    const again = parseSource({ path: 'm.c', text: source }, model, false, true) as ParsedFile;
    const wrong = reparseInPlace(again, insert(source, 'RETURN_PACKED_ARGS(3, PyLong_', '"'), model, true)!;
    const other = parseC(wrong.analysed);
    expect(confirms(wrong, other)).toBe(false);
    other.delete();
    wrong.tree?.delete();
  });
});

describe('a clean function edited after a guess', () => {
  it('keeps the guess to be checked: the file is settled only once the parse from scratch agrees', () => {
    const ws = new Workspace({ model, speculate: true });
    ws.upsert('m.c', source);
    lines(ws);
    let text = insert(source, 'RETURN_PACKED_ARGS(3,', ' ');
    ws.upsert('m.c', text);
    lines(ws);
    text = insert(text, 'char *p = PyMem_Malloc(4);', ' ');
    ws.upsert('m.c', text);
    expect(lines(ws)).toEqual(['14:mixed-heap']);
    expect(ws.unsettled('m.c')).toBe(true);
    expect(ws.settle('m.c')).toBe('confirmed');
    expect(lines(ws)).toEqual(fresh(text));
  });
});
