/**
 * Hover and code actions over real JSON-RPC. Every fix is applied the way an editor applies it
 * (the edit becomes a didChange) and the finding must then be gone.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { Workspace } from '../../server/src/engine';
import { LspClient, locate, scratch } from './lsp-client';

const TWO_BUGS = `#include <Python.h>
#include <stdlib.h>

static PyObject *
join_two(PyObject *self, PyObject *args)
{
    char *a = PyMem_Malloc(8);
    if (a == NULL)
        return PyErr_NoMemory();
    char *b = PyMem_RawMalloc(8);
    if (b == NULL) {
        PyMem_Free(a);
        return PyErr_NoMemory();
    }
    PyObject *res = PyBytes_FromStringAndSize(a, 8);
    free(a);
    free(b);
    return res;
}
`;

const full = (d: Diagnostic) => ({ start: d.range.start, end: d.range.end });
const actions = (list: unknown) => (list as CodeAction[]) ?? [];

describe('language server: hover', () => {
  let c: LspClient;
  let uri: string;
  beforeAll(async () => {
    c = await LspClient.start({ settings: { debounceMs: 0 } });
    uri = c.open(join(scratch('hover'), 'two.c'), TWO_BUGS);
    await c.diagnosticsFor(uri);
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('explains an allocator: family, matching deallocator, GIL, docs', async () => {
    const at = locate(TWO_BUGS, 'PyMem_Malloc(8)');
    const h = await c.hover(uri, at.line, at.character + 3);
    const text = c.hoverText(h);
    expect(text).toContain('**PyMem_Malloc**');
    expect(text).toContain('mem domain');
    expect(text).toContain('Release with `PyMem_Free()`');
    expect(text).toContain('GIL: call it with the GIL held');
    expect(text).toMatch(/\[Documentation\]\(https:\/\/docs\.python\.org\/3\/c-api\/memory\.html/);
    expect(h!.range).toEqual({ start: at, end: { line: at.line, character: at.character + 'PyMem_Malloc'.length } });
  });

  it('explains the raw domain as callable without the GIL', async () => {
    const at = locate(TWO_BUGS, 'PyMem_RawMalloc(8)');
    const text = c.hoverText(await c.hover(uri, at.line, at.character));
    expect(text).toContain('Release with `PyMem_RawFree()`');
    expect(text).toContain('callable without the GIL');
  });

  it('over the bad free(): the finding with its path, and what free() releases', async () => {
    const at = locate(TWO_BUGS, 'free(a);');
    const text = c.hoverText(await c.hover(uri, at.line, at.character + 1));
    expect(text).toContain('heaplint: Memory released by another allocator family');
    expect(text).toContain('`mixed-heap`');
    expect(text).toMatch(/allocated here by PyMem\\_Malloc/);
    expect(text).toContain('Quick fix: release with `PyMem_Free()`');
    expect(text).toContain('**free** — deallocator');
    expect(text).toMatch(/Releases memory from `malloc\(\)`/);
  });

  it('notes an API that the selected Python version does not have', async () => {
    const c2 = await LspClient.start({ settings: { debounceMs: 0, pythonVersion: '3.12' } });
    try {
      const src = '#include <Python.h>\nvoid f(void) {\n    void *p = PyObject_MALLOC(4);\n    PyObject_FREE(p);\n}\n';
      const u = c2.open(join(scratch('hover-version'), 'old.c'), src);
      await c2.diagnosticsFor(u);
      const at = locate(src, 'PyObject_MALLOC');
      const text = c2.hoverText(await c2.hover(u, at.line, at.character));
      expect(text).toContain('**PyObject_MALLOC** (macro)');
      expect(text).toMatch(/Alias of `PyObject_Malloc`|Not available in Python 3\.12/);
    } finally {
      await c2.stop();
    }
  });

  it('says what a pointer holds at that point: family, state, where it was allocated', async () => {
    expect(typeof (Workspace.prototype as { describeAt?: unknown }).describeAt).toBe('function');
    const at = locate(TWO_BUGS, 'PyBytes_FromStringAndSize(a, 8)');
    const text = c.hoverText(await c.hover(uri, at.line, at.character + 'PyBytes_FromStringAndSize('.length)); // on `a`
    expect(text).toContain('**`a`** here holds');
    expect(text).toMatch(/PyMem_Malloc\(\) at line 7 — mem domain/);
    expect(text).toMatch(/live; release with PyMem_Free\(\)/);
    // keywords and API names are not asked about
    const kw = locate(TWO_BUGS, 'return res;');
    expect(await c.hover(uri, kw.line, kw.character + 2)).toBeNull();
  });

  it('answers null between words and on unknown documents', async () => {
    expect(await c.hover(uri, 2, 0)).toBeNull();
    expect(await c.hover('file:///nowhere/x.c', 0, 0)).toBeNull();
  });
});

describe('language server: code actions', () => {
  let c: LspClient;
  beforeAll(async () => {
    c = await LspClient.start({ settings: { debounceMs: 0 } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('replaces the deallocator; applied, the finding disappears', async () => {
    const uri = c.open(join(scratch('fix-one'), 'two.c'), TWO_BUGS);
    const diags = (await c.diagnosticsFor(uri)).filter(d => d.code === 'mixed-heap');
    expect(diags).toHaveLength(2);
    const first = diags.find(d => d.message.includes('PyMem_Malloc'))!;
    const list = actions(await c.codeActions(uri, full(first), [first]));
    const fix = list.find(a => a.isPreferred && a.title.startsWith('Release with'))!;
    expect(fix.title).toBe('Release with PyMem_Free() instead of free()');
    expect(fix.kind).toBe('quickfix');
    expect(list.map(a => a.title)).toEqual(
      expect.arrayContaining(['Fix all 2 deallocator mismatches in this file', 'Suppress mixed-heap on this line', 'Show documentation for mixed-heap']),
    );
    c.applyEdit(fix.edit!);
    expect(c.text(uri)).toContain('    PyMem_Free(a);\n    free(b);');
    const after = await c.diagnosticsFor(uri);
    expect(after.filter(d => d.code === 'mixed-heap')).toHaveLength(1);
    expect(after[0].message).toContain('PyMem_RawMalloc');
  });

  it('fixes the whole file through source.fixAll.heaplint', async () => {
    const uri = c.open(join(scratch('fix-all'), 'two.c'), TWO_BUGS);
    await c.diagnosticsFor(uri, 30_000, d => d.length === 2);
    const list = actions(await c.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll']));
    expect(list).toHaveLength(1);
    expect(list[0].kind).toBe('source.fixAll.heaplint');
    c.applyEdit(list[0].edit!);
    expect(c.text(uri)).toContain('PyMem_Free(a);\n    PyMem_RawFree(b);');
    expect(await c.diagnosticsFor(uri)).toEqual([]);
    // nothing left to fix: no action at all
    expect(actions(await c.codeActions(uri, { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, [], ['source.fixAll.heaplint']))).toEqual([]);
  });

  it('suppresses one rule on one line; a second rule joins the same comment', async () => {
    const uri = c.open(join(scratch('suppress'), 'two.c'), TWO_BUGS);
    const diags = await c.diagnosticsFor(uri, 30_000, d => d.length === 2);
    const onA = diags.find(d => d.message.includes('PyMem_Malloc'))!;
    const sup = actions(await c.codeActions(uri, full(onA), [onA])).find(a => a.title === 'Suppress mixed-heap on this line')!;
    c.applyEdit(sup.edit!);
    expect(c.text(uri)).toContain('    /* heaplint-ignore-next-line mixed-heap */\n    free(a);');
    const left = await c.diagnosticsFor(uri);
    expect(left.map(d => d.code)).toEqual(['mixed-heap']);
    expect(left[0].message).toContain('PyMem_RawMalloc');
    expect(left.some(d => d.code === 'unused-suppression')).toBe(false);
  });

  it('removes a suppression nothing uses', async () => {
    const src = TWO_BUGS.replace('    char *a', '    /* heaplint-ignore-next-line leak */\n    char *a');
    const uri = c.open(join(scratch('unused'), 'two.c'), src);
    const diags = await c.diagnosticsFor(uri, 30_000, d => d.some(x => x.code === 'unused-suppression'));
    const unused = diags.find(d => d.code === 'unused-suppression')!;
    const list = actions(await c.codeActions(uri, full(unused), [unused]));
    expect(list.map(a => a.title)).toEqual(['Remove unused heaplint suppression']);
    c.applyEdit(list[0].edit!);
    expect(c.text(uri)).toBe(TWO_BUGS);
    await c.diagnosticsFor(uri, 30_000, d => !d.some(x => x.code === 'unused-suppression'));
  });

  it('opens the rule documentation through window/showDocument', async () => {
    const uri = c.open(join(scratch('docs'), 'two.c'), TWO_BUGS);
    const [d] = await c.diagnosticsFor(uri, 30_000, x => x.length === 2);
    const open = actions(await c.codeActions(uri, full(d), [d])).find(a => a.command?.command === 'heaplint.openRuleDocs')!;
    await c.executeCommand(open.command!.command, open.command!.arguments!);
    expect(c.shownDocuments.pop()).toEqual({ uri: expect.stringMatching(/docs\/rules\/mixed-heap\.md$/), external: true });
    expect(await c.executeCommand('heaplint.openRuleDocs', ['no-such-rule'])).toBeNull();
  });

  it('offers no fix whose target changed since the analysis', async () => {
    const uri = c.open(join(scratch('stale'), 'two.c'), TWO_BUGS);
    const diags = await c.diagnosticsFor(uri, 30_000, x => x.length === 2);
    const d = diags.find(x => x.message.includes('PyMem_Malloc'))!;
    const at = locate(TWO_BUGS, 'free(a);');
    c.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 4 } }, text: 'PyMem_Free' }]);
    const list = actions(await c.codeActions(uri, full(d), [d]));
    expect(list.some(a => a.title.startsWith('Release with'))).toBe(false);
  });
});
