/**
 * Incremental analysis over real JSON-RPC: however a document got to its text — one open, or a long
 * run of edits, some analysed and some superseded before their analysis ran — the server must publish
 * what a fresh open of that text publishes. The workspace below is built so that history matters if
 * anything about the call graph depends on which function bodies earlier analyses happened to convert:
 * the wrapper in the file nobody opens mentions its caller in a comment, which a textual scan of its
 * body reads as a call back, making the two one call cycle in which the caller may be analysed before
 * the wrapper's summary exists.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, locate, scratch } from './lsp-client';

// sorted before module.c, so the index and the call-graph walk meet the wrapper first
const WRAPPER = `#include <Python.h>

char *
make_buffer(Py_ssize_t n)
{
    /* the caller, use_buffer(), must release this with PyMem_Free() */
    return PyMem_Malloc(n);
}
`;

const MODULE = `#include <Python.h>
#include <stdlib.h>

char *make_buffer(Py_ssize_t n);

PyObject *
use_buffer(PyObject *self, PyObject *arg)
{
    char *p = make_buffer(16);
    if (p == NULL)
        return PyErr_NoMemory();
    p[0] = 'x';
    free(p);
    Py_RETURN_NONE;
}

static int
add_one(int x)
{
    int y = x + 1;
    return y;
}
`;

const key = (ds: Diagnostic[]) => ds.map(d => `${d.range.start.line}:${d.range.start.character} ${d.code} ${d.message}`).sort();

describe('language server: incremental analysis', () => {
  it('ends a run of rapid edits back to the original text with the diagnostics of a fresh open', async () => {
    const dir = scratch('incremental');
    writeFileSync(join(dir, 'a_wrapper.c'), WRAPPER);
    const file = join(dir, 'module.c');
    writeFileSync(file, MODULE);
    const c = await LspClient.start({ folders: [dir], settings: { debounceMs: 0 } });
    try {
      await c.progressEnded();
      const uri = c.open(file);
      const fresh = await c.diagnosticsFor(uri);

      // a space typed and deleted at places in both functions: each pair awaited, then a burst
      // whose intermediate versions are superseded before they are analysed
      const sites = ['p[0] = ', 'return y;', 'make_buffer(16)', 'int y = '];
      for (let round = 0; round < 3; round++) {
        for (const needle of sites) {
          const at = locate(c.text(uri), needle);
          c.change(uri, [{ range: { start: at, end: at }, text: ' ' }]);
          await c.diagnosticsFor(uri);
          c.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '' }]);
          await c.diagnosticsFor(uri);
        }
        for (const needle of sites) {
          const at = locate(c.text(uri), needle);
          c.change(uri, [{ range: { start: at, end: at }, text: ' ' }]);
          c.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: '' }]);
        }
      }
      expect(c.text(uri)).toBe(MODULE);
      const after = await c.diagnosticsFor(uri);
      expect(key(after)).toEqual(key(fresh));
      // and that is what a whole-program run (the CLI) reports: the wrapper's memory freed with free()
      expect(fresh.map(d => [d.code, d.range.start.line])).toContainEqual(['mixed-heap', locate(MODULE, 'free(p);').line]);
    } finally {
      await c.stop();
    }
  });
});
