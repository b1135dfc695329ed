/**
 * `npm run bench:lsp`: the editor's latency, measured the way an editor sees it. Starts the bundled
 * language server (`node dist/server.js --stdio`) with the CPython tree (corpus/python3.11, fetched by
 * scripts/fetch-cpython.sh) as the workspace folder and `heaplint.debounceMs` at 0, waits for the
 * workspace index, opens Modules/posixmodule.c, then makes one-character edits inside functions
 * (a space typed, then deleted) and times each `didChange` → `publishDiagnostics` of that version.
 * Prints p50/p95/p99 and the server's memory (resident now and peak, from /proc).
 *
 *   node dist/bench-lsp.js [--edits 200] [--folder corpus/python3.11] [--file Modules/posixmodule.c]
 * Targets: p95 under 50 ms, resident memory under 300 MB.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVER_NODE_FLAGS } from '../server/src/lsp/node-flags';
import {
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgress,
  WorkDoneProgressCreateRequest,
  type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { StatusNotification, type StatusParams } from '../server/src/lsp/protocol';

const ROOT = resolve(__dirname, '..');
const TARGET_P95_MS = 50;
const TARGET_RSS_MB = 300;

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: NaN, peakMb: NaN };
  }
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Positions just after `(` of calls inside function bodies, spread over the file. */
function editSites(text: string, count: number): number[] {
  const sites: number[] = [];
  const re = /^[ \t]+[A-Za-z_][A-Za-z0-9_]*\(/gm;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) sites.push(m.index + m[0].length);
  if (!sites.length) throw new Error('no call statements to edit');
  const step = Math.max(1, Math.floor(sites.length / count));
  const picked: number[] = [];
  for (let i = 0; picked.length < count; i = (i + step) % sites.length) picked.push(sites[i]);
  return picked;
}

