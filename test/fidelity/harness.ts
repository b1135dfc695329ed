/**
 * Finds the CPython builds of this machine, builds test/fidelity/replay.c against each, replays a
 * .heaptrace through the real allocators and through the simulator, and reduces both to the same
 * figures. Nothing about the machine is hard-coded: interpreters are discovered through the
 * python3.X-config scripts on the PATH-independent places Debian and pyenv put them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { geometryFor, type ArenaAlignment, type PymallocGeometry } from '../../allocator-model/src/geometry';
import { HeapSimulator } from '../../server/src/simulator/heap';
import { FAMILY_NAMES, type Family } from '../../server/src/simulator/families';
import type { HeapStats } from '../../server/src/simulator/stats';
import { executeTrace, parseHeaptrace, resolveGeometry } from '../../server/src/simulator/heaptrace';

const HERE = __dirname;
const REPO = join(HERE, '..', '..');
export const BUILD_DIR = join(REPO, 'test', '.tmp', 'fidelity');

export interface PythonInstall {
  /** e.g. "debian 3.11.2" or "pyenv 3.9.18". */
  label: string;
  version: string;
  config: string;
  interpreter: string;
  home: string;
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 20_000 });
  } catch {
    return undefined;
  }
}

function pyenvRoot(): string | undefined {
  if (process.env.PYENV_ROOT && existsSync(process.env.PYENV_ROOT)) return process.env.PYENV_ROOT;
  const viaTool = run('pyenv', ['root'])?.trim();
  if (viaTool && existsSync(viaTool)) return viaTool;
  const guess = join(homedir(), '.pyenv');
  return existsSync(guess) ? guess : undefined;
}

function configScripts(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /^python3\.\d+m?-config$/.test(f))
    .map((f) => join(dir, f));
}

function describeInstall(kind: string, config: string): PythonInstall | undefined {
  const interpreter = join(dirname(config), basename(config).replace(/m?-config$/, ''));
  if (!existsSync(interpreter)) return undefined;
  const out = run(interpreter, ['-c', "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.prefix)"]);
  if (!out) return undefined;
  const [version, home] = out.trim().split('\n');
  return { label: `${kind} ${version}`, version, config, interpreter, home };
}

/** Every CPython 3 with headers and an embeddable libpython: Debian's -dev packages and pyenv builds. */
export function discoverPythons(): PythonInstall[] {
  const found: PythonInstall[] = [];
  for (const c of configScripts('/usr/bin')) {
    const p = describeInstall('debian', c);
    if (p) found.push(p);
  }
  const root = pyenvRoot();
  if (root && existsSync(join(root, 'versions'))) {
    for (const v of readdirSync(join(root, 'versions')).sort()) {
      const bin = join(root, 'versions', v, 'bin');
      const c = configScripts(bin)[0];
      const p = c && describeInstall('pyenv', c);
      if (p) found.push(p);
    }
  }
  return found;
}

/** Compile replay.c against one install; returns the binary or a reason it could not be built. */
export function buildReplay(py: PythonInstall): { binary: string } | { error: string } {
  mkdirSync(BUILD_DIR, { recursive: true });
  const binary = join(BUILD_DIR, `replay-${py.label.replace(/[^\w.]+/g, '-')}`);
  const includes = run('sh', [py.config, '--includes']);
  const ldflags = run('sh', [py.config, '--ldflags', '--embed']) ?? run('sh', [py.config, '--ldflags']);
  const libdir = run(py.interpreter, ['-c', "import sysconfig; print(sysconfig.get_config_var('LIBDIR') or '')"])?.trim();
  if (!includes || !ldflags) return { error: `${py.config} gave no compiler flags` };
  const args = [
    '-O1',
    '-o',
    binary,
    join(HERE, 'replay.c'),
    ...includes.trim().split(/\s+/),
    ...ldflags.trim().split(/\s+/),
    '-ldl',
    ...(libdir ? [`-Wl,-rpath,${libdir}`] : []),
  ];
  const r = spawnSync('gcc', args, { encoding: 'utf8' });
  if (r.status !== 0) return { error: `gcc failed for ${py.label}: ${(r.stderr || String(r.error)).split('\n').slice(0, 3).join(' ')}` };
  return { binary };
}

