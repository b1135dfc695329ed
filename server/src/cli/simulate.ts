/**
 * `heaplint simulate FILE.heaptrace [--python X.Y] [--format text|json] [--output FILE]
 *                    [--arena-alignment aligned|misaligned]`
 *
 * Exit status: 0 when the trace ran without flagged events, 1 when the debug hooks would abort on an
 * operation of the trace, 2 on a usage or input error (one line on stderr, never a stack trace).
 */
import { writeFileSync } from 'node:fs';
import type { ArenaAlignment, PymallocGeometry } from '../../../allocator-model/src/geometry';
import { formatStats, printone, type HeapStats } from '../simulator/stats';
import { parseHeaptrace, replayProgram, TraceVersionError, type Diagnostic, type ReplayResult, type TraceEvent } from '../simulator/heaptrace';

export interface SimulateIO {
  out: (s: string) => void;
  err: (s: string) => void;
  readFile: (p: string) => string;
  /** Where --output goes; the file system unless a caller substitutes it. */
  writeFile?: (p: string, data: string) => void;
}

const USAGE =
  'usage: heaplint simulate FILE.heaptrace [--python X.Y] [--format text|json] [--output FILE] [--arena-alignment aligned|misaligned]';

interface Args {
  file: string;
  python?: string;
  format: 'text' | 'json';
  output?: string;
  arenaAlignment?: ArenaAlignment;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  let file: string | undefined;
  const a: Partial<Args> = { format: 'text' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (arg.startsWith('--') && eq > 0) return arg.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--python':
        a.python = value();
        break;
      case '--format': {
        const f = value();
        if (f !== 'text' && f !== 'json') throw new UsageError(`--format must be text or json, not "${f}"`);
        a.format = f;
        break;
      }
      case '--output':
      case '-o':
        a.output = value();
        break;
      case '--arena-alignment': {
        const v = value();
        if (v !== 'aligned' && v !== 'misaligned') throw new UsageError(`--arena-alignment must be aligned or misaligned, not "${v}"`);
        a.arenaAlignment = v;
        break;
      }
      default:
        if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
        if (file !== undefined) throw new UsageError(`only one trace file can be simulated at a time (got "${file}" and "${arg}")`);
        file = arg;
    }
  }
  if (file === undefined) throw new UsageError('missing trace file');
  return { ...a, file } as Args;
}

function where(file: string, d: { range: { start: { line: number; character: number } } }): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}`;
}

function formatDiagnostic(file: string, d: Diagnostic): string {
  return `${where(file, d)}: ${d.severity}: ${d.message}`;
}

export async function runSimulate(
  args: string[],
  io: SimulateIO,
): Promise<number> {
  let parsed: Args | 'help';
  try {
    parsed = parseArgs(args);
  } catch (e) {
    io.err(`heaplint simulate: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed === 'help') {
    io.out(`${USAGE}\n`);
    return 0;
  }
  const a = parsed;

  let text: string;
  try {
    text = io.readFile(a.file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    io.err(`heaplint simulate: cannot read ${a.file}: ${why}\n`);
    return 2;
  }

  const { program, diagnostics } = parseHeaptrace(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) io.err(`${formatDiagnostic(a.file, d)}\n`);
    return 2;
  }

  let result: ReplayResult;
  try {
    result = replayProgram(program, { python: a.python, arenaAlignment: a.arenaAlignment });
  } catch (e) {
    if (e instanceof TraceVersionError) {
      const at = e.range ? `${a.file}:${e.range.start.line + 1}:${e.range.start.character + 1}: ` : 'heaplint simulate: ';
      io.err(`${at}${e.message}\n`);
      return 2;
    }
    if (e instanceof RangeError) {
      io.err(`heaplint simulate: ${e.message}\n`);
      return 2;
    }
    throw e;
  }

  const flowErrors = result.diagnostics.filter((d) => d.severity === 'error');
  if (flowErrors.length > 0) {
    for (const d of flowErrors) io.err(`${formatDiagnostic(a.file, d)}\n`);
    return 2;
  }
  for (const d of [...diagnostics, ...result.diagnostics]) io.err(`${formatDiagnostic(a.file, d)}\n`);

  const rendered = a.format === 'json' ? `${JSON.stringify(toJson(result), null, 2)}\n` : toText(a.file, result);
  if (a.output !== undefined) {
    try {
      (io.writeFile ?? ((p, d) => writeFileSync(p, d)))(a.output, rendered);
    } catch (e) {
      io.err(`heaplint simulate: cannot write ${a.output}: ${(e as Error).message}\n`);
      return 2;
    }
  } else {
    io.out(rendered);
  }
  return result.events.length > 0 ? 1 : 0;
}

