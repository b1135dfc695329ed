/**
 * Diagnostics over real JSON-RPC: what the server announces, what it publishes on open, change,
 * save and close, and how settings shape it.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver-protocol';
import { FIXTURES, LspClient, locate, scratch } from './lsp-client';

const MIXED = join(FIXTURES, 'mixed-heap/alias-through-casts.c');
const LEAKY = `#include <Python.h>
#include <stdlib.h>

static void
store(char **out)
{
    char *p = PyMem_Malloc(16);
    if (p == NULL)
        return;
    free(p);
}
`;

describe('language server: diagnostics', () => {
  let c: LspClient;
  beforeAll(async () => {
    c = await LspClient.start({ settings: { debounceMs: 0 } });
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('announces incremental sync, hover, quick fixes, fix-all and its commands', () => {
    const caps = c.initializeResult.capabilities;
    expect(caps.textDocumentSync).toMatchObject({ openClose: true, change: 2 });
    expect(caps.hoverProvider).toBe(true);
    expect(caps.codeActionProvider).toMatchObject({ codeActionKinds: expect.arrayContaining(['quickfix', 'source.fixAll.heaplint']) });
    expect(caps.executeCommandProvider?.commands).toContain('heaplint.openRuleDocs');
    expect(c.initializeResult.serverInfo?.name).toBe('heaplint');
  });

  it('publishes a finding on open with rule id, docs link, source, severity and related information', async () => {
    const uri = c.open(MIXED);
    const diags = await c.diagnosticsFor(uri);
    const text = readFileSync(MIXED, 'utf8');
    const bad = locate(text, 'PyObject_Free((void *)hdr);');
    const alloc = locate(text, 'PyMem_Malloc(sizeof');
    expect(diags).toHaveLength(1);
    const d = diags[0];
    expect(d.code).toBe('mixed-heap');
    expect(d.source).toBe('heaplint');
    expect(d.severity).toBe(DiagnosticSeverity.Error);
    expect(d.codeDescription?.href).toMatch(/docs\/rules\/mixed-heap\.md$/);
    expect(d.range.start).toEqual(bad);
    expect(d.message).toContain('PyMem_Free');
    expect(d.relatedInformation).toHaveLength(1);
    expect(d.relatedInformation![0].location.uri).toBe(uri);
    expect(d.relatedInformation![0].location.range.start.line).toBe(alloc.line);
    expect(d.relatedInformation![0].message).toMatch(/allocated here by PyMem_Malloc/);
    c.close(uri);
  });

  it('re-analyses on change (the finding goes and comes back) and clears on close', async () => {
    const dir = scratch('change');
    const file = join(dir, 'store.c');
    cpSync(MIXED, file);
    const uri = c.open(file);
    expect(await c.diagnosticsFor(uri)).toHaveLength(1);
    const text = c.text(uri);
    const at = locate(text, 'PyObject_Free((void *)hdr);');
    c.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 'PyObject_Free'.length } }, text: 'PyMem_Free' }]);
    expect(await c.diagnosticsFor(uri)).toHaveLength(0);
    c.change(uri, text);
    expect(await c.diagnosticsFor(uri)).toHaveLength(1);
    c.close(uri);
    await c.waitFor('diagnostics cleared on close', () => c.diagnostics.get(uri)?.diagnostics.length === 0);
  });

  it('reports a status with the Python version, the model and the analysis time', async () => {
    const uri = c.open(MIXED);
    await c.diagnosticsFor(uri);
    await c.waitFor('a status after an analysis', () => c.statuses.some(s => s.lastUri === uri));
    const s = c.statuses.filter(x => x.lastUri === uri).pop()!;
    expect(s.state).toBe('ready');
    expect(s.python).toBe('3.12');
    expect(s.model).toBe('bundled');
    expect(s.lastMs).toBeGreaterThanOrEqual(0);
    expect(s.budgetMs).toBeGreaterThan(0);
    c.close(uri);
  });

  it('reports unused suppressions as hints tagged Unnecessary, and honours the used ones', async () => {
    const dir = scratch('suppress');
    const file = join(dir, 'sup.c');
    const text = LEAKY.replace('    free(p);', '    /* heaplint-ignore-next-line mixed-heap */\n    free(p);').replace(
      'static void',
      '/* heaplint-ignore-next-line leak */\nstatic void',
    );
    const uri = c.open(file, text);
    const diags = await c.diagnosticsFor(uri);
    expect(diags.filter(d => d.code === 'mixed-heap')).toHaveLength(0);
    const unused = diags.filter(d => d.code === 'unused-suppression');
    expect(unused).toHaveLength(1);
    expect(unused[0].severity).toBe(DiagnosticSeverity.Hint);
    expect(unused[0].tags).toEqual([DiagnosticTag.Unnecessary]);
    expect(unused[0].range.start.line).toBe(locate(text, 'heaplint-ignore-next-line leak').line);
    c.close(uri);
  });

  it('shows a .h file opened as C++ (how VS Code opens headers) and ignores other C++ files', async () => {
    const dir = scratch('header');
    const header = join(dir, 'inline.h');
    const uri = c.open(header, LEAKY.replace('static void', 'static inline void'), 'cpp');
    expect((await c.diagnosticsFor(uri)).map(d => d.code)).toContain('mixed-heap');
    const cpp = c.open(join(dir, 'other.cpp'), LEAKY, 'cpp');
    await new Promise(r => setTimeout(r, 300));
    expect(c.diagnostics.get(cpp)).toBeUndefined();
    c.close(uri);
    c.close(cpp);
  });
});