/** The figures compared between CPython and the simulator. */
export interface Figures {
  classes: Record<string, { pools: number; blocks: number; avail: number }>;
  arenas: { allocated_total: number; reclaimed: number; highwater: number; current: number };
  unused_pools: number;
  bytes: {
    arenas: number;
    in_allocated_blocks: number;
    in_available_blocks: number;
    unused_pools: number;
    pool_headers: number;
    quantization: number;
    arena_alignment: number;
  };
  allocated_blocks: number | null;
}

interface RealState {
  threshold: number;
  nclasses: number;
  classes: Map<number, { pools: number; blocks: number; avail: number }>;
  values: Map<string, number>;
  unusedPools: number;
  allocatedBlocks: number | null;
}

function parseRealState(text: string): RealState {
  const s: RealState = { threshold: 0, nclasses: 0, classes: new Map(), values: new Map(), unusedPools: 0, allocatedBlocks: null };
  for (const line of text.split('\n')) {
    let m = /^Small block threshold = (\d+), in (\d+) size classes/.exec(line);
    if (m) {
      s.threshold = Number(m[1]);
      s.nclasses = Number(m[2]);
      continue;
    }
    m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line);
    if (m) {
      s.classes.set(Number(m[2]), { pools: Number(m[3]), blocks: Number(m[4]), avail: Number(m[5]) });
      continue;
    }
    m = /^(\d+) unused pools \* \d+ bytes\s*=\s*([\d,]+)$/.exec(line);
    if (m) {
      s.unusedPools = Number(m[1]);
      s.values.set('unused pools bytes', Number(m[2].replace(/,/g, '')));
      continue;
    }
    m = /^\d+ arenas \* \d+ bytes\/arena\s*=\s*([\d,]+)$/.exec(line);
    if (m) {
      s.values.set('arena bytes', Number(m[1].replace(/,/g, '')));
      continue;
    }
    m = /^(#[^=]*?|Total)\s*=\s*([\d,]+)$/.exec(line);
    if (m) {
      s.values.set(m[1].trim(), Number(m[2].replace(/,/g, '')));
      continue;
    }
    m = /^ALLOCATED_BLOCKS (\d+|unavailable)$/.exec(line);
    if (m) s.allocatedBlocks = m[1] === 'unavailable' ? null : Number(m[1]);
  }
  return s;
}

function value(s: RealState, key: string): number {
  const v = s.values.get(key);
  if (v === undefined) throw new Error(`CPython's statistics have no "${key}" line`);
  return v;
}

/**
 * Real figures of the trace's own heap: snapshot minus the baseline taken after the pools were
 * filled. The high-water mark cannot be subtracted (it is a maximum), so it stays absolute here and
 * the simulated mark is lifted to max(baseline mark, baseline arenas + simulated mark) instead.
 */
function realDelta(base: RealState, snap: RealState): Figures {
  const classes: Figures['classes'] = {};
  for (const [size, c] of snap.classes) {
    const b = base.classes.get(size) ?? { pools: 0, blocks: 0, avail: 0 };
    const d = { pools: c.pools - b.pools, blocks: c.blocks - b.blocks, avail: c.avail - b.avail };
    if (d.pools !== 0 || d.blocks !== 0 || d.avail !== 0) classes[String(size)] = d;
  }
  const highwater = value(snap, '# arenas highwater mark');
  const d = (k: string) => value(snap, k) - value(base, k);
  return {
    classes,
    arenas: {
      allocated_total: d('# arenas allocated total'),
      reclaimed: d('# arenas reclaimed'),
      highwater,
      current: d('# arenas allocated current'),
    },
    unused_pools: snap.unusedPools - base.unusedPools,
    bytes: {
      arenas: d('arena bytes'),
      in_allocated_blocks: d('# bytes in allocated blocks'),
      in_available_blocks: d('# bytes in available blocks'),
      unused_pools: d('unused pools bytes'),
      pool_headers: d('# bytes lost to pool headers'),
      quantization: d('# bytes lost to quantization'),
      arena_alignment: d('# bytes lost to arena alignment'),
    },
    allocated_blocks: snap.allocatedBlocks === null || base.allocatedBlocks === null ? null : snap.allocatedBlocks - base.allocatedBlocks,
  };
}

