/**
 * The workspace index over real JSON-RPC: the scan with its progress, findings that depend on files
 * nobody opened, file watching, the file cap and excludes, Restricted Mode, "Scan Workspace", and
 * heaplint.json (broken, fixed, changed).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileChangeType } from 'vscode-languageserver-protocol';
import type { ScanResult } from '../../server/src/lsp/protocol';
import { FIXTURES, LspClient, locate, scratch, uriOf } from './lsp-client';

const WRAPPERS = join(FIXTURES, 'mixed-heap/wrappers-across-files.multi');
const ARENA = join(FIXTURES, 'mixed-heap/custom-arena-family.multi');

function project(name: string, from: string): string {
  const dir = scratch(name);
  cpSync(from, dir, { recursive: true });
  return dir;
}

describe('language server: workspace index', () => {
  it('indexes the folder with cancellable progress, so wrappers in unopened files are known', async () => {
    const dir = project('index', WRAPPERS);
    const c = await LspClient.start({ folders: [dir], settings: { debounceMs: 0 } });
    try {
      await c.progressEnded();
      const begin = c.progress.find(p => p.value.kind === 'begin')!;
      expect(begin.value).toMatchObject({ title: 'HeapLint: indexing C files', cancellable: true });
      expect(c.progressTokens).toContain(begin.token);
      expect(c.registrations).toEqual(expect.arrayContaining(['workspace/didChangeWatchedFiles', 'workspace/didChangeConfiguration']));
      const uri = c.open(join(dir, 'module.c'));
      const diags = await c.diagnosticsFor(uri, 30_000, d => d.length >= 2);
      const text = readFileSync(join(dir, 'module.c'), 'utf8');
      expect(diags.map(d => [d.code, d.range.start.line]).sort()).toEqual(
        [['mixed-heap', locate(text, 'free(path);').line], ['mixed-heap', locate(text, 'su_release(copy);').line]].sort(),
      );
      expect(diags.find(d => d.range.start.line === locate(text, 'free(path);').line)!.message).toMatch(/su_path_join\(\) \(which allocates with PyMem_Malloc\(\)\)/);
      await c.waitFor('status', () => c.statuses.some(s => s.indexedFiles === 3));

      // a watched file changes on disk: su_release() now calls free(). Handing it strdup() memory is
      // right now, and cache_path(), which hands it su_path_join() memory, is wrong.
      const strutil = join(dir, 'strutil.c');
      writeFileSync(strutil, readFileSync(strutil, 'utf8').replace('PyMem_Free(p);', 'free(p);'));
      c.filesChanged([{ uri: uriOf(strutil), type: FileChangeType.Changed }]);
      const after = await c.diagnosticsFor(uri, 30_000, d => d.some(x => x.message.includes('su_release() (which calls free())')));
      expect(after.map(d => d.range.start.line)).not.toContain(locate(text, 'su_release(copy);').line);
      expect(after.map(d => d.range.start.line)).toContain(locate(text, 'free(path);').line);

      // and is deleted: the wrapper is unknown again, so is its family
      c.filesChanged([{ uri: uriOf(strutil), type: FileChangeType.Deleted }]);
      await c.diagnosticsFor(uri, 30_000, d => d.length === 0);
    } finally {
      await c.stop();
    }
  });

  it('scans nothing in Restricted Mode (open files are still analysed)', async () => {
    const dir = project('untrusted', WRAPPERS);
    const c = await LspClient.start({ folders: [dir], settings: { debounceMs: 0 }, trusted: false });
    try {
      const uri = c.open(join(dir, 'module.c'));
      const diags = await c.diagnosticsFor(uri);
      expect(diags.length).toBeLessThan(2); // the wrappers of strutil.c are not known
      expect(c.progress).toEqual([]);
      expect(await c.request<ScanResult>('heaplint/scanWorkspace')).toMatchObject({ files: 0 });
      expect(c.messages.pop()).toMatch(/trusted folder/);
    } finally {
      await c.stop();
    }
  });

  it('"Scan Workspace" publishes the findings of files that are not open, and honours the cap and excludes', async () => {
    const dir = project('scan', WRAPPERS);
    writeFileSync(join(dir, 'bug.c'), '#include <Python.h>\n#include <stdlib.h>\nvoid f(void) {\n    char *p = PyMem_Malloc(4);\n    if (!p) return;\n    free(p);\n}\n');
    let settings: Record<string, unknown> = { debounceMs: 0 };
    const c = await LspClient.start({ folders: [dir], settings: () => settings });
    try {
      await c.progressEnded();
      const r = await c.request<ScanResult>('heaplint/scanWorkspace');
      expect(r).toMatchObject({ files: 4, findings: 3, filesWithFindings: 2, capped: false, cancelled: false });
      expect((await c.diagnosticsFor(uriOf(join(dir, 'bug.c')))).map(d => d.code)).toEqual(['mixed-heap']);
      expect(await c.diagnosticsFor(uriOf(join(dir, 'module.c')))).toHaveLength(2);
      expect(c.progress.some(p => p.value.kind === 'begin' && p.value.title === 'HeapLint: scanning the workspace')).toBe(true);

      // exclude bug.c: the next scan takes its findings back
      settings = { debounceMs: 0, exclude: ['bug.c'] };
      c.configurationChanged(settings);
      const r2 = await c.request<ScanResult>('heaplint/scanWorkspace');
      expect(r2.files).toBe(3);
      await c.diagnosticsFor(uriOf(join(dir, 'bug.c')), 10_000, d => d.length === 0);

      // a cap of one file
      settings = { debounceMs: 0, maxWorkspaceFiles: 1 };
      c.configurationChanged(settings);
      const r3 = await c.request<ScanResult>('heaplint/scanWorkspace');
      expect(r3).toMatchObject({ files: 1, capped: true });
      expect(c.logs.some(l => l.includes('more than 1 C files'))).toBe(true);
    } finally {
      await c.stop();
    }
  });
});

describe('language server: heaplint.json', () => {
  it('reports a broken heaplint.json, lints with the defaults, and applies the fixed file at once', async () => {
    const dir = project('config', ARENA);
    const config = join(dir, 'heaplint.json');
    const good = readFileSync(config, 'utf8');
    writeFileSync(config, good.replace('"kind": "free"', '"kind": "frees"').replace('"python": "3.11",', '"python": "3.11",\n  "rules": { "no-such-rule": "off" },'));
    const c = await LspClient.start({ folders: [dir], settings: { debounceMs: 0 } });
    try {
      const configDiags = await c.diagnosticsFor(uriOf(config));
      expect(configDiags.length).toBeGreaterThanOrEqual(2);
      expect(configDiags.every(d => d.source === 'heaplint' && d.code === 'config')).toBe(true);
      expect(configDiags.map(d => d.message).join('\n')).toMatch(/unknown rule id "no-such-rule"/);
      const ruleLine = readFileSync(config, 'utf8').split('\n').findIndex(l => l.includes('no-such-rule'));
      expect(configDiags.some(d => d.range.start.line === ruleLine)).toBe(true);

      // the valid parts still apply: tok_arena_alloc is an allocator, tok_arena_release is dropped
      const uri = c.open(join(dir, 'tokenizer.c'));
      const partial = await c.diagnosticsFor(uri);
      expect(partial).toHaveLength(1);

      // not even JSON: one problem, and linting goes on with the bundled model
      writeFileSync(config, '{ "python": "3.11", ');
      c.filesChanged([{ uri: uriOf(config), type: FileChangeType.Changed }]);
      const broken = await c.diagnosticsFor(uriOf(config), 10_000, d => d.some(x => /not valid JSON/.test(x.message)));
      expect(broken).toHaveLength(1);
      await c.diagnosticsFor(uri, 10_000, d => d.length === 0);

      // fixed: its problems go, the custom family applies, open files are analysed again at once
      writeFileSync(config, good);
      c.filesChanged([{ uri: uriOf(config), type: FileChangeType.Changed }]);
      await c.diagnosticsFor(uriOf(config), 10_000, d => d.length === 0);
      const full = await c.diagnosticsFor(uri, 10_000, d => d.length === 2);
      expect(full.every(d => d.code === 'mixed-heap')).toBe(true);
      await c.waitFor('status naming heaplint.json', () => c.statuses.some(s => s.model.startsWith('bundled + heaplint.json')));
    } finally {
      await c.stop();
    }
  });
});
