/**
 * Typed access to allocator-model/data/pymalloc-geometry.json.
 *
 * The JSON is imported (not read from disk) so that esbuild inlines it into dist/*.js and vitest
 * resolves it from the sources: both run without knowing where the data folder ended up.
 */
import data from '../data/pymalloc-geometry.json';

export type PointerBits = 32 | 64;
export type ArenaAlignment = 'aligned' | 'misaligned';

interface Fact<T> {
  value: T;
  source: string;
}
interface PerBits {
  '64': number;
  '32': number;
}
interface RawPymallocEntry {
  version: string;
  patches: [number, number | null];
  allocator: Fact<'pymalloc'>;
  confidence: 'source' | 'observed' | 'inferred';
  alignment: Fact<PerBits>;
  small_request_threshold: Fact<number>;
  size_classes: Fact<PerBits>;
  pool_size: Fact<PerBits>;
  arena_size: Fact<PerBits>;
  pool_overhead: Fact<PerBits>;
  max_pools_in_arena: Fact<PerBits>;
  arena_alignment: Fact<{ default: ArenaAlignment; misaligned_pools_lost: number; typical_mmap: string }>;
  arena_release: Fact<'immediate' | 'keep-one-empty'>;
  usable_arena_order: Fact<'ascending-nfreepools'>;
  usable_arena_resort: Fact<'linear-walk' | 'nfp2lasta'>;
  address_test: Fact<'arenaindex' | 'radix-tree'>;
  debug_bad_id_prefix: Fact<'none' | 'function'>;
  allocated_blocks: Fact<'counter' | 'pool-walk'>;
  notes?: string[];
}
interface RawMimallocEntry {
  version: string;
  patches: [number, number | null];
  allocator: Fact<'mimalloc'>;
  confidence: 'approximate';
  simulated: Fact<string>;
  heaps: Fact<string[]>;
  small_block_threshold: Fact<number>;
  size_classes: Fact<number>;
  medium_threshold: Fact<number>;
  large_object_max: Fact<number>;
  mixed_release: Fact<Record<string, string>>;
  notes: string[];
}
type RawEntry = RawPymallocEntry | RawMimallocEntry;

interface RawGeometryFile {
  sources: Record<string, string>;
  defaults: { pointer_bits: PointerBits; arena_alignment: ArenaAlignment };
  versions: RawEntry[];
}

const file = data as unknown as RawGeometryFile;

export interface GeometryOptions {
  /** Pointer size of the simulated build; 64 unless asked. */
  bits?: PointerBits;
  /** Whether arenas start on a pool boundary (all pools usable) or not (one pool lost per arena). */
  arenaAlignment?: ArenaAlignment;
}

export interface PymallocGeometry {
  kind: 'pymalloc';
  /** The version as asked for, normalised ("3.11", "3.7.3"). */
  python: string;
  /** Which data entry answered, e.g. "3.7 (patch 4 and later)". */
  entry: string;
  confidence: RawPymallocEntry['confidence'];
  bits: PointerBits;
  alignment: number;
  alignmentShift: number;
  smallRequestThreshold: number;
  sizeClasses: number;
  poolSize: number;
  arenaSize: number;
  poolOverhead: number;
  maxPoolsInArena: number;
  arenaAlignment: ArenaAlignment;
  /** Pools an arena really offers: maxPoolsInArena, minus the pool lost to a misaligned base. */
  poolsPerArena: number;
  arenaRelease: 'immediate' | 'keep-one-empty';
  usableArenaResort: 'linear-walk' | 'nfp2lasta';
  addressTest: 'arenaindex' | 'radix-tree';
  /** 'function': debug-hook fatal errors name the checking function (3.9+). */
  debugBadIdPrefix: 'none' | 'function';
  allocatedBlocks: 'counter' | 'pool-walk';
  notes: string[];
  /** Source of every fact above, keyed by the JSON field name. */
  sources: Record<string, string>;
}

export interface MimallocGeometry {
  kind: 'mimalloc';
  python: string;
  entry: string;
  confidence: 'approximate';
  simulated: string;
  heaps: string[];
  smallBlockThreshold: number;
  sizeClasses: number;
  mediumThreshold: number;
  largeObjectMax: number;
  mixedRelease: Record<string, string>;
  notes: string[];
  sources: Record<string, string>;
}

export type Geometry = PymallocGeometry | MimallocGeometry;

export class UnknownPythonVersionError extends Error {
  constructor(version: string) {
    super(
      `unknown CPython version "${version}": heaplint knows ${knownVersions().join(', ')} ` +
        `(a patch release such as 3.7.3 is also accepted)`,
    );
    this.name = 'UnknownPythonVersionError';
  }
}

/** Versions the data file covers, e.g. ["3.6", ..., "3.14", "3.13t", "3.14t"]. */
export function knownVersions(): string[] {
  return [...new Set(file.versions.map((v) => v.version))];
}

export const DEFAULT_SIMULATED_PYTHON = '3.11';

