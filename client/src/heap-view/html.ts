/**
 * The Heap View's HTML: a static page whose script and style come from client/media/heap-view. No
 * remote resource, no inline script or style; the Content-Security-Policy allows only the
 * extension's own files and scripts carrying this page's nonce. Pure, so the headless-browser test
 * builds the very same page.
 */
import { randomBytes } from 'node:crypto';

export interface HeapViewPage {
  /** webview.cspSource (or the origin the test serves the files from). */
  cspSource: string;
  nonce: string;
  /** URIs of heap-model.js and heap-view.js, in that order. */
  scripts: string[];
  /** URI of heap-view.css. */
  style: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function heapViewHtml(p: HeapViewPage): string {
  const csp = [
    "default-src 'none'",
    `img-src ${p.cspSource} data:`,
    `style-src ${p.cspSource}`,
    `font-src ${p.cspSource}`,
    `script-src 'nonce-${p.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${esc(p.style)}">
<title>Heap View</title>
</head>
<body>
<header>
  <h1 id="title">Heap View</h1>
  <div class="controls">
    <label>Version <select id="python" aria-label="CPython version"></select></label>
    <label id="size-control" hidden>Unknown sizes <input id="default-size" type="number" min="1" max="1048576" value="64" aria-label="bytes assumed for sizes that are not constant"> bytes</label>
    <label>Arenas <select id="alignment" aria-label="arena alignment"><option value="aligned">pool-aligned</option><option value="misaligned">misaligned (one pool lost)</option></select></label>
    <label>Colour by <select id="colour-by"><option value="family">family</option><option value="class">size class</option></select></label>
    <button id="open-trace" hidden title="Open the extracted trace as a .heaptrace document">Open as trace</button>
  </div>
</header>
<div id="busy" class="busy" hidden>Simulating…</div>
<div id="error" class="error" role="alert" hidden></div>
<details id="notes" hidden><summary id="notes-count"></summary><ul id="note-list"></ul></details>
<div id="main" hidden>
  <div class="stepper" role="toolbar" aria-label="steps">
    <button id="first" title="Start (empty heap)" aria-label="first step">|&lt;</button>
    <button id="back-chunk" title="Back one chunk (Shift+Left)" aria-label="back one chunk">&lt;&lt;</button>
    <button id="back" title="Back one operation (Left)" aria-label="back one operation">&lt;</button>
    <button id="play" aria-pressed="false" title="Play through the trace (Space)">Play</button>
    <button id="next" title="Forward one operation (Right)" aria-label="forward one operation">&gt;</button>
    <button id="next-chunk" title="Forward one chunk (Shift+Right)" aria-label="forward one chunk">&gt;&gt;</button>
    <button id="last" title="End of the trace" aria-label="last step">&gt;|</button>
    <input id="slider" type="range" min="0" max="0" value="0" aria-label="operation">
    <span id="step-label" aria-live="polite"></span>
  </div>
  <div id="snapshots" class="snapshots" hidden></div>
  <div id="truncated" class="warning" hidden>The trace is longer than the server records: the view stops at the last recorded operation.</div>
  <div class="layout">
    <section class="heap-box">
      <div id="summary" class="summary"></div>
      <div id="legend" class="legend"></div>
      <div id="heap" class="heap" tabindex="0" aria-label="arenas, pools and blocks">
        <canvas id="canvas"></canvas>
        <div id="spacer"></div>
      </div>
    </section>
    <aside>
      <section id="events-box" class="box">
        <h2>Flagged operations <span class="count"><span id="events-seen">0</span>/<span id="events-count">0</span></span></h2>
        <ol id="event-list" class="events"></ol>
      </section>
      <section id="totals" class="box">
        <h2>Totals (as <code>sys._debugmallocstats()</code>)</h2>
        <pre id="stats"></pre>
      </section>
      <section id="ops-box" class="box">
        <h2>Trace</h2>
        <ol id="op-list" class="ops"></ol>
      </section>
    </aside>
  </div>
</div>
<div id="tooltip" class="tooltip" role="tooltip" hidden></div>
${p.scripts.map((s) => `<script nonce="${p.nonce}" src="${esc(s)}"></script>`).join('\n')}
</body>
</html>
`;
}