export function simFigures(s: HeapStats, withAllocatedBlocks: boolean): Figures {
  const classes: Figures['classes'] = {};
  for (const c of s.classes) classes[String(c.size)] = { pools: c.pools, blocks: c.blocks, avail: c.avail };
  return {
    classes,
    arenas: {
      allocated_total: s.arenas.allocatedTotal,
      reclaimed: s.arenas.reclaimed,
      highwater: s.arenas.highwater,
      current: s.arenas.current,
    },
    unused_pools: s.unusedPools,
    bytes: {
      arenas: s.bytes.arenas,
      in_allocated_blocks: s.bytes.inAllocatedBlocks,
      in_available_blocks: s.bytes.inAvailableBlocks,
      unused_pools: s.bytes.unusedPools,
      pool_headers: s.bytes.poolHeaders,
      quantization: s.bytes.quantization,
      arena_alignment: s.bytes.arenaAlignment,
    },
    allocated_blocks: withAllocatedBlocks ? s.allocatedBlocks : null,
  };
}

const API_WORD: Record<(typeof FAMILY_NAMES)[Family], string> = { libc: 'libc', raw: 'raw', mem: 'mem', object: 'obj' };

export interface Flattened {
  ops: string;
  geometry: PymallocGeometry;
  snapshots: { label: string; stats: HeapStats }[];
  /** Operations a release build would crash on (such traces cannot be replayed for real). */
  crashes: number;
}

/**
 * Runs a trace through the simulator and writes the same calls in replay.c's line format, with
 * every pointer named by the number of the line that produced it.
 */
export function flattenTrace(text: string, python: string, arenaAlignment: ArenaAlignment): Flattened {
  const { program, diagnostics } = parseHeaptrace(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`trace does not parse: ${errors[0].message}`);
  const geometry = resolveGeometry(program, { python, arenaAlignment });
  const sim = new HeapSimulator({ geometry });
  const lines: string[] = [];
  const idOf = new Map<number, number>();
  const snapshots: Flattened['snapshots'] = [];
  const ref = (ptr: number): number => {
    if (ptr === 0) return -1;
    const id = idOf.get(ptr);
    if (id === undefined) throw new Error(`pointer ${ptr} was never produced by the trace`);
    return id;
  };
  executeTrace(program, sim, {
    op(op) {
      const api = API_WORD[FAMILY_NAMES[op.family]];
      const id = lines.length;
      switch (op.kind) {
        case 'malloc':
          lines.push(`M ${api} ${op.size} ${id}`);
          break;
        case 'calloc':
          lines.push(`C ${api} ${op.nelem} ${op.size} ${id}`);
          break;
        case 'realloc':
          lines.push(`R ${api} ${ref(op.input)} ${op.size} ${id}`);
          if (op.input !== 0) idOf.delete(op.input);
          break;
        case 'free':
          lines.push(`F ${api} ${ref(op.input)}`);
          if (op.input !== 0) idOf.delete(op.input);
          return;
      }
      if (op.output !== 0) idOf.set(op.output, id);
    },
    snapshot(label) {
      lines.push(`S ${label.replace(/\s+/g, '_')}`);
      snapshots.push({ label, stats: sim.stats() });
    },
  });
  const crashes = sim.events.filter((e) => e.effect !== 'performed').length;
  return { ops: lines.join('\n') + '\n', geometry, snapshots, crashes };
}

