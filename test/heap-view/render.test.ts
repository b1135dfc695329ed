/**
 * The Heap View page rendered in headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core), loaded with a recorded simulation exactly as the extension delivers it:
 *  - the page is the one client/src/heap-view/html.ts builds, served from a loopback origin that
 *    plays the part of the webview's resource origin (same CSP, same nonce rule);
 *  - the simulation is recorded from a C fixture through the server's own code path
 *    (simulateHeap in server/src/lsp/simulate-heap.ts) and posted to the page as a 'load' message;
 *  - a screenshot goes to docs/images/heap-view.png, and the DOM and the canvas pixels are checked
 *    against the simulator's pool counts;
 *  - a million-operation trace is loaded, stepped and drawn, and the times are printed.
 * Skipped, with a message, only when Chromium is not installed.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFor } from '../../allocator-model/src/index';
import { heapViewHtml, makeNonce } from '../../client/src/heap-view/html';
import type { SimulateHeapResult } from '../../server/src/lsp/protocol/heap';
import { simulateHeap } from '../../server/src/lsp/simulate-heap';

// Browser globals inside page.evaluate callbacks (the project compiles without the DOM library).
declare const window: any;
declare const document: any;
declare const requestAnimationFrame: (f: (t: number) => void) => number;
declare const getComputedStyle: (e: unknown) => any;

const CHROMIUM = process.env.HEAPLINT_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`heap-view render tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set HEAPLINT_CHROMIUM)`);
}

const ROOT = join(__dirname, '../..');
const MEDIA = join(ROOT, 'client/media/heap-view');
const SHOT = join(ROOT, 'docs/images/heap-view.png');

/** The recorded simulation: a C function the extraction handles completely (sizes, loops, a wrapper). */
const FIXTURE_C = `#include <Python.h>

#define N_ITEMS 1500

typedef struct {
    PyObject_HEAD
    Py_ssize_t size;
    char *data;
} ChunkObject;

static char *cache[N_ITEMS];

static char *
make_name(size_t len)
{
    char *p = PyMem_Malloc(len + 1);
    if (p == NULL)
        return NULL;
    return p;
}

static int
fill_cache(void)
{
    for (int i = 0; i < N_ITEMS; i++) {
        cache[i] = PyObject_Malloc(sizeof(ChunkObject));
        if (cache[i] == NULL)
            return -1;
    }
    for (int i = 0; i < N_ITEMS; i += 3)
        PyObject_Free(cache[i]);
    char *names[40];
    for (int i = 0; i < 40; i++)
        names[i] = make_name(99);
    char *big = PyMem_Malloc(4096);
    char *buf = PyMem_Malloc(24);
    free(buf);
    PyObject_Free(big);
    return 0;
}
`;

type Page = import('playwright-core').Page;
type Browser = import('playwright-core').Browser;

let server: Server;
let origin = '';
let browser: Browser | undefined;
let html = '';

function serve(): Promise<void> {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204);
      res.end();
      return;
    }
    const file = join(MEDIA, url.pathname.replace(/^\/media\//, ''));
    if (!url.pathname.startsWith('/media/') || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const nonce = makeNonce();
      html = heapViewHtml({
        cspSource: origin,
        nonce,
        scripts: [`${origin}/media/heap-model.js`, `${origin}/media/heap-view.js`],
        style: `${origin}/media/heap-view.css`,
      });
      resolve();
    }),
  );
}

interface Opened {
  page: Page;
  problems: string[];
  foreign: string[];
}

async function open(result: SimulateHeapResult, size = { width: 1280, height: 820 }): Promise<Opened> {
  const page = await browser!.newPage({ viewport: size });
  const problems: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy|Refused to/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => (window as unknown as { __heapViewPosted?: { type: string }[] }).__heapViewPosted?.some((m) => m.type === 'ready'));
  await page.evaluate((r) => window.postMessage({ type: 'load', result: r }, '*'), result as unknown as Record<string, unknown>);
  await page.waitForSelector('body[data-loaded="true"]');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return { page, problems, foreign };
}