interface ParsedVersion {
  minor: string; // "3.11" or "3.13t"
  patch: number | null;
  label: string;
}

function parseVersion(text: string): ParsedVersion | undefined {
  const m = /^\s*(3)\.(\d{1,2})(?:\.(\d{1,2}))?(t?)\s*$/.exec(text);
  if (!m) return undefined;
  const patch = m[3] === undefined ? null : Number(m[3]);
  const minor = `3.${Number(m[2])}${m[4]}`;
  const label = patch === null ? minor : `3.${Number(m[2])}.${patch}${m[4]}`;
  return { minor, patch, label };
}

function coversPatch(entry: RawEntry, patch: number | null): boolean {
  const [lo, hi] = entry.patches;
  // A bare minor version means its newest patch release: the entry whose range is open-ended.
  if (patch === null) return hi === null;
  return patch >= lo && (hi === null || patch <= hi);
}

function entryLabel(e: RawEntry): string {
  const [lo, hi] = e.patches;
  if (lo === 0 && hi === null) return e.version;
  if (hi === null) return `${e.version} (patch ${lo} and later)`;
  return `${e.version}.${lo}-${e.version}.${hi}`;
}

function sourcesOf(e: RawEntry): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, val] of Object.entries(e)) {
    if (val && typeof val === 'object' && !Array.isArray(val) && 'source' in val) {
      out[key] = String((val as Fact<unknown>).source);
    }
  }
  return out;
}

/**
 * Geometry and policies of the allocator of one CPython version.
 * Throws UnknownPythonVersionError for a version the data does not cover.
 */
export function geometryFor(version: string, opts: GeometryOptions = {}): Geometry {
  const parsed = parseVersion(version);
  if (!parsed) throw new UnknownPythonVersionError(version);
  const entry = file.versions.find((e) => e.version === parsed.minor && coversPatch(e, parsed.patch));
  if (!entry) throw new UnknownPythonVersionError(version);

  if (entry.allocator.value === 'mimalloc') {
    const e = entry as RawMimallocEntry;
    return {
      kind: 'mimalloc',
      python: parsed.label,
      entry: entryLabel(e),
      confidence: e.confidence,
      simulated: e.simulated.value,
      heaps: e.heaps.value,
      smallBlockThreshold: e.small_block_threshold.value,
      sizeClasses: e.size_classes.value,
      mediumThreshold: e.medium_threshold.value,
      largeObjectMax: e.large_object_max.value,
      mixedRelease: e.mixed_release.value,
      notes: e.notes,
      sources: sourcesOf(e),
    };
  }

  const e = entry as RawPymallocEntry;
  const bits: PointerBits = opts.bits ?? file.defaults.pointer_bits;
  const key = String(bits) as '64' | '32';
  const arenaAlignment = opts.arenaAlignment ?? e.arena_alignment.value.default ?? file.defaults.arena_alignment;
  const alignment = e.alignment.value[key];
  const maxPools = e.max_pools_in_arena.value[key];
  return {
    kind: 'pymalloc',
    python: parsed.label,
    entry: entryLabel(e),
    confidence: e.confidence,
    bits,
    alignment,
    alignmentShift: Math.log2(alignment),
    smallRequestThreshold: e.small_request_threshold.value,
    sizeClasses: e.size_classes.value[key],
    poolSize: e.pool_size.value[key],
    arenaSize: e.arena_size.value[key],
    poolOverhead: e.pool_overhead.value[key],
    maxPoolsInArena: maxPools,
    arenaAlignment,
    poolsPerArena: arenaAlignment === 'aligned' ? maxPools : maxPools - e.arena_alignment.value.misaligned_pools_lost,
    arenaRelease: e.arena_release.value,
    usableArenaResort: e.usable_arena_resort.value,
    addressTest: e.address_test.value,
    debugBadIdPrefix: e.debug_bad_id_prefix.value,
    allocatedBlocks: e.allocated_blocks.value,
    notes: e.notes ?? [],
    sources: sourcesOf(e),
  };
}

/** Like geometryFor, but refuses allocators the simulator cannot lay out (free-threaded mimalloc). */
export function pymallocGeometryFor(version: string, opts: GeometryOptions = {}): PymallocGeometry {
  const g = geometryFor(version, opts);
  if (g.kind !== 'pymalloc') {
    throw new Error(
      `CPython ${g.python} is a free-threaded build: it allocates with mimalloc, whose heap layout heaplint ` +
        `does not simulate (only families and mismatched releases are modelled for it)`,
    );
  }
  return g;
}

/** Blocks that fit in one pool of the given size class index: NUMBLOCKS in obmalloc.c. */
export function blocksPerPool(g: PymallocGeometry, classIndex: number): number {
  return Math.floor((g.poolSize - g.poolOverhead) / ((classIndex + 1) << g.alignmentShift));
}

/** The legend of the source keys used in the data file. */
export function geometrySourceKeys(): Record<string, string> {
  return { ...file.sources };
}