export interface RealRun {
  threshold: number;
  nclasses: number;
  baseline: RealState;
  snapshots: { label: string; state: RealState }[];
}

export function runReal(binary: string, py: PythonInstall, opsFile: string, poolSize: number, alignment: ArenaAlignment): RealRun {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONHOME: py.home, PYTHONMALLOC: 'pymalloc' };
  for (const k of ['PYTHONPATH', 'PYTHONDEVMODE', 'PYTHONMALLOCSTATS', 'PYTHONTRACEMALLOC', 'PYTHONSTARTUP']) delete env[k];
  const r = spawnSync(binary, [opsFile, String(poolSize), alignment], { encoding: 'utf8', env, maxBuffer: 64 << 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${basename(binary)} exited with ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const blocks = r.stdout.split(/^END$/m);
  let baseline: RealState | undefined;
  const snapshots: RealRun['snapshots'] = [];
  for (const b of blocks) {
    const m = /^\n?(BASELINE|SNAPSHOT) (\S+)\n/.exec(b);
    if (!m) continue;
    const state = parseRealState(b);
    if (m[1] === 'BASELINE') baseline = state;
    else snapshots.push({ label: m[2], state });
  }
  if (!baseline) throw new Error(`no baseline in the output of ${basename(binary)}`);
  return { threshold: baseline.threshold, nclasses: baseline.nclasses, baseline, snapshots };
}

export interface Comparison {
  label: string;
  real: Figures;
  simulated: Figures;
}

/** Replay a trace for real and in the simulator; one comparison per snapshot. */
export function compareTrace(binary: string, py: PythonInstall, name: string, text: string, alignment: ArenaAlignment): Comparison[] {
  const flat = flattenTrace(text, py.version, alignment);
  if (flat.crashes > 0) throw new Error(`${name} contains operations a release build crashes on`);
  mkdirSync(BUILD_DIR, { recursive: true });
  const opsFile = join(BUILD_DIR, `${name}.${alignment}.${py.label.replace(/[^\w.]+/g, '-')}.ops`);
  writeFileSync(opsFile, flat.ops);
  const real = runReal(binary, py, opsFile, flat.geometry.poolSize, alignment);
  if (real.snapshots.length !== flat.snapshots.length) {
    throw new Error(`CPython printed ${real.snapshots.length} snapshots, the simulator ${flat.snapshots.length}`);
  }
  const counted = real.baseline.allocatedBlocks !== null;
  const baseHigh = value(real.baseline, '# arenas highwater mark');
  const baseCurrent = value(real.baseline, '# arenas allocated current');
  return flat.snapshots.map((s, i) => {
    const simulated = simFigures(s.stats, counted);
    simulated.arenas.highwater = Math.max(baseHigh, baseCurrent + s.stats.arenas.highwater);
    return { label: s.label, simulated, real: realDelta(real.baseline, real.snapshots[i].state) };
  });
}

/** The geometry heaplint uses for an install, and whether the install's own header agrees with it. */
export function geometryMatches(binary: string, py: PythonInstall): { ok: true } | { ok: false; why: string } {
  const g = geometryFor(py.version);
  if (g.kind !== 'pymalloc') return { ok: false, why: `${py.label} is not a pymalloc build` };
  mkdirSync(BUILD_DIR, { recursive: true });
  const empty = join(BUILD_DIR, 'empty.ops');
  writeFileSync(empty, '');
  const real = runReal(binary, py, empty, g.poolSize, 'aligned');
  const nclasses = g.smallRequestThreshold >> g.alignmentShift;
  if (real.threshold !== g.smallRequestThreshold || real.nclasses !== nclasses) {
    return {
      ok: false,
      why:
        `${py.label} reports threshold ${real.threshold} in ${real.nclasses} size classes, upstream ${g.python} has ` +
        `${g.smallRequestThreshold} in ${nclasses} (a patched build)`,
    };
  }
  return { ok: true };
}