describe('language server: settings', () => {
  it('applies heaplint.rules per document, run: off and onSave, and re-validates on a configuration change', async () => {
    let settings: Record<string, unknown> = { debounceMs: 0, rules: { 'mixed-heap': 'warning' } };
    const c = await LspClient.start({ settings: () => settings });
    try {
      const dir = scratch('settings');
      const file = join(dir, 'store.c');
      cpSync(MIXED, file);
      const uri = c.open(file);
      expect((await c.diagnosticsFor(uri))[0].severity).toBe(DiagnosticSeverity.Warning);

      settings = { debounceMs: 0, rules: { 'mixed-heap': 'off' } };
      c.configurationChanged(settings);
      await c.diagnosticsFor(uri, 10_000, d => d.length === 0);

      settings = { debounceMs: 0, run: 'onSave' };
      c.configurationChanged(settings);
      await c.diagnosticsFor(uri, 10_000, d => d.length === 1);
      const text = c.text(uri);
      const at = locate(text, 'PyObject_Free((void *)hdr);');
      const v = c.change(uri, [{ range: { start: at, end: { line: at.line, character: at.character + 'PyObject_Free'.length } }, text: 'PyMem_Free' }]);
      await new Promise(r => setTimeout(r, 400));
      expect(c.diagnostics.get(uri)?.version).not.toBe(v); // not analysed while typing
      c.save(uri);
      await c.diagnosticsFor(uri, 10_000, d => d.length === 0);

      settings = { run: 'off' };
      c.configurationChanged(settings);
      c.change(uri, text);
      await c.waitFor('cleared with run: off', () => c.diagnostics.get(uri)?.diagnostics.length === 0);
      await new Promise(r => setTimeout(r, 300));
      expect(c.diagnostics.get(uri)?.diagnostics).toHaveLength(0);
    } finally {
      await c.stop();
    }
  });

  it('checks against heaplint.pythonVersion', async () => {
    const c = await LspClient.start({ settings: { debounceMs: 0, pythonVersion: '3.13t' } });
    try {
      const uri = c.open(MIXED);
      await c.diagnosticsFor(uri);
      await c.waitFor('status', () => c.statuses.some(s => s.lastUri === uri));
      expect(c.statuses.filter(s => s.lastUri === uri).pop()!.python).toBe('3.13t');
    } finally {
      await c.stop();
    }
  });

  it('turns related locations into hint diagnostics for a client without relatedInformation', async () => {
    const c = await LspClient.start({ settings: { debounceMs: 0 }, relatedInformation: false });
    try {
      const uri = c.open(MIXED);
      const diags = await c.diagnosticsFor(uri);
      const main = diags.find(d => d.severity === DiagnosticSeverity.Error)!;
      expect(main.relatedInformation).toBeUndefined();
      const hint = diags.find(d => d.severity === DiagnosticSeverity.Hint)!;
      expect(hint.message).toMatch(/allocated here by PyMem_Malloc.*see mixed-heap at line \d+/);
      expect(hint.range.start.line).toBe(locate(readFileSync(MIXED, 'utf8'), 'PyMem_Malloc(sizeof').line);
    } finally {
      await c.stop();
    }
  });
});
