// `npm run package`: build, package heaplint-<version>.vsix with vsce, then check what went in and
// that the packaged language server starts on its own (no node_modules, no compiler) and reports a
// finding. Prints the size. Exit status 1 when a check fails.
//
//   node scripts/package.mjs [--no-build] [--no-smoke]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vsix = join(root, `${pkg.name}-${pkg.version}.vsix`);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`package: ${[cmd, ...argv].join(' ')} failed (exit ${r.status})`);
    process.exit(1);
  }
}

if (!args.has('--no-build')) run(process.execPath, [join(root, 'scripts/build.mjs')]);
// --no-dependencies: everything the extension needs is bundled into dist/ by esbuild.
run(process.execPath, [join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--no-dependencies', '--no-update-package-json', '--out', vsix]);

// ---- what is inside (a .vsix is a zip: read its central directory) ----
function readZip(file) {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.push({
      name,
      size,
      data() {
        const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
        const raw = buf.subarray(start, start + compressed);
        return method === 0 ? raw : inflateRawSync(raw);
      },
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const entries = readZip(vsix);
const names = entries.map(e => e.name.toLowerCase()); // vsce writes readme.md in lower case
const required = [
  'extension/package.json',
  'extension/README.md',
  'extension/LICENSE.txt',
  'extension/images/icon.png',
  'extension/dist/client.js',
  'extension/dist/server.js',
  'extension/dist/tree-sitter.wasm',
  'extension/dist/tree-sitter-c.wasm',
  'extension/dist/heaplint.schema.json',
  'extension/allocator-model/schema/heaplint.schema.json',
  'extension/allocator-model/schema/model.schema.json',
  'extension/syntaxes/heaptrace.tmLanguage.json',
];
const problems = [];
for (const r of required) {
  const alt = r.replace('LICENSE.txt', 'LICENSE');
  if (!names.includes(r.toLowerCase()) && !names.includes(alt.toLowerCase())) problems.push(`missing ${r}`);
}
for (const n of names) {
  if (n.includes('node_modules/')) problems.push(`node_modules in the package: ${n}`);
  if (/\.(map|ts)$/.test(n) && !n.endsWith('.d.ts')) problems.push(`source or source map in the package: ${n}`);
}

const kb = n => `${(n / 1024).toFixed(0)} KB`;
const size = statSync(vsix).size;
console.log(`\n${vsix.slice(root.length + 1)}: ${entries.length} files, ${kb(size)} (${(size / 1024 / 1024).toFixed(2)} MB) on disk, ${kb(entries.reduce((s, e) => s + e.size, 0))} unpacked`);
for (const e of [...entries].sort((a, b) => b.size - a.size).slice(0, 8)) console.log(`  ${kb(e.size).padStart(8)}  ${e.name}`);

// ---- smoke test: unpack to a temporary folder with no node_modules above it and start the server ----
async function smoke() {
  const dir = mkdtempSync(join(tmpdir(), 'heaplint-vsix-'));
  try {
    for (const e of entries) {
      if (e.name.endsWith('/')) continue;
      const out = join(dir, e.name);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, e.data());
    }
    const server = join(dir, 'extension/dist/server.js');
    const cFile = join(dir, 'smoke.c');
    const text = '#include <Python.h>\n#include <stdlib.h>\nvoid f(void) {\n    char *p = PyMem_Malloc(8);\n    if (p == NULL) return;\n    free(p);\n}\n';
    writeFileSync(cFile, text);
    const child = spawn(process.execPath, [server, '--stdio'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', d => (stderr += d));
    const send = msg => {
      const body = JSON.stringify({ jsonrpc: '2.0', ...msg });
      child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    };
    const found = await new Promise(resolve => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => resolve(`no diagnostics within 20 s${stderr ? `; stderr: ${stderr}` : ''}`), 20_000);
      child.on('exit', code => resolve(`the packaged server exited (${code}): ${stderr}`));
      child.stdout.on('data', d => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const head = buf.indexOf('\r\n\r\n');
          if (head < 0) return;
          const len = Number(/Content-Length: (\d+)/i.exec(buf.subarray(0, head).toString())?.[1]);
          if (buf.length < head + 4 + len) return;
          const msg = JSON.parse(buf.subarray(head + 4, head + 4 + len).toString());
          buf = buf.subarray(head + 4 + len);
          if (msg.id !== undefined && msg.method) send({ id: msg.id, result: msg.method === 'workspace/configuration' ? msg.params.items.map(() => ({})) : null });
          if (msg.method === 'textDocument/publishDiagnostics' && msg.params.diagnostics.some(x => x.code === 'mixed-heap')) {
            clearTimeout(timer);
            resolve(true);
          }
        }
      });
      send({ id: 1, method: 'initialize', params: { processId: process.pid, rootUri: null, capabilities: {} } });
      send({ method: 'initialized', params: {} });
      send({ method: 'textDocument/didOpen', params: { textDocument: { uri: pathToFileURL(cFile).href, languageId: 'c', version: 1, text } } });
    });
    child.kill();
    return found === true ? undefined : found;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!args.has('--no-smoke')) {
  const failure = await smoke();
  if (failure) problems.push(`the packaged server did not report the smoke finding: ${failure}`);
  else console.log(`smoke test: the unpacked server (node ${process.version}, ${process.platform}-${process.arch}, no node_modules) reported mixed-heap`);
}

if (problems.length) {
  for (const p of problems) console.error(`package: ${p}`);
  process.exit(1);
}
console.log(`packaged ${vsix.slice(root.length + 1)} (${(size / 1024 / 1024).toFixed(2)} MB)`);