function geometryJson(g: PymallocGeometry) {
  return {
    entry: g.entry,
    confidence: g.confidence,
    pointer_bits: g.bits,
    alignment: g.alignment,
    small_request_threshold: g.smallRequestThreshold,
    size_classes: g.sizeClasses,
    pool_size: g.poolSize,
    arena_size: g.arenaSize,
    pool_overhead: g.poolOverhead,
    max_pools_in_arena: g.maxPoolsInArena,
    pools_per_arena: g.poolsPerArena,
    arena_alignment: g.arenaAlignment,
    arena_release: g.arenaRelease,
    usable_arena_order: 'ascending-nfreepools',
    usable_arena_resort: g.usableArenaResort,
  };
}

function eventJson(e: TraceEvent) {
  return {
    line: e.line,
    op: e.op,
    kind: e.kind,
    api: e.api,
    name: e.name,
    alloc_family: e.allocFamily ?? null,
    alloc_line: e.allocSite ?? null,
    in_pool: e.inPool ?? null,
    debug: e.debug,
    release: e.release,
    effect: e.effect,
  };
}

function statsJson(s: HeapStats) {
  const classes: Record<string, { pools: number; blocks: number; avail: number }> = {};
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
    allocated_blocks: s.allocatedBlocks,
  };
}

/** The JSON document of `heaplint simulate --format json`. */
export function toJson(r: ReplayResult) {
  return {
    python: r.python,
    geometry: geometryJson(r.geometry),
    snapshots: r.snapshots.map((s) => ({
      label: s.label,
      line: s.line,
      ...statsJson(s.stats),
      events: s.events.map(eventJson),
    })),
  };
}

function eventText(e: TraceEvent): string {
  const what = e.name ? `${e.api}(${e.name})` : `${e.api}()`;
  const origin = e.allocFamily ? `, block from the ${e.allocFamily} family${e.allocSite ? ` at line ${e.allocSite}` : ''}` : '';
  return (
    `  line ${e.line}: ${what}: ${e.kind}${origin}\n` +
    `    PYTHONMALLOC=debug: ${e.debug}\n` +
    `    release build:      ${e.release}\n`
  );
}

function toText(file: string, r: ReplayResult): string {
  const g = r.geometry;
  let out = `${file}: CPython ${r.python} pymalloc, ${g.bits}-bit, ${g.arenaAlignment} arenas (${g.poolsPerArena} pools of ${g.poolSize} bytes per ${g.arenaSize}-byte arena), ${r.ops} operations\n`;
  for (const s of r.snapshots) {
    out += `\n=== snapshot ${s.label} (line ${s.line}${s.runs > 1 ? `, state after run ${s.runs}` : ''})\n`;
    out += formatStats(s.stats, g);
    out += '\n';
    out += printone('# sys.getallocatedblocks()', s.stats.allocatedBlocks);
    out += printone('# C heap blocks (not in arenas)', s.stats.cHeap.blocks);
    out += printone('# C heap bytes requested', s.stats.cHeap.bytes);
    if (s.events.length > 0) {
      out += `\nflagged operations (${s.events.length}):\n`;
      for (const e of s.events) out += eventText(e);
    }
  }
  // Snapshot event lists are prefixes of the run's list: what lies beyond the longest came later.
  const seen = Math.max(0, ...r.snapshots.map((s) => s.events.length));
  const after = r.events.slice(seen);
  if (after.length > 0) {
    out += `\nflagged after the last snapshot (${after.length}):\n`;
    for (const e of after) out += eventText(e);
  }
  return out;
}