async function main(): Promise<void> {
  const edits = Number(option('edits', '200'));
  const folder = resolve(ROOT, option('folder', 'corpus/python3.11'));
  const file = join(folder, option('file', 'Modules/posixmodule.c'));
  const server = join(__dirname, 'server.js');
  if (!existsSync(file)) {
    console.error(`bench:lsp: ${file} not found; run: bash scripts/fetch-cpython.sh`);
    process.exit(2);
  }
  const uri = pathToFileURL(file).href;
  const t0 = performance.now();
  // with the flags the VS Code client starts it with
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, server, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const waiting = new Map<number, (p: PublishDiagnosticsParams) => void>();
  let lastStatus: StatusParams | undefined;
  let progressEnded = 0;
  let onProgressEnd: (() => void) | undefined;
  conn.onNotification(PublishDiagnosticsNotification.type, p => {
    if (p.uri === uri && p.version !== undefined) waiting.get(p.version)?.(p);
  });
  const analysisMs: number[] = []; // the server's own timing of each analysis of the file (engine time)
  let lastAt: number | undefined;
  conn.onNotification(StatusNotification.type, s => {
    lastStatus = s;
    if (s.lastUri === uri && s.lastMs !== undefined && s.lastAt !== lastAt) analysisMs.push(s.lastMs); // one per analysis
    lastAt = s.lastAt;
  });
  let lastSlow: string | undefined;
  conn.onNotification(LogMessageNotification.type, m => {
    if (/ took .* to analyse/.test(m.message)) lastSlow = m.message.replace(/^\[[^\]]*\] /, '');
  });
  conn.onRequest(ConfigurationRequest.type, p => p.items.map(() => ({ debounceMs: 0, run: 'onType' })));
  conn.onRequest(RegistrationRequest.type, () => null);
  conn.onRequest(WorkDoneProgressCreateRequest.type, p => {
    conn.onProgress(WorkDoneProgress.type, p.token, v => {
      if (v.kind === 'end') {
        progressEnded++;
        onProgressEnd?.();
      }
    });
    return null;
  });
  conn.listen();

  const folderUri = pathToFileURL(folder).href;
  await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: folderUri,
    workspaceFolders: [{ uri: folderUri, name: 'cpython' }],
    capabilities: {
      window: { workDoneProgress: true },
      workspace: { configuration: true, workspaceFolders: true },
      textDocument: { publishDiagnostics: { relatedInformation: true, versionSupport: true } },
    },
    initializationOptions: { workspaceTrusted: true },
  });
  await conn.sendNotification(InitializedNotification.type, {});

  // 1. the workspace index
  await new Promise<void>(res => {
    if (progressEnded) res();
    else onProgressEnd = res;
  });
  const indexed = performance.now();
  const memIndexed = memoryOf(child.pid!);

  // 2. open the file and wait for its first diagnostics
  let doc = TextDocument.create(uri, 'c', 1, readFileSync(file, 'utf8'));
  const published = (version: number) => new Promise<PublishDiagnosticsParams>(res => waiting.set(version, res));
  const first = published(1);
  await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'c', version: 1, text: doc.getText() } });
  const firstDiagnostics = await first;
  const opened = performance.now();

  // 3. the edits: a space typed after a call's `(`, then deleted again, at sites spread over the file
  const sites = editSites(doc.getText(), Math.ceil(edits / 2));
  const latencies: number[] = [];
  let findings = firstDiagnostics.diagnostics.length;
  for (let i = 0; i < edits; i++) {
    const offset = sites[Math.floor(i / 2)];
    const at = doc.positionAt(offset);
    const change =
      i % 2 === 0
        ? { range: { start: at, end: at }, text: ' ' }
        : { range: { start: at, end: doc.positionAt(offset + 1) }, text: '' };
    doc = TextDocument.update(doc, [change], doc.version + 1);
    const done = published(doc.version);
    const start = performance.now();
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: doc.version }, contentChanges: [change] });
    const p = await done;
    latencies.push(performance.now() - start);
    waiting.delete(doc.version);
    findings = p.diagnostics.length;
    if ((i + 1) % 50 === 0 && i + 1 < edits) process.stderr.write(`bench:lsp: ${i + 1}/${edits} edits\n`);
  }
  const mem = memoryOf(child.pid!);

  await conn.sendRequest(ShutdownRequest.type);
  await conn.sendNotification(ExitNotification.type);
  setTimeout(() => child.kill(), 2000).unref();

  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const lines = doc.getText().split('\n').length;
  console.log(`heaplint bench:lsp — ${option('file', 'Modules/posixmodule.c')} (${lines} lines), workspace ${relative(ROOT, folder).startsWith('..') ? folder : relative(ROOT, folder)}`);
  console.log(`  workspace index: ${lastStatus?.indexedFiles ?? '?'} C files in ${((indexed - t0) / 1000).toFixed(1)} s; resident ${memIndexed.rssMb.toFixed(0)} MB`);
  console.log(`  first diagnostics after open: ${ms(opened - indexed)} (${firstDiagnostics.diagnostics.length} diagnostics)`);
  console.log(`  ${edits} one-character edits, debounceMs 0, didChange → publishDiagnostics:`);
  console.log(`    p50 ${ms(p50)}   p95 ${ms(p95)}   p99 ${ms(percentile(sorted, 99))}   max ${ms(sorted[sorted.length - 1])}   mean ${ms(latencies.reduce((a, b) => a + b, 0) / latencies.length)}`);
  const engine = analysisMs.slice(-edits).sort((a, b) => a - b);
  if (engine.length) console.log(`    of which the engine's analysis (Workspace.analyze): p50 ${ms(percentile(engine, 50))}   p95 ${ms(percentile(engine, 95))}`);
  console.log(`  server memory: resident ${mem.rssMb.toFixed(0)} MB now, peak ${mem.peakMb.toFixed(0)} MB; ${findings} diagnostics at the end`);
  if (lastSlow) console.log(`  the server's last slow-file note: ${lastSlow}`);
  const ok = p95 < TARGET_P95_MS && mem.peakMb < TARGET_RSS_MB;
  console.log(`  targets: p95 < ${TARGET_P95_MS} ms ${p95 < TARGET_P95_MS ? 'met' : 'MISSED'}, memory < ${TARGET_RSS_MB} MB ${mem.peakMb < TARGET_RSS_MB ? 'met' : 'MISSED'}`);
  process.exitCode = ok ? 0 : 1;
}

main().catch(err => {
  console.error('bench:lsp failed:', err);
  process.exit(2);
});
