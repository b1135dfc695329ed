/**
 * Guesses over real JSON-RPC: an edit inside a function tree-sitter parses with an error is published
 * at once from a parse of that function alone; once the document is quiet the server parses the whole
 * file from scratch, and `heaplint/settled` says the version's diagnostics are final — republished
 * first if the guess was wrong. What is final is what a fresh open of the same text publishes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver-protocol';
import { LspClient, locate, scratch } from './lsp-client';

// pack() keeps a syntax error; release() mixes heaps (line 14)
const MODULE = readFileSync(join(__dirname, '..', 'shared', 'error-and-mixed-heap.c'), 'utf8');

const key = (ds: Diagnostic[]) => ds.map(d => `${d.range.start.line + 1} ${d.code}`).sort();

async function freshOpen(dir: string, name: string, text: string): Promise<string[]> {
  const file = join(dir, name);
  writeFileSync(file, text);
  const c = await LspClient.start({ folders: [dir], settings: { debounceMs: 0 } });
  try {
    await c.progressEnded();
    return key(await c.diagnosticsFor(c.open(file)));
  } finally {
    await c.stop();
  }
}

/** Types `what` at the end of the first `after` in the document, as one change. */
function type(c: LspClient, uri: string, after: string, what: string): number {
  const at = locate(c.text(uri), after);
  const pos = { line: at.line, character: at.character + after.length };
  return c.change(uri, [{ range: { start: pos, end: pos }, text: what }]);
}

describe('language server: an edit inside a function with a syntax error', () => {
  it('is published at once from a guess, and settled once a parse of the whole file confirms it', async () => {
    const dir = scratch('speculative-confirmed');
    const file = join(dir, 'module.c');
    writeFileSync(file, MODULE);
    const c = await LspClient.start({ folders: [dir], settings: { debounceMs: 0 } });
    try {
      await c.progressEnded();
      const uri = c.open(file);
      expect(key(await c.diagnosticsFor(uri))).toEqual(['14 mixed-heap']);
      await c.waitFor('v1 settled', () => c.settled.some(s => s.version === 1));
      expect(c.settled.find(s => s.version === 1)).toEqual({ uri, version: 1, guessed: false, corrected: false });

      const version = type(c, uri, 'RETURN_PACKED_ARGS(3,', ' ');
      expect(key(await c.diagnosticsFor(uri))).toEqual(['14 mixed-heap']);
      await c.waitFor(`v${version} settled`, () => c.settled.some(s => s.version === version));
      expect(c.settled.find(s => s.version === version)).toEqual({ uri, version, guessed: true, corrected: false });
      expect(c.published.filter(p => p.uri === uri && p.version === version)).toHaveLength(1);
      expect(key(c.diagnostics.get(uri)!.diagnostics)).toEqual(await freshOpen(scratch('speculative-confirmed-fresh'), 'module.c', c.text(uri)));
    } finally {
      await c.stop();
    }
  });

  it('is republished with the diagnostics of a parse from scratch when the guess was wrong', async () => {
    const dir = scratch('speculative-corrected');
    const file = join(dir, 'module.c');
    writeFileSync(file, MODULE);
    const c = await LspClient.start({ folders: [dir], settings: { debounceMs: 0 } });
    try {
      await c.progressEnded();
      const uri = c.open(file);
      await c.diagnosticsFor(uri);
      // an unterminated string: pack() parsed alone still ends at its brace, but in the whole file the
      // string swallows that brace and release() is parsed inside pack(), with nothing to report
      const version = type(c, uri, 'RETURN_PACKED_ARGS(3, PyLong_', '"');
      expect(key(await c.diagnosticsFor(uri))).toEqual(['14 mixed-heap']);
      await c.waitFor(`v${version} settled`, () => c.settled.some(s => s.version === version));
      expect(c.settled.find(s => s.version === version)).toEqual({ uri, version, guessed: true, corrected: true });
      const publishes = c.published.filter(p => p.uri === uri && p.version === version);
      expect(publishes.map(p => key(p.diagnostics))).toEqual([['14 mixed-heap'], []]);
      expect(await freshOpen(scratch('speculative-corrected-fresh'), 'module.c', c.text(uri))).toEqual([]);
    } finally {
      await c.stop();
    }
  });
});