/** Pools drawn as in use, counted from the canvas: the class bar on top of each pool strip. */
async function poolsOnCanvas(page: Page): Promise<{ used: number; arenas: number; perArena: number[] }> {
  return page.evaluate(() => {
    const hv = (window as unknown as { heapView: any }).heapView;
    const model = hv.model;
    const canvas = document.getElementById('canvas');
    const ctx = canvas.getContext('2d')!;
    const rect = canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const bg = getComputedStyle(document.body).getPropertyValue('--hv-unused').trim();
    const probe = document.createElement('canvas').getContext('2d')!;
    probe.fillStyle = bg;
    probe.fillRect(0, 0, 1, 1);
    const unused = Array.from(probe.getImageData(0, 0, 1, 1).data.slice(0, 3)) as number[];
    const arenas = model.liveArenas();
    const perArena: number[] = [];
    let used = 0;
    arenas.forEach((_: unknown, row: number) => {
      let n = 0;
      for (let k = 0; k < model.maxPools; k++) {
        const r = hv.poolRect(row, k);
        // the class bar along the pool's top edge is drawn only for pools in use
        const x = Math.round((r.x - rect.left + r.w / 2) * dpr);
        const y = Math.round((r.y - rect.top + 1) * dpr);
        const px = Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3)) as number[];
        if (px.some((v, i) => Math.abs(v - unused[i]) > 6)) n++;
      }
      perArena.push(n);
      used += n;
    });
    return { used, arenas: arenas.length, perArena };
  });
}

