/**
 * The one module that knows which tree-sitter backend heaplint uses: web-tree-sitter (WASM) with the
 * grammar's own tree-sitter-c.wasm. Trees are deleted explicitly, so memory stays bounded on long runs
 * (the native binding frees trees only when V8 collects them) and nothing has to compile on install.
 */
import { bindCursorModule } from './cursor';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

let ready: Promise<Parser> | undefined;
let parser: Parser | undefined;

function moduleDir(): string {
  // CJS bundle: __dirname is dist/. Under vitest (ESM) fall back to the working directory.
  return typeof __dirname !== 'undefined' ? __dirname : process.cwd();
}

/** Looks for an asset next to the bundle first, then in node_modules above the module or the cwd. */
export function findAsset(file: string, pkg: string): string {
  const tried: string[] = [];
  const starts = [moduleDir(), process.cwd()];
  for (const start of starts) {
    const beside = join(start, file);
    tried.push(beside);
    if (existsSync(beside)) return beside;
    let dir = resolve(start);
    for (;;) {
      const candidate = join(dir, 'node_modules', pkg, file);
      tried.push(candidate);
      if (existsSync(candidate)) return candidate;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(`heaplint: cannot find ${file} (looked in ${tried.slice(0, 4).join(', ')} …)`);
}

/** Initialises the WASM runtime and the C grammar once per process (or worker). */
export function initParser(): Promise<Parser> {
  ready ??= (async () => {
    const runtime = findAsset('tree-sitter.wasm', 'web-tree-sitter');
    // web-tree-sitter fills this object in as the WASM module: the fast tree walker calls it directly
    const module = { locateFile: () => runtime };
    await Parser.init(module);
    bindCursorModule(module);
    const language = await Language.load(findAsset('tree-sitter-c.wasm', 'tree-sitter-c'));
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
    return p;
  })();
  return ready;
}

/** Synchronous parse; initParser() must have completed. The caller owns the tree and must delete() it. */
export function parseC(text: string, old?: Tree): Tree {
  if (!parser) throw new Error('heaplint: parser used before initParser() finished');
  const tree = parser.parse(text, old ?? null);
  if (!tree) throw new Error('heaplint: tree-sitter returned no tree');
  return tree;
}

export type { Tree };
