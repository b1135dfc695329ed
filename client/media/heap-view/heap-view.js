/*
 * The Heap View page: arenas as rows of pools, pools as strips of blocks, a step slider through the
 * recorded simulation, the flagged events and the _debugmallocstats totals.
 *
 * Messages from the extension: {type:'load', result} (a SimulateHeapResult), {type:'busy', message},
 * {type:'error', message}. Messages to it: {type:'ready'}, {type:'line', line} (highlight in the
 * editor), {type:'reveal', line} (open the line), {type:'resimulate', defaultSize, python, arenaAlignment},
 * {type:'openTrace'}. Plain DOM and one canvas; no framework, nothing fetched.
 */
(function () {
  'use strict';

  const vscode =
    typeof acquireVsCodeApi === 'function'
      ? acquireVsCodeApi()
      : { postMessage: (m) => (window.__heapViewPosted = window.__heapViewPosted || []).push(m), setState() {}, getState() {} };

  const $ = (id) => document.getElementById(id);
  const LABEL_W = 96;
  /** Pool strip height: taller when few arenas share the view (fixed per trace, so rows never jump). */
  let POOL_H = 48;
  let ROW_H = POOL_H + 22;
  const TOP_PAD = 6;
  const SLIDER_STEPS = 1000;
  const PLAY_FRAMES = 600;

  /** @type {{HeapModel: any, FAMILIES: string[]}} */
  const api = window.HeapModel;
  let result = null;
  let model = null;
  let colourBy = 'family';
  let playing = false;
  let pendingFrame = 0;
  let lastLineSent = 0;
  let lineTimer = 0;
  let layout = null;
  const timings = {};

  // ------------------------------------------------------------------ colours (follow the theme)

  let palette = null;
  function readPalette() {
    const cs = getComputedStyle(document.body);
    const v = (name, fallback) => cs.getPropertyValue(name).trim() || fallback;
    const dark = document.body.classList.contains('vscode-dark') || document.body.classList.contains('vscode-high-contrast');
    palette = {
      dark,
      font: `11px ${cs.fontFamily || 'sans-serif'}`,
      bg: v('--hv-bg', dark ? '#1e1e1e' : '#ffffff'),
      free: v('--hv-free', dark ? '#2d2d30' : '#eeeeee'),
      unused: v('--hv-unused', dark ? '#252526' : '#f6f6f6'),
      border: v('--hv-border', dark ? '#3c3c3c' : '#cccccc'),
      text: v('--hv-text', dark ? '#cccccc' : '#333333'),
      muted: v('--hv-muted', dark ? '#8c8c8c' : '#777777'),
      current: v('--hv-current', dark ? '#ffd700' : '#c28e00'),
      family: ['', v('--hv-libc', '#9e9e9e'), v('--hv-raw', '#e08a2e'), v('--hv-mem', '#3d8fd6'), v('--hv-object', '#3fa66b')],
    };
  }

  const classColours = [];
  function classColour(cls, n) {
    const key = `${palette.dark}:${n}:${cls}`;
    if (classColours[cls] && classColours[cls].key === key) return classColours[cls].colour;
    const hue = Math.round((cls * 300) / Math.max(1, n - 1));
    const colour = `hsl(${hue}, 60%, ${palette.dark ? 55 : 45}%)`;
    classColours[cls] = { key, colour };
    return colour;
  }

  function blockColour(fam, cls) {
    return colourBy === 'family' ? palette.family[fam] : classColour(cls, model.nClasses);
  }

  // ------------------------------------------------------------------ loading

  function load(r) {
    const t0 = performance.now();
    result = r;
    stop();
    $('busy').hidden = true;
    $('title').textContent = r.title || 'Heap View';
    if (r.error) {
      model = null;
      $('error').hidden = false;
      $('error').textContent = r.error;
      $('main').hidden = true;
      renderNotes();
      return;
    }
    $('error').hidden = true;
    $('main').hidden = false;
    model = new api.HeapModel(r);
    timings.decodeMs = performance.now() - t0;
    const t1 = performance.now();
    model.seek(model.ops);
    timings.seekMs = performance.now() - t1;
    const maxArenas = Math.max(1, ...model.hwValues.slice(-1));
    const room = Math.max(120, $('heap').clientHeight || 400);
    POOL_H = Math.max(48, Math.min(160, Math.floor((room - TOP_PAD) / maxArenas) - 26));
    ROW_H = POOL_H + 22;
    setupControls();
    renderNotes();
    renderOps();
    renderEvents();
    update(true);
    timings.loadMs = performance.now() - t0;
    document.body.dataset.loaded = 'true';
  }

  function setupControls() {
    const slider = $('slider');
    const positions = Math.min(model.ops, SLIDER_STEPS);
    slider.max = String(positions);
    slider.disabled = model.ops === 0;
    const py = $('python');
    py.textContent = '';
    for (const v of result.pythonVersions || [result.python]) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = `CPython ${v}`;
      if (v === result.python || v === result.python.split('.').slice(0, 2).join('.')) o.selected = true;
      py.appendChild(o);
    }
    $('alignment').value = result.geometry.arenaAlignment || 'aligned';
    const isC = result.source === 'c-function';
    $('size-control').hidden = !isC;
    $('open-trace').hidden = !isC || !result.heaptrace;
    if (isC && result.defaultSize) $('default-size').value = String(result.defaultSize);
    const snaps = $('snapshots');
    snaps.textContent = '';
    for (const s of result.snapshots) {
      const b = document.createElement('button');
      b.className = 'snapshot';
      b.textContent = s.label;
      b.title = `snapshot at line ${s.line}, after ${s.op.toLocaleString()} operations`;
      b.addEventListener('click', () => goTo(s.op));
      snaps.appendChild(b);
    }
    snaps.hidden = result.snapshots.length === 0;
    $('truncated').hidden = !result.truncated;
  }

  // ------------------------------------------------------------------ stepping

  function chunk() {
    return Math.max(1, Math.ceil(model.ops / SLIDER_STEPS));
  }

  function goTo(step) {
    if (!model) return;
    const t0 = performance.now();
    model.seek(step);
    timings.lastSeekMs = performance.now() - t0;
    update(false);
  }

  function stop() {
    playing = false;
    $('play').textContent = 'Play';
    $('play').setAttribute('aria-pressed', 'false');
  }

  function play() {
    if (!model || model.ops === 0) return;
    if (playing) return stop();
    if (model.step >= model.ops) model.seek(0);
    playing = true;
    $('play').textContent = 'Pause';
    $('play').setAttribute('aria-pressed', 'true');
    const per = Math.max(1, Math.ceil(model.ops / PLAY_FRAMES));
    const tick = () => {
      if (!playing) return;
      model.seek(Math.min(model.ops, model.step + per));
      update(false);
      if (model.step >= model.ops) stop();
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  function update(full) {
    const s = model.step;
    const positions = Number($('slider').max);
    $('slider').value = String(model.ops ? Math.round((s * positions) / model.ops) : 0);
    const line = model.lineAt(s);
    const src = line && result.sourceLines[line] ? result.sourceLines[line] : '';
    $('step-label').textContent = `operation ${s.toLocaleString()} of ${model.ops.toLocaleString()}` + (line ? ` · line ${line}` : '') + (src ? ` · ${src}` : '');
    sendLine(line);
    renderTotals();
    markEvents();
    markOps(line);
    if (full) layout = null;
    requestDraw();
  }

  function sendLine(line) {
    if (line === lastLineSent) return;
    clearTimeout(lineTimer);
    lineTimer = setTimeout(
      () => {
        lastLineSent = line;
        vscode.postMessage({ type: 'line', line });
      },
      playing ? 120 : 0,
    );
  }

  // ------------------------------------------------------------------ totals (_debugmallocstats)

  function fmt(n) {
    return Math.trunc(n).toLocaleString('en-US');
  }
  function printone(msg, value) {
    return msg.padEnd(35) + '=' + fmt(value).padStart(21) + '\n';
  }

  function renderTotals() {
    const st = model.stats();
    const g = model.g;
    let t = `Small block threshold = ${g.smallRequestThreshold}, in ${model.nClasses} size classes.\n\n`;
    t += 'class   size   num pools   blocks in use  avail blocks\n';
    t += '-----   ----   ---------   -------------  ------------\n';
    for (const c of st.classes) {
      t += String(c.index).padStart(5) + String(c.size).padStart(7) + String(c.pools).padStart(12) + String(c.blocks).padStart(16) + String(c.avail).padStart(14) + '\n';
    }
    t += '\n';
    t += printone('# arenas allocated total', st.arenas.allocatedTotal);
    t += printone('# arenas reclaimed', st.arenas.reclaimed);
    t += printone('# arenas highwater mark', st.arenas.highwater);
    t += printone('# arenas allocated current', st.arenas.current);
    t += printone(`${st.arenas.current} arenas * ${g.arenaSize} bytes/arena`, st.bytes.arenas);
    t += '\n';
    t += printone('# bytes in allocated blocks', st.bytes.inAllocatedBlocks);
    t += printone('# bytes in available blocks', st.bytes.inAvailableBlocks);
    t += printone(`${st.unusedPools} unused pools * ${g.poolSize} bytes`, st.bytes.unusedPools);
    t += printone('# bytes lost to pool headers', st.bytes.poolHeaders);
    t += printone('# bytes lost to quantization', st.bytes.quantization);
    t += printone('# bytes lost to arena alignment', st.bytes.arenaAlignment);
    const b = st.bytes;
    t += printone('Total', b.inAllocatedBlocks + b.inAvailableBlocks + b.unusedPools + b.poolHeaders + b.quantization + b.arenaAlignment);
    t += '\n';
    t += printone('sys.getallocatedblocks()', st.allocatedBlocks);
    t += printone('C heap blocks (not in pools)', st.cHeap.blocks);
    t += printone('C heap bytes', st.cHeap.bytes);
    $('stats').textContent = t;
    const totals = $('totals');
    let pools = 0;
    for (const c of st.classes) pools += c.pools;
    totals.dataset.arenas = String(st.arenas.current);
    totals.dataset.pools = String(pools);
    totals.dataset.unusedPools = String(st.unusedPools);
    totals.dataset.blocks = String(st.allocatedBlocks);
    totals.dataset.classes = st.classes.map((c) => `${c.size}:${c.pools}:${c.blocks}`).join(' ');
    $('summary').textContent =
      `${fmt(st.arenas.current)} arena${st.arenas.current === 1 ? '' : 's'}, ${fmt(pools)} pool${pools === 1 ? '' : 's'} in use, ` +
      `${fmt(st.unusedPools)} unused, ${fmt(st.allocatedBlocks)} allocated block${st.allocatedBlocks === 1 ? '' : 's'}` +
      (st.cHeap.blocks ? `, ${fmt(st.cHeap.blocks)} on the C heap` : '');
  }

  // ------------------------------------------------------------------ lists

  function lineLink(line, text) {
    const a = document.createElement('a');
    a.href = '#';
    a.className = 'line-link';
    a.textContent = text || `line ${line}`;
    a.addEventListener('click', (e) => {
      e.preventDefault();
      vscode.postMessage({ type: 'reveal', line });
    });
    return a;
  }

  function renderNotes() {
    const notes = (result && result.notes) || [];
    const box = $('notes');
    box.hidden = notes.length === 0;
    $('notes-count').textContent = `${notes.length} assumption${notes.length === 1 ? '' : 's'} and warning${notes.length === 1 ? '' : 's'}`;
    const ul = $('note-list');
    ul.textContent = '';
    for (const n of notes) {
      const li = document.createElement('li');
      li.className = `note ${n.kind}`;
      li.appendChild(lineLink(n.line));
      li.appendChild(document.createTextNode(`: ${n.message}`));
      ul.appendChild(li);
    }
  }

  function renderOps() {
    const ol = $('op-list');
    ol.textContent = '';
    const ops = result.ops.slice(0, 2000);
    for (const o of ops) {
      const li = document.createElement('li');
      li.dataset.line = String(o.line);
      li.className = `op ${o.kind}`;
      li.style.paddingLeft = `${0.4 + o.depth * 1.2}em`;
      const what =
        o.kind === 'repeat'
          ? `repeat ${o.repeat}`
          : o.kind === 'snapshot'
            ? `snapshot ${o.label}`
            : o.kind === 'free'
              ? `${o.api}(${o.name})`
              : `${o.name} = ${o.api}(${o.kind === 'realloc' ? '…, ' : o.count != null ? `${o.count}, ` : ''}${o.size}${o.sizeKnown === false ? ' ?' : ''})`;
      li.appendChild(lineLink(o.line, String(o.line).padStart(4)));
      const span = document.createElement('span');
      span.className = `what ${o.family || ''}`;
      span.textContent = ` ${what}`;
      if (o.sizeKnown === false) span.title = 'size not constant: the default size was used';
      li.appendChild(span);
      li.addEventListener('click', (e) => {
        if (e.target instanceof HTMLAnchorElement) return;
        seekToLine(o.line);
      });
      ol.appendChild(li);
    }
    $('ops-box').hidden = result.ops.length === 0;
  }

  /** The first operation after the current step that runs `line` (wrapping around). */
  function seekToLine(line) {
    const n = model.ops;
    for (let k = 0; k < n; k++) {
      const s = (model.step + k) % n;
      if (model.opLine[s] === line) return goTo(s + 1);
    }
  }

  function markOps(line) {
    for (const li of $('op-list').children) li.classList.toggle('current', Number(li.dataset.line) === line);
  }

  function renderEvents() {
    const ol = $('event-list');
    ol.textContent = '';
    $('events-count').textContent = String(result.events.length);
    $('events-box').classList.toggle('has-events', result.events.length > 0);
    for (const e of result.events.slice(0, 1000)) {
      const li = document.createElement('li');
      li.className = `event ${e.kind}`;
      li.dataset.op = String(e.op);
      const head = document.createElement('div');
      head.className = 'event-head';
      head.appendChild(lineLink(e.line));
      const family = e.allocFamily ? ` a ${e.allocFamily} block` : '';
      const from = e.allocLine ? ` allocated at line ${e.allocLine}` : '';
      head.appendChild(document.createTextNode(`: ${e.api}(${e.name || ''}) releases${family}${from} — ${e.kind.replace('-', ' ')}`));
      li.appendChild(head);
      const debug = document.createElement('div');
      debug.className = 'debug';
      debug.textContent = `PYTHONMALLOC=debug: ${e.debug}`;
      li.appendChild(debug);
      const rel = document.createElement('div');
      rel.className = 'release';
      rel.textContent = `release build: ${e.release}`;
      li.appendChild(rel);
      li.addEventListener('click', (ev) => {
        if (ev.target instanceof HTMLAnchorElement) return;
        goTo(e.op + 1);
        vscode.postMessage({ type: 'reveal', line: e.line });
      });
      ol.appendChild(li);
    }
  }

  function markEvents() {
    const s = model.step;
    let seen = 0;
    for (const li of $('event-list').children) {
      const future = Number(li.dataset.op) >= s;
      li.classList.toggle('future', future);
      if (!future) seen++;
    }
    $('events-seen').textContent = String(seen);
  }

  // ------------------------------------------------------------------ drawing

  function requestDraw() {
    if (pendingFrame) return;
    pendingFrame = requestAnimationFrame(() => {
      pendingFrame = 0;
      draw();
    });
  }

  function computeLayout() {
    const scroller = $('heap');
    const width = Math.max(200, scroller.clientWidth);
    const cellW = Math.max(3, Math.floor((width - LABEL_W - 8) / model.maxPools));
    return { width, cellW, stripW: Math.max(2, cellW - (cellW > 4 ? 2 : 1)) };
  }

  function draw() {
    if (!model) return;
    const t0 = performance.now();
    if (!palette) readPalette();
    const scroller = $('heap');
    const canvas = $('canvas');
    if (!layout || layout.width !== Math.max(200, scroller.clientWidth)) layout = computeLayout();
    const arenas = model.liveArenas();
    $('spacer').style.height = `${TOP_PAD + arenas.length * ROW_H}px`;
    const viewH = Math.max(ROW_H, scroller.clientHeight);
    const dpr = window.devicePixelRatio || 1;
    const cssW = layout.width;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(viewH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(viewH * dpr);
      canvas.style.width = `${cssW}px`;
      canvas.style.height = `${viewH}px`;
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = palette.bg;
    ctx.fillRect(0, 0, cssW, viewH);
    const top = scroller.scrollTop;
    const first = Math.max(0, Math.floor((top - TOP_PAD) / ROW_H));
    const last = Math.min(arenas.length, Math.ceil((top + viewH) / ROW_H) + 1);
    const touched = touchedBlock();
    ctx.font = palette.font;
    ctx.textBaseline = 'top';
    for (let r = first; r < last; r++) {
      const { slot, arena } = arenas[r];
      const y = TOP_PAD + r * ROW_H - top;
      ctx.fillStyle = palette.text;
      ctx.fillText(`arena ${slot}`, 4, y + 4);
      ctx.fillStyle = palette.muted;
      ctx.fillText(`${arena.used}/${arena.ntotal} pools`, 4, y + 18);
      for (let k = 0; k < model.maxPools; k++) {
        const x = LABEL_W + k * layout.cellW;
        drawPool(ctx, arena, k, x, y + 4, touched && touched.slot === slot && touched.k === k ? touched.j : -1);
      }
    }
    if (arenas.length === 0) {
      ctx.fillStyle = palette.muted;
      ctx.fillText(model.step === 0 ? 'No operation performed yet: the heap is empty.' : 'No arena is allocated at this step.', 8, 12);
    }
    timings.lastDrawMs = performance.now() - t0;
  }

  /** One pool: a vertical strip, blocks top to bottom in address order, aggregated per pixel row. */
  function drawPool(ctx, arena, k, x, y, touchedBlockIndex) {
    const w = layout.stripW;
    const h = POOL_H;
    const pool = arena.pools[k];
    if (k >= arena.ntotal) {
      // the pool an unaligned arena loses
      ctx.strokeStyle = palette.border;
      ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
      return;
    }
    if (!pool || pool.count === 0) {
      ctx.fillStyle = palette.unused;
      ctx.fillRect(x, y, w, h);
      return;
    }
    const nb = pool.fam.length;
    ctx.fillStyle = palette.free;
    ctx.fillRect(x, y, w, h);
    // class bar on top
    ctx.fillStyle = classColour(pool.cls, model.nClasses);
    ctx.fillRect(x, y, w, 3);
    const by = y + 4;
    const bh = h - 4;
    if (pool.count === nb && colourBy === 'family') {
      // full pool of one family is common: one rectangle when so
      let same = true;
      const f0 = pool.fam[0];
      for (let j = 1; j < nb && same; j++) same = pool.fam[j] === f0;
      if (same) {
        ctx.fillStyle = blockColour(f0, pool.cls);
        ctx.fillRect(x, by, w, bh);
        outlineTouched(ctx, x, by, w, bh, nb, touchedBlockIndex);
        return;
      }
    }
    if (nb <= bh) {
      const step = bh / nb;
      for (let j = 0; j < nb; j++) {
        const f = pool.fam[j];
        if (!f) continue;
        ctx.fillStyle = blockColour(f, pool.cls);
        const y0 = by + Math.floor(j * step);
        const y1 = by + Math.floor((j + 1) * step);
        ctx.fillRect(x, y0, w, Math.max(1, y1 - y0 - (step >= 4 ? 1 : 0)));
      }
    } else {
      // more blocks than pixels: each pixel row shows the share of live blocks, in the majority family
      const counts = [0, 0, 0, 0, 0];
      let row = 0;
      let inRow = 0;
      const flush = () => {
        let live = 0;
        let best = 1;
        for (let f = 1; f <= 4; f++) {
          live += counts[f];
          if (counts[f] > counts[best]) best = f;
        }
        if (live) {
          ctx.globalAlpha = 0.35 + (0.65 * live) / inRow;
          ctx.fillStyle = blockColour(best, pool.cls);
          ctx.fillRect(x, by + row, w, 1);
          ctx.globalAlpha = 1;
        }
        counts[0] = counts[1] = counts[2] = counts[3] = counts[4] = 0;
        inRow = 0;
      };
      for (let j = 0; j < nb; j++) {
        const r = Math.floor((j * bh) / nb);
        if (r !== row) {
          flush();
          row = r;
        }
        counts[pool.fam[j]]++;
        inRow++;
      }
      flush();
    }
    outlineTouched(ctx, x, by, w, bh, nb, touchedBlockIndex);
  }

  function outlineTouched(ctx, x, by, w, bh, nb, j) {
    if (j < 0) return;
    const y0 = by + Math.floor((j * bh) / nb);
    ctx.strokeStyle = palette.current;
    ctx.lineWidth = 1;
    ctx.strokeRect(x - 0.5, y0 - 1.5, w + 1, Math.max(3, bh / nb) + 2);
  }

  /** The block the operation of the current step touched last (for the outline). */
  function touchedBlock() {
    const s = model.step;
    if (s === 0) return null;
    for (let r = model.opStart[s] - 1; r >= model.opStart[s - 1]; r--) {
      const b = model.rec[2 * r + 1] & 7;
      if (b === 1 || b === 2) {
        const a = model.rec[2 * r];
        const pi = a >>> 10;
        return { slot: pi >> model.poolShift, k: pi & (model.maxPools - 1), j: a & 1023 };
      }
    }
    return null;
  }

  /** The block under a point of the heap area, or undefined. */
  function hit(clientX, clientY) {
    if (!model || !layout) return undefined;
    const rect = $('canvas').getBoundingClientRect();
    const x = clientX - rect.left;
    const y = clientY - rect.top + $('heap').scrollTop;
    const r = Math.floor((y - TOP_PAD) / ROW_H);
    const arenas = model.liveArenas();
    if (r < 0 || r >= arenas.length) return undefined;
    const k = Math.floor((x - LABEL_W) / layout.cellW);
    if (k < 0 || k >= model.maxPools || x - LABEL_W - k * layout.cellW > layout.stripW) return undefined;
    const { slot, arena } = arenas[r];
    const pool = arena.pools[k];
    const by = TOP_PAD + r * ROW_H + 4 + 4;
    const bh = POOL_H - 4;
    const off = y - by;
    if (!pool || pool.count === 0 || off < 0 || off >= bh) return { slot, k, pool: null };
    const nb = pool.fam.length;
    const j0 = Math.floor((off * nb) / bh);
    const j1 = Math.max(j0 + 1, Math.floor(((off + 1) * nb) / bh));
    for (let j = j0; j < j1 && j < nb; j++) {
      if (pool.fam[j]) return { slot, k, pool, j, block: model.blockAt(slot, k, j) };
    }
    return { slot, k, pool, j: j0 };
  }

  function describeHit(h) {
    if (!h) return '';
    const head = `arena ${h.slot}, pool ${h.k}`;
    if (!h.pool) return `${head}: unused`;
    const size = model.classSize(h.pool.cls);
    const poolText = `${head}: ${size}-byte blocks, ${h.pool.count} of ${h.pool.fam.length} in use`;
    if (!h.block) return `${poolText}\nblock ${h.j}: free`;
    const src = result.sourceLines[h.block.line] || '';
    return `${poolText}\nblock ${h.j}: ${h.block.family} block allocated at line ${h.block.line}${src ? `: ${src}` : ''}\n(click to open the line)`;
  }

  // ------------------------------------------------------------------ events

  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'load') load(m.result);
    else if (m.type === 'busy') {
      $('busy').hidden = false;
      $('busy').textContent = m.message || 'Simulating…';
    } else if (m.type === 'error') {
      $('busy').hidden = true;
      $('error').hidden = false;
      $('error').textContent = m.message;
    }
  });

  function init() {
    $('slider').addEventListener('input', () => {
      stop();
      const positions = Number($('slider').max) || 1;
      goTo(Math.round((Number($('slider').value) * model.ops) / positions));
    });
    $('first').addEventListener('click', () => (stop(), goTo(0)));
    $('back').addEventListener('click', () => (stop(), goTo(model.step - 1)));
    $('next').addEventListener('click', () => (stop(), goTo(model.step + 1)));
    $('last').addEventListener('click', () => (stop(), goTo(model.ops)));
    $('back-chunk').addEventListener('click', () => (stop(), goTo(model.step - chunk())));
    $('next-chunk').addEventListener('click', () => (stop(), goTo(model.step + chunk())));
    $('play').addEventListener('click', play);
    $('colour-by').addEventListener('change', () => {
      colourBy = $('colour-by').value;
      renderLegend();
      requestDraw();
    });
    const resim = () => {
      const size = Number($('default-size').value);
      vscode.postMessage({ type: 'resimulate', defaultSize: size > 0 ? size : undefined, python: $('python').value, arenaAlignment: $('alignment').value });
      $('busy').hidden = false;
      $('busy').textContent = 'Simulating…';
    };
    $('python').addEventListener('change', resim);
    $('default-size').addEventListener('change', resim);
    $('alignment').addEventListener('change', resim);
    $('open-trace').addEventListener('click', () => vscode.postMessage({ type: 'openTrace' }));
    $('heap').addEventListener('scroll', requestDraw);
    const canvas = $('canvas');
    canvas.addEventListener('mousemove', (e) => {
      const h = hit(e.clientX, e.clientY);
      const tip = $('tooltip');
      const text = describeHit(h);
      tip.hidden = !text;
      if (!text) return;
      tip.textContent = text;
      tip.style.left = `${Math.min(e.clientX + 12, window.innerWidth - 320)}px`;
      tip.style.top = `${e.clientY + 14}px`;
    });
    canvas.addEventListener('mouseleave', () => ($('tooltip').hidden = true));
    canvas.addEventListener('click', (e) => {
      const h = hit(e.clientX, e.clientY);
      if (h && h.block) vscode.postMessage({ type: 'reveal', line: h.block.line });
    });
    document.addEventListener('keydown', (e) => {
      if (!model || e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
      if (e.key === 'ArrowRight') goTo(model.step + (e.shiftKey ? chunk() : 1));
      else if (e.key === 'ArrowLeft') goTo(model.step - (e.shiftKey ? chunk() : 1));
      else if (e.key === ' ') {
        e.preventDefault();
        play();
      } else return;
      stop();
    });
    new ResizeObserver(() => {
      layout = null;
      requestDraw();
    }).observe($('heap'));
    new MutationObserver(() => {
      palette = null;
      renderLegend();
      requestDraw();
    }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    renderLegend();
    vscode.postMessage({ type: 'ready' });
  }

  function renderLegend() {
    if (!palette) readPalette();
    const box = $('legend');
    box.textContent = '';
    const add = (colour, label) => {
      const s = document.createElement('span');
      s.className = 'swatch';
      const c = document.createElement('i');
      c.style.background = colour;
      s.appendChild(c);
      s.appendChild(document.createTextNode(label));
      box.appendChild(s);
    };
    if (colourBy === 'family') {
      add(palette.family[1], 'malloc (libc)');
      add(palette.family[2], 'PyMem_Raw*');
      add(palette.family[3], 'PyMem_*');
      add(palette.family[4], 'PyObject_*');
    } else if (model) {
      const seen = new Set();
      for (const c of model.stats().classes) seen.add(c.index);
      for (const c of seen) add(classColour(c, model.nClasses), `${model.classSize(c)} B`);
    }
    add(palette.free, 'free block');
    add(palette.unused, 'unused pool');
  }

  // For tests and the e2e run: read-only access to the state.
  window.heapView = {
    get model() {
      return model;
    },
    get result() {
      return result;
    },
    timings,
    goTo,
    /** Centre of block j of pool k of the r-th live arena row, in client coordinates (for clicks). */
    blockPoint(row, k, j) {
      const rect = $('canvas').getBoundingClientRect();
      const pool = model.liveArenas()[row].arena.pools[k];
      const nb = pool ? pool.fam.length : 1;
      const bh = POOL_H - 4;
      return {
        x: rect.left + LABEL_W + k * layout.cellW + layout.stripW / 2,
        y: rect.top + TOP_PAD + row * ROW_H + 8 + ((j + 0.5) * bh) / nb - $('heap').scrollTop,
      };
    },
    /** The strip of pool k of the r-th live arena row, in client coordinates. */
    poolRect(row, k) {
      const rect = $('canvas').getBoundingClientRect();
      return { x: rect.left + LABEL_W + k * layout.cellW, y: rect.top + TOP_PAD + row * ROW_H + 4 - $('heap').scrollTop, w: layout.stripW, h: POOL_H };
    },
    drawNow: draw,
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
