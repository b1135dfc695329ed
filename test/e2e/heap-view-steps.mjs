// The Heap View in the real VS Code e2e run (part 8 of issue 4): open a C file, run
// "HeapLint: Simulate Heap for Current Function" from the command palette, wait for the webview,
// check the pool counts in the view's DOM, click a block and see the editor jump to the line that
// allocated it, and take a screenshot.
//
// HOW TO CALL IT (for test/e2e/run-e2e.mjs):
//
//   import { prepareHeapView, heapViewSteps } from './heap-view-steps.mjs';
//   ...
//   cpSync(FIXTURE, workspace, { recursive: true });
//   prepareHeapView(workspace);                 // before code-server starts: writes heapdemo.c
//   ...
//   // after your own checks, with the page and your helpers:
//   await heapViewSteps({ page, check, expect, runCommand, goTo, shot, log });
//
// heapdemo.c has no finding (so "No problems have been detected" still holds): its blocks live in
// static tables. The checks are registered through your `check`, so they count in `N passed, N failed`.
// Screenshot: heap-view-vscode.png through your `shot`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';

export const HEAP_VIEW_FILE = 'heapdemo.c';

export const HEAP_VIEW_FIXTURE = `/*
 * Heap View e2e fixture: fill_cache() keeps 1,500 objects of 24 bytes (pymalloc's 32-byte class)
 * and 40 names of 100 bytes (the 112-byte class) in static tables that live as long as the module.
 */
#include <Python.h>

#define N_ITEMS 1500

typedef struct {
    PyObject_HEAD
    Py_ssize_t size;
} ChunkObject;

static void *cache[N_ITEMS];
static char *names[40];

static int
fill_cache(void)
{
    for (int i = 0; i < N_ITEMS; i++) {
        cache[i] = PyObject_Malloc(sizeof(ChunkObject));
        if (cache[i] == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    for (int i = 0; i < 40; i++) {
        names[i] = PyMem_Malloc(100);
        if (names[i] == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    return 0;
}
`;

/**
 * What the view must show at the end of fill_cache() on the default CPython (3.12: 16 KiB pools):
 * 1,500 blocks of 32 bytes fill 3 pools (510 per pool), 40 blocks of 112 bytes fill 1 pool.
 */
export const HEAP_VIEW_EXPECTED = { arenas: '1', pools: '4', classes: '32:3:1500 112:1:40' };

export function prepareHeapView(workspaceDir) {
  writeFileSync(path.join(workspaceDir, HEAP_VIEW_FILE), HEAP_VIEW_FIXTURE);
}

/** The Heap View's frame: the last webview host iframe, then the extension's page inside it. */
function heapFrame(page) {
  return page.frameLocator('iframe.webview').last().frameLocator('#active-frame');
}

export async function heapViewSteps({ page, check, expect, runCommand, goTo, shot, log }) {
  const lines = HEAP_VIEW_FIXTURE.split('\n');
  const allocLine = lines.findIndex((l) => l.includes('PyObject_Malloc(sizeof')) + 1; // 1-based
  const allocCol = lines[allocLine - 1].indexOf('cache') + 1;

  await check('Heap View: opens from the command palette for the function under the cursor', async () => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget input').fill(HEAP_VIEW_FILE);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: HEAP_VIEW_FILE }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab.active', { hasText: HEAP_VIEW_FILE }).waitFor();
    await page.locator('.editor-instance .view-lines', { hasText: 'fill_cache' }).first().waitFor();
    await goTo(allocLine, allocCol);
    // more room for the view in the screenshot: hide the bottom panel if an earlier step opened it
    if (await page.locator('.part.panel').first().isVisible().catch(() => false)) await page.keyboard.press('Control+J');
    await goTo(allocLine, allocCol);
    await runCommand('HeapLint: Simulate Heap for Current Function');
    await page.locator('.tabs-container .tab', { hasText: 'Heap View' }).first().waitFor();
    const view = heapFrame(page);
    await view.locator('body[data-loaded="true"]').waitFor({ timeout: 60_000 });
    const totals = view.locator('#totals');
    const got = {
      arenas: await totals.getAttribute('data-arenas'),
      pools: await totals.getAttribute('data-pools'),
      classes: await totals.getAttribute('data-classes'),
    };
    log('heap view totals:', JSON.stringify(got));
    expect(JSON.stringify(got) === JSON.stringify(HEAP_VIEW_EXPECTED), `expected ${JSON.stringify(HEAP_VIEW_EXPECTED)}, the view shows ${JSON.stringify(got)}`);
    const title = await view.locator('#title').innerText();
    expect(title.includes('fill_cache()'), `the view's title is ${JSON.stringify(title)}`);
    await shot('heap-view-vscode.png');
    return `${got.pools} pools in ${got.arenas} arena; ${got.classes}`;
  });

  await check('Heap View: clicking a block opens the line that allocated it', async () => {
    await goTo(1, 1); // move the cursor away, so the jump below is the view's doing
    await page.locator('.statusbar-item', { hasText: 'Ln 1, Col 1' }).first().waitFor();
    const view = heapFrame(page);
    const canvas = view.locator('#canvas');
    // pool 0 of the first arena row, block 1: a 32-byte block from cache[i] = PyObject_Malloc(...)
    const at = await canvas.evaluate((c) => {
      const r = window.heapView.poolRect(0, 0);
      const box = c.getBoundingClientRect();
      return { x: r.x - box.left + r.w / 2, y: r.y - box.top + 12 };
    });
    await canvas.click({ position: at });
    const status = page.locator('.statusbar-item', { hasText: `Ln ${allocLine},` }).first();
    await status.waitFor();
    return `the editor is at ${JSON.stringify(await status.innerText())}`;
  });

  await check('Heap View: stepping shows the operation and its line', async () => {
    const view = heapFrame(page);
    await view.locator('#first').click();
    await view.locator('#next').click();
    const label = await view.locator('#step-label').innerText();
    expect(label.includes(`line ${allocLine}`), `the step label is ${JSON.stringify(label)}`);
    expect((await view.locator('#totals').getAttribute('data-pools')) === '1', 'after one operation one pool should be in use');
    await view.locator('#last').click();
    return JSON.stringify(label);
  });
}
