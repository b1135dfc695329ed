/**
 * Inputs that must not hurt the server: a 50,000-line file, random bytes, garbage, pathological
 * nesting, bursts of edits with cancelled requests, a cancelled scan. After each, the server still
 * answers and its process is alive.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancellationTokenSource, DiagnosticSeverity, HoverRequest, WorkDoneProgressCancelNotification } from 'vscode-languageserver-protocol';
import type { ScanResult } from '../../server/src/lsp/protocol';
import { LspClient, locate, scratch, uriOf } from './lsp-client';

const BUGGY_FUNCTION = (i: number) => `
static PyObject *
fn_${i}(PyObject *self, PyObject *arg)
{
    char *buf = PyMem_Malloc(64);
    if (buf == NULL)
        return PyErr_NoMemory();
    memset(buf, 0, 64);
    PyObject *res = PyBytes_FromStringAndSize(buf, 64);
    ${i % 100 === 0 ? 'free(buf);' : 'PyMem_Free(buf);'}
    return res;
}
`;

async function alive(c: LspClient, uri: string): Promise<void> {
  expect(c.exited).toBeUndefined();
  await c.hover(uri, 0, 0); // answered (null or not)
}

describe('language server: robustness', () => {
  let c: LspClient;
  let dir: string;
  beforeAll(async () => {
    dir = scratch('robust');
    c = await LspClient.start({ settings: { debounceMs: 0 } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('analyses a 50,000-line file and stays responsive', async () => {
    let text = '#include <Python.h>\n#include <string.h>\n#include <stdlib.h>\n';
    let i = 0;
    while (text.split('\n').length < 50_000) text += BUGGY_FUNCTION(i++);
    const lines = text.split('\n').length;
    expect(lines).toBeGreaterThanOrEqual(50_000);
    const t0 = performance.now();
    const uri = c.open(join(dir, 'huge.c'), text);
    const diags = await c.diagnosticsFor(uri, 60_000);
    const ms = performance.now() - t0;
    expect(diags.filter(d => d.code === 'mixed-heap')).toHaveLength(Math.ceil(i / 100));
    const last = locate(text, `fn_${i - 1}(`);
    const h = await c.hover(uri, last.line + 2, 20); // PyMem_Malloc in the last function
    expect(c.hoverText(h)).toContain('PyMem_Malloc');
    // an edit at the end of the file
    c.change(uri, [{ range: { start: { line: lines - 1, character: 0 }, end: { line: lines - 1, character: 0 } }, text: '/* end */\n' }]);
    await c.diagnosticsFor(uri, 60_000);
    console.log(`50,000-line file (${lines} lines, ${i} functions): first diagnostics in ${Math.round(ms)} ms`);
    c.close(uri);
  });

  it('turns a file of random bytes into one diagnostic, open or only on disk', async () => {
    const bytes = randomBytes(64 * 1024);
    const uri = c.open(join(dir, 'random.c'), bytes.toString('utf8'));
    const diags = await c.diagnosticsFor(uri);
    expect(diags).toHaveLength(1);
    expect(diags[0].severity).toBe(DiagnosticSeverity.Warning);
    expect(diags[0].message).toMatch(/heaplint: .*binary/);
    await alive(c, uri);
    c.close(uri);

    const folder = scratch('random-on-disk');
    writeFileSync(join(folder, 'noise.h'), bytes);
    writeFileSync(join(folder, 'ok.c'), '#include "noise.h"\nint ok(void) { return 0; }\n');
    const c2 = await LspClient.start({ folders: [folder], settings: { debounceMs: 0 } });
    try {
      await c2.progressEnded();
      expect(await c2.request<ScanResult>('heaplint/scanWorkspace')).toMatchObject({ files: 2 });
      const onDisk = await c2.diagnosticsFor(uriOf(join(folder, 'noise.h')));
      expect(onDisk.map(d => d.message)).toEqual([expect.stringMatching(/binary/)]);
      await alive(c2, uriOf(join(folder, 'ok.c')));
    } finally {
      await c2.stop();
    }
  });

  it('survives garbage text and pathological nesting', async () => {
    const garbage = c.open(join(dir, 'garbage.c'), randomBytes(48 * 1024).toString('base64').replace(/(.{70})/g, '$1{(;\n'));
    await c.diagnosticsFor(garbage);
    const deep = 'int f(void) { return ' + '('.repeat(20_000) + '1' + ')'.repeat(20_000) + '; }\nvoid g(void) { char *p = malloc(1); if (!p) return; PyMem_Free(p); }\n';
    const nested = c.open(join(dir, 'nested.c'), deep);
    const diags = await c.diagnosticsFor(nested, 60_000);
    expect(diags.length).toBeGreaterThanOrEqual(1); // the finding in g(), or one diagnostic saying why not
    await alive(c, nested);
    c.close(garbage);
    c.close(nested);
  });

  it('answers every request through a burst of edits with cancellations, and ends on the last version', async () => {
    const c2 = await LspClient.start({ settings: { debounceMs: 20 } });
    try {
      const src = '#include <Python.h>\n#include <stdlib.h>\n' + Array.from({ length: 40 }, (_, i) => BUGGY_FUNCTION(i * 100)).join('');
      const uri = c2.open(join(dir, 'burst.c'), src);
      await c2.diagnosticsFor(uri);
      const before = c2.published.filter(p => p.uri === uri).length;
      const hovers: Promise<unknown>[] = [];
      for (let k = 0; k < 100; k++) {
        const at = locate(c2.text(uri), 'PyMem_Malloc(64)');
        c2.change(uri, [{ range: { start: at, end: at }, text: k % 2 ? ' ' : '' }]);
        c2.change(uri, [{ range: { start: { line: at.line, character: 4 }, end: { line: at.line, character: 4 } }, text: 'x' }]);
        c2.change(uri, [{ range: { start: { line: at.line, character: 4 }, end: { line: at.line, character: 5 } }, text: '' }]);
        const source = new CancellationTokenSource();
        hovers.push(
          c2.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: at.line, character: at.character + 2 } }, source.token).then(
            () => 'answered',
            () => 'cancelled',
          ),
        );
        if (k % 2) source.cancel();
      }
      const outcomes = await Promise.all(hovers);
      expect(outcomes).toHaveLength(100);
      const final = await c2.diagnosticsFor(uri, 30_000);
      expect(final.filter(d => d.code === 'mixed-heap')).toHaveLength(40);
      const runs = c2.published.filter(p => p.uri === uri).length - before;
      expect(runs).toBeLessThan(300); // bursts are coalesced by the debounce
      await alive(c2, uri);
    } finally {
      await c2.stop();
    }
  });

  it('stops a workspace scan when the user cancels its progress', async () => {
    const big = scratch('cancel-scan');
    for (let i = 0; i < 1500; i++) writeFileSync(join(big, `m${i}.c`), `#include <stdlib.h>\nvoid f${i}(void) { char *p = malloc(4); free(p); }\n`);
    const c3 = await LspClient.start({ folders: [big], settings: { debounceMs: 0 } });
    try {
      await c3.progressEnded();
      const scan = c3.request<ScanResult>('heaplint/scanWorkspace');
      await c3.waitFor('scan begins', () => c3.progress.some(p => p.value.title === 'HeapLint: scanning the workspace'));
      const token = c3.progress.find(p => p.value.title === 'HeapLint: scanning the workspace')!.token;
      await c3.conn.sendNotification(WorkDoneProgressCancelNotification.type, { token });
      const r = await scan;
      expect(r.cancelled).toBe(true);
      await c3.waitFor('progress end after cancel', () => c3.progress.some(p => p.token === token && p.value.kind === 'end'));
      const uri = c3.open(join(big, 'm1.c'));
      await c3.diagnosticsFor(uri);
      await alive(c3, uri);
    } finally {
      await c3.stop();
    }
  });
});