describe.skipIf(!haveChromium)('the Heap View in headless Chromium', () => {
  let recorded: SimulateHeapResult;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    await serve();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
    });
    recorded = await simulateHeap(
      { uri: 'file:///heaplint-test/fixture/cache.c', position: { line: 27, character: 8 }, python: '3.12' },
      FIXTURE_C,
      'c',
      { model: modelFor({}, '3.12') },
    );
    mkdirSync(join(ROOT, 'test/.tmp/heap-view'), { recursive: true });
    writeFileSync(join(ROOT, 'test/.tmp/heap-view/recorded.json'), JSON.stringify(recorded));
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('records the fixture as expected (the simulation the view is given)', () => {
    expect(recorded.error).toBeUndefined();
    expect(recorded.title).toBe('fill_cache() in cache.c');
    // 1500 ChunkObjects of 32 bytes, a third freed; 40 names of 100 bytes (112-byte class)
    expect(recorded.final.classes.map((c) => [c.size, c.pools, c.blocks])).toEqual([
      [32, 3, 1001], // the 24-byte buf released by free() stays: a release build aborts there
      [112, 1, 40],
    ]);
    expect(recorded.events).toHaveLength(2);
    expect(recorded.events[0]).toMatchObject({ kind: 'family-mismatch', api: 'free', allocFamily: 'mem', line: 37, allocLine: 36, effect: 'crash' });
    expect(recorded.events[1]).toMatchObject({ kind: 'family-mismatch', api: 'PyObject_Free', allocFamily: 'mem', line: 38, allocLine: 35, effect: 'performed' });
  });

  it('draws the recorded simulation: pools on the canvas and totals in the DOM match the simulator', async () => {
    const { page, problems, foreign } = await open(recorded);
    try {
      const final = recorded.final;
      const poolsInUse = final.classes.reduce((n, c) => n + c.pools, 0);
      const totals = await page.$eval('#totals', (e) => ({ ...(e as any).dataset }));
      expect(totals).toMatchObject({
        arenas: String(final.arenas.current),
        pools: String(poolsInUse),
        unusedPools: String(final.unusedPools),
        blocks: String(final.allocatedBlocks),
        classes: final.classes.map((c) => `${c.size}:${c.pools}:${c.blocks}`).join(' '),
      });
      const stats = await page.textContent('#stats');
      expect(stats).toMatch(new RegExp(`# arenas allocated current\\s+=\\s+${final.arenas.current}\\n`));
      expect(stats).toMatch(new RegExp(`\\n\\s+1\\s+32\\s+3\\s+1001\\s+${final.classes[0].avail}\\n`));
      const canvas = await poolsOnCanvas(page);
      expect(canvas).toEqual({ used: poolsInUse, arenas: final.arenas.current, perArena: [poolsInUse] });
      // blocks are coloured by family: the 112-byte pool (pool 3) holds PyMem blocks
      const colours = await page.evaluate(() => {
        const hv = (window as unknown as { heapView: any }).heapView;
        const canvas = document.getElementById('canvas');
        const box = canvas.getBoundingClientRect();
        const at = (row: number, k: number, j: number) => {
          const p = hv.blockPoint(row, k, j);
          return Array.from(canvas.getContext('2d')!.getImageData(Math.round(p.x - box.left), Math.round(p.y - box.top), 1, 1).data.slice(0, 3));
        };
        const css = (name: string) => {
          const c = document.createElement('canvas').getContext('2d')!;
          c.fillStyle = getComputedStyle(document.body).getPropertyValue(name).trim();
          c.fillRect(0, 0, 1, 1);
          return Array.from(c.getImageData(0, 0, 1, 1).data.slice(0, 3));
        };
        return { memBlock: at(0, 3, 0), mem: css('--hv-mem'), freeBlock: at(0, 3, 100), free: css('--hv-free') };
      });
      expect(colours.memBlock).toEqual(colours.mem);
      expect(colours.freeBlock).toEqual(colours.free);
      // mixed-family releases are listed in red with the debug hooks' message
      expect(await page.locator('#event-list li.family-mismatch').count()).toBe(2);
      const event = page.locator('#event-list li.family-mismatch').nth(1);
      expect(await event.locator('.debug').textContent()).toContain("Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'");
      const red = await event.locator('.debug').evaluate((e) => getComputedStyle(e).color);
      expect(red).toBe('rgb(211, 47, 47)');
      mkdirSync(join(ROOT, 'docs/images'), { recursive: true });
      await page.screenshot({ path: SHOT });
      expect(problems).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('steps through the trace, follows the current line and reveals the allocating line on click', async () => {
    const { page, problems } = await open(recorded);
    try {
      await page.click('#first');
      expect(await page.$eval('#totals', (e) => (e as any).dataset.pools)).toBe('0');
      await page.click('#next');
      expect(await page.textContent('#step-label')).toContain('line 26');
      const posted = () => page.evaluate(() => (window as unknown as { __heapViewPosted: { type: string; line?: number }[] }).__heapViewPosted.slice());
      await expect.poll(async () => (await posted()).some((m) => m.type === 'line' && m.line === 26)).toBe(true);
      // the slider to the middle: the model agrees with the DOM
      await page.$eval('#slider', (s) => {
        const el = s as any;
        el.value = String(Math.floor(Number(el.max) / 2));
        el.dispatchEvent(new Event('input'));
      });
      const mid = await page.evaluate(() => {
        const hv = (window as unknown as { heapView: any }).heapView;
        return { step: hv.model.step, stats: hv.model.stats(), pools: document.getElementById('totals')!.dataset.pools };
      });
      expect(mid.step).toBeGreaterThan(0);
      expect(Number(mid.pools)).toBe(mid.stats.classes.reduce((n: number, c: { pools: number }) => n + c.pools, 0));
      // back to the end; click the first block of the first pool: it was allocated at line 26
      await page.click('#last');
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const p = await page.evaluate(() => (window as unknown as { heapView: any }).heapView.blockPoint(0, 0, 1));
      await page.mouse.move(p.x, p.y);
      expect(await page.textContent('#tooltip')).toContain('allocated at line 26');
      await page.mouse.click(p.x, p.y);
      expect((await posted()).filter((m) => m.type === 'reveal').pop()).toEqual({ type: 'reveal', line: 26 });
      // play moves through the trace, and pauses
      await page.click('#first');
      await page.click('#play');
      await page.waitForFunction(() => (window as unknown as { heapView: any }).heapView.model.step > 100);
      await page.click('#play');
      expect(await page.getAttribute('#play', 'aria-pressed')).toBe('false');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('follows a dark theme through the CSS variables', async () => {
    const { page } = await open(recorded, { width: 900, height: 600 });
    try {
      await page.evaluate(() => {
        document.body.classList.add('vscode-dark');
        document.documentElement.style.setProperty('--vscode-editor-background', '#1e1e1e');
        document.documentElement.style.setProperty('--vscode-foreground', '#cccccc');
      });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(bg).toBe('rgb(30, 30, 30)');
      const pixel = await page.evaluate(() => {
        const c = document.getElementById('canvas');
        return Array.from(c.getContext('2d')!.getImageData(2, 2, 1, 1).data.slice(0, 3));
      });
      expect(pixel).toEqual([30, 30, 30]);
    } finally {
      await page.close();
    }
  });

  it('stays responsive on a trace of a million operations', async () => {
    const trace = [
      'python 3.12',
      'repeat 500000 {',
      '  a[i] = PyObject_Malloc(16)',
      '}',
      'repeat 300000 {',
      '  PyObject_Free(a[i])',
      '}',
      'repeat 200000 {',
      '  b[i] = PyMem_Malloc(64)',
      '}',
    ].join('\n');
    const t0 = performance.now();
    const big = await simulateHeap({ uri: 'file:///heaplint-test/million.heaptrace' }, trace, 'heaptrace', undefined);
    const serverMs = performance.now() - t0;
    const json = JSON.stringify(big);
    expect(big.steps.ops).toBe(1_000_000);
    const { page, problems } = await open(big);
    try {
      const t = await page.evaluate(async () => {
        const hv = (window as unknown as { heapView: any }).heapView;
        const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
        const time = (f: () => void) => {
          const s = performance.now();
          f();
          return performance.now() - s;
        };
        const out: Record<string, number> = { ...hv.timings };
        out.backToStart = time(() => hv.goTo(0));
        out.toMiddle = time(() => hv.goTo(500_000));
        out.oneStep = time(() => hv.goTo(500_001));
        out.chunkStep = time(() => hv.goTo(501_001));
        out.toEnd = time(() => hv.goTo(1_000_000));
        out.draw = time(() => hv.drawNow());
        // play for a second: frames per second and the longest frame
        let frames = 0;
        let longest = 0;
        document.getElementById('first')!.click();
        document.getElementById('play')!.click();
        const start = performance.now();
        let last = start;
        while (performance.now() - start < 1000) {
          await frame();
          const now = performance.now();
          longest = Math.max(longest, now - last);
          last = now;
          frames++;
        }
        document.getElementById('play')!.click();
        out.playFps = frames;
        out.playLongestFrame = longest;
        out.playReached = hv.model.step;
        return out;
      });
      const report = {
        serverMs: Math.round(serverMs),
        messageMB: +(json.length / 1e6).toFixed(1),
        ...Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round(v * 10) / 10])),
      };
      console.log('heap view, 1,000,000 operations:', JSON.stringify(report));
      expect(t.loadMs).toBeLessThan(3000);
      expect(t.toMiddle).toBeLessThan(500);
      expect(t.oneStep).toBeLessThan(50);
      expect(t.draw).toBeLessThan(200);
      expect(t.playLongestFrame).toBeLessThan(500);
      await page.click('#last');
      const pools = await page.$eval('#totals', (e) => (e as any).dataset.pools);
      expect(Number(pools)).toBe(big.final.classes.reduce((n, c) => n + c.pools, 0));
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
