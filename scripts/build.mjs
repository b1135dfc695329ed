// Bundles every entry point with esbuild. The grammar .wasm files are copied next to the bundles
// because web-tree-sitter loads them from disk at run time.
import { build } from 'esbuild';
import { cpSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleHeaplintSchema } from './bundle-schema.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
mkdirSync(out, { recursive: true });

const entries = {
  cli: 'server/src/cli/main.ts',
  worker: 'server/src/cli/worker.ts',
  server: 'server/src/lsp/main.ts',
  client: 'client/src/extension.ts',
  bench: 'bench/bench.ts',
  'bench-sim': 'bench/bench-sim.ts',
  'bench-lsp': 'bench/bench-lsp.ts',
};
const present = Object.fromEntries(Object.entries(entries).filter(([, f]) => existsSync(join(root, f))));

await build({
  entryPoints: present,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  outdir: out,
  external: ['vscode', 'tree-sitter', 'tree-sitter-c'],
  // the bundles are CommonJS: take the CommonJS build of web-tree-sitter (its ESM build needs import.meta)
  alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' },
  sourcemap: true,
  logLevel: 'warning',
});

cpSync(join(root, 'node_modules/web-tree-sitter/tree-sitter.wasm'), join(out, 'tree-sitter.wasm'));
cpSync(join(root, 'node_modules/tree-sitter-c/tree-sitter-c.wasm'), join(out, 'tree-sitter-c.wasm'));
// the schema VS Code validates heaplint.json with (package.json jsonValidation): one file, no remote $ref
bundleHeaplintSchema(root, join(out, 'heaplint.schema.json'));
console.log(`built ${Object.keys(present).join(', ')} -> dist/`);
