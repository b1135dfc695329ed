/**
 * `npm run bench:lsp`: the editor's latency, measured the way an editor sees it. Starts the bundled
 * language server (`node dist/server.js --stdio`) with the CPython tree (corpus/python3.11, fetched by
 * scripts/fetch-cpython.sh) as the workspace folder and `heaplint.debounceMs` at 0, waits for the
 * workspace index, opens Modules/posixmodule.c, then makes one-character edits inside functions
 * (a space typed, then deleted) and times each `didChange` → `publishDiagnostics` of that version:
 *
 * 1. the next edit sent as soon as that arrives (the target is on these: a typist faster than any);
 * 2. the same edits, each waiting until its version is settled (`heaplint/settled`: the server's guess
 *    for an edit in a function with a syntax error checked by a parse of the whole file, and corrected
 *    if wrong): the first publish, the settled diagnostics, how many guesses and wrong guesses;
 * 3. some of them at a human pace, so that a check may be under way when a keystroke arrives.
 *
 * Prints p50/p95/p99 and the server's memory (resident now and peak, from /proc).
 *
 *   node dist/bench-lsp.js [--edits 200] [--typed 100] [--folder corpus/python3.11] [--file Modules/posixmodule.c]
 * Targets: p95 under 50 ms (1.), resident memory under 300 MB.
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
import { SettledNotification, StatusNotification, type SettledParams, type StatusParams } from '../server/src/lsp/protocol';
import { seeded } from '../test/shared/seeded';

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
  const publishes = new Map<number, number>(); // version → how many publishDiagnostics
  let lastCount = 0;
  conn.onNotification(PublishDiagnosticsNotification.type, p => {
    if (p.uri !== uri || p.version === undefined) return;
    publishes.set(p.version, (publishes.get(p.version) ?? 0) + 1);
    lastCount = p.diagnostics.length;
    waiting.get(p.version)?.(p);
  });
  const settling = new Map<number, (p: SettledParams) => void>();
  conn.onNotification(SettledNotification.type, p => {
    if (p.uri === uri) settling.get(p.version)?.(p);
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
  const memOpened = memoryOf(child.pid!);

  // 3. the edits: a space typed after a call's `(`, then deleted again, at sites spread over the file
  const sites = editSites(doc.getText(), Math.ceil(edits / 2));
  const edit = (i: number) => {
    const offset = sites[Math.floor(i / 2)];
    const at = doc.positionAt(offset);
    const change =
      i % 2 === 0
        ? { range: { start: at, end: at }, text: ' ' }
        : { range: { start: at, end: doc.positionAt(offset + 1) }, text: '' };
    doc = TextDocument.update(doc, [change], doc.version + 1);
    return change;
  };
  const latencies: number[] = [];
  for (let i = 0; i < edits; i++) {
    const change = edit(i);
    const done = published(doc.version);
    const start = performance.now();
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: doc.version }, contentChanges: [change] });
    await done;
    latencies.push(performance.now() - start);
    waiting.delete(doc.version);
    if ((i + 1) % 50 === 0) process.stderr.write(`bench:lsp: ${i + 1}/${edits} edits\n`);
  }
  const engine = analysisMs.slice(-edits).sort((a, b) => a - b);
  const memA = memoryOf(child.pid!);

  // 4. the same edits, each waiting until its version is settled
  const firstSettled: number[] = [];
  const settledMs: number[] = [];
  let guessed = 0;
  let corrected = 0;
  let republished = 0;
  for (let i = 0; i < edits; i++) {
    const change = edit(i);
    const version = doc.version;
    const done = published(version);
    const settled = new Promise<SettledParams>(res => settling.set(version, res));
    const start = performance.now();
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [change] });
    await done;
    firstSettled.push(performance.now() - start);
    const s = await settled;
    settledMs.push(performance.now() - start);
    settling.delete(version);
    waiting.delete(version);
    if (s.guessed) guessed++;
    if (s.corrected) corrected++;
    if ((publishes.get(version) ?? 0) > 1) republished++;
    if ((i + 1) % 50 === 0) process.stderr.write(`bench:lsp: ${i + 1}/${edits} edits, each settled\n`);
  }

  const memB = memoryOf(child.pid!);
  // 5. edits at a human pace, so that a check of a guess (after a pause) may be under way when the
  // next keystroke arrives: mostly 100-200 ms apart, one in five after a pause of 300-800 ms
  const typedEdits = Number(option('typed', '100'));
  const pace = seeded(20261121);
  const typed: number[] = [];
  let settledInTime = 0;
  for (let i = 0; i < typedEdits; i++) {
    const change = edit(i);
    const version = doc.version;
    const done = published(version);
    let settledAt: SettledParams | undefined;
    settling.set(version, p => (settledAt = p));
    const start = performance.now();
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [change] });
    await done;
    typed.push(performance.now() - start);
    const gap = pace() < 0.8 ? 100 + 100 * pace() : 300 + 500 * pace();
    await new Promise(res => setTimeout(res, Math.max(0, gap - (performance.now() - start))));
    if (settledAt) settledInTime++;
    settling.delete(version);
    waiting.delete(version);
  }
  if (typedEdits % 2) {
    // back to the original text
    const change = edit(typedEdits);
    const done = published(doc.version);
    await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: doc.version }, contentChanges: [change] });
    await done;
  }
  const mem = memoryOf(child.pid!);

  await conn.sendRequest(ShutdownRequest.type);
  await conn.sendNotification(ExitNotification.type);
  setTimeout(() => child.kill(), 2000).unref();

  const sorted = [...latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const p95 = percentile(sorted, 95);
  const ms = (n: number | undefined) => `${(n ?? NaN).toFixed(1)} ms`;
  const lines = doc.getText().split('\n').length;
  console.log(`heaplint bench:lsp — ${option('file', 'Modules/posixmodule.c')} (${lines} lines), workspace ${relative(ROOT, folder).startsWith('..') ? folder : relative(ROOT, folder)}`);
  console.log(`  workspace index: ${lastStatus?.indexedFiles ?? '?'} C files in ${((indexed - t0) / 1000).toFixed(1)} s; resident ${memIndexed.rssMb.toFixed(0)} MB`);
  console.log(`  first diagnostics after open: ${ms(opened - indexed)} (${firstDiagnostics.diagnostics.length} diagnostics); resident ${memOpened.rssMb.toFixed(0)} MB, peak ${memOpened.peakMb.toFixed(0)} MB`);
  console.log(`  ${edits} one-character edits, debounceMs 0, didChange → publishDiagnostics, the next edit sent on it:`);
  console.log(`    p50 ${ms(p50)}   p95 ${ms(p95)}   p99 ${ms(percentile(sorted, 99))}   max ${ms(sorted[sorted.length - 1])}   mean ${ms(latencies.reduce((a, b) => a + b, 0) / latencies.length)}`);
  if (engine.length) console.log(`    of which the engine's analysis (Workspace.analyze): p50 ${ms(percentile(engine, 50))}   p95 ${ms(percentile(engine, 95))}`);
  const f2 = [...firstSettled].sort((a, b) => a - b);
  const s2 = [...settledMs].sort((a, b) => a - b);
  console.log(`  the same edits, each waiting until its version is settled (heaplint/settled):`);
  console.log(`    first publish: p50 ${ms(percentile(f2, 50))}   p95 ${ms(percentile(f2, 95))}   p99 ${ms(percentile(f2, 99))}`);
  console.log(`    settled:       p50 ${ms(percentile(s2, 50))}   p95 ${ms(percentile(s2, 95))}   p99 ${ms(percentile(s2, 99))}   max ${ms(s2[s2.length - 1])}`);
  console.log(`    ${guessed} of ${edits} versions published from a guess, ${corrected} guesses wrong (corrected), ${republished} published again`);
  const t3 = [...typed].sort((a, b) => a - b);
  console.log(`  ${typedEdits} of the edits at a human pace (100-200 ms apart, one in five after a pause of 300-800 ms):`);
  console.log(`    first publish: p50 ${ms(percentile(t3, 50))}   p95 ${ms(percentile(t3, 95))}   p99 ${ms(percentile(t3, 99))}   max ${ms(t3[t3.length - 1])}`);
  console.log(`    ${settledInTime} of ${typedEdits} versions settled before the next edit`);
  console.log(`  server memory after parts 1 and 2: resident ${memA.rssMb.toFixed(0)} / ${memB.rssMb.toFixed(0)} MB, peak ${memA.peakMb.toFixed(0)} / ${memB.peakMb.toFixed(0)} MB`);
  console.log(`  server memory: resident ${mem.rssMb.toFixed(0)} MB now, peak ${mem.peakMb.toFixed(0)} MB; ${lastCount} diagnostics at the end`);
  if (lastSlow) console.log(`  the server's last slow-file note: ${lastSlow}`);
  const ok = p95 < TARGET_P95_MS && mem.peakMb < TARGET_RSS_MB;
  console.log(`  targets: p95 < ${TARGET_P95_MS} ms ${p95 < TARGET_P95_MS ? 'met' : 'MISSED'}, memory < ${TARGET_RSS_MB} MB ${mem.peakMb < TARGET_RSS_MB ? 'met' : 'MISSED'}`);
  process.exitCode = ok ? 0 : 1;
}

main().catch(err => {
  console.error('bench:lsp failed:', err);
  process.exit(2);
});
