/**
 * The figures of _PyObject_DebugMallocStats (what sys._debugmallocstats() prints for pymalloc) and
 * sys.getallocatedblocks(), computed the way obmalloc.c computes them: by walking every carved pool
 * of every allocated arena.
 */
import type { PymallocGeometry } from '../../../allocator-model/src/geometry';
import type { Pymalloc } from './pymalloc';

export interface ClassStats {
  /** Size class index ("class" column). */
  index: number;
  /** Block size in bytes ("size" column). */
  size: number;
  /** Pools holding at least one allocated block ("num pools"). */
  pools: number;
  /** Allocated blocks ("blocks in use"). */
  blocks: number;
  /** Free blocks in those pools ("avail blocks"). */
  avail: number;
}

export interface HeapStats {
  /** Only classes with pools in use, in class order. */
  classes: ClassStats[];
  arenas: {
    /** "# arenas allocated total": arenas ever obtained from the system. */
    allocatedTotal: number;
    /** "# arenas reclaimed": allocated total minus current. */
    reclaimed: number;
    /** "# arenas highwater mark". */
    highwater: number;
    /** "# arenas allocated current". */
    current: number;
  };
  /** Free pools plus never-carved pools of allocated arenas ("N unused pools * POOL_SIZE bytes"). */
  unusedPools: number;
  bytes: {
    /** current arenas * ARENA_SIZE. */
    arenas: number;
    inAllocatedBlocks: number;
    inAvailableBlocks: number;
    unusedPools: number;
    poolHeaders: number;
    quantization: number;
    arenaAlignment: number;
  };
  /** sys.getallocatedblocks(): blocks in pools plus pymalloc's raw fall-back blocks (raw_allocated_blocks). */
  allocatedBlocks: number;
  /** Live blocks on the C heap (all families), which _debugmallocstats does not show. */
  cHeap: { blocks: number; bytes: number };
}

export function collectStats(p: Pymalloc, rawAllocatedBlocks: number, cHeap: { blocks: number; bytes: number }): HeapStats {
  const g = p.g;
  const nc = p.nClasses;
  const numpools = new Float64Array(nc);
  const numblocks = new Float64Array(nc);
  const numfree = new Float64Array(nc);
  let narenas = 0;
  let unused = 0;
  let alignment = 0;
  for (let a = 0; a < p.maxArenas; a++) {
    if (p.aLive[a] === 0) continue;
    narenas++;
    unused += p.aNfree[a];
    if (p.aNtotal[a] < p.maxPools) alignment += g.poolSize;
    const first = nc + a * p.maxPools;
    const carved = p.aCarved[a];
    for (let k = 0; k < carved; k++) {
      const pid = first + k;
      const count = p.pCount[pid];
      if (count === 0) continue;
      const sz = p.pSz[pid];
      numpools[sz]++;
      numblocks[sz] += count;
      numfree[sz] += p.numBlocks[sz] - count;
    }
  }
  const classes: ClassStats[] = [];
  let allocatedBytes = 0;
  let availableBytes = 0;
  let headers = 0;
  let quantization = 0;
  let poolBlocks = 0;
  for (let c = 0; c < nc; c++) {
    if (numpools[c] === 0) continue;
    const size = p.classSize(c);
    classes.push({ index: c, size, pools: numpools[c], blocks: numblocks[c], avail: numfree[c] });
    allocatedBytes += numblocks[c] * size;
    availableBytes += numfree[c] * size;
    headers += numpools[c] * g.poolOverhead;
    quantization += numpools[c] * ((g.poolSize - g.poolOverhead) % size);
    poolBlocks += numblocks[c];
  }
  return {
    classes,
    arenas: {
      allocatedTotal: p.ntimesArenaAllocated,
      reclaimed: p.ntimesArenaAllocated - narenas,
      highwater: p.narenasHighwater,
      current: narenas,
    },
    unusedPools: unused,
    bytes: {
      arenas: narenas * g.arenaSize,
      inAllocatedBlocks: allocatedBytes,
      inAvailableBlocks: availableBytes,
      unusedPools: unused * g.poolSize,
      poolHeaders: headers,
      quantization,
      arenaAlignment: alignment,
    },
    allocatedBlocks: poolBlocks + rawAllocatedBlocks,
    cHeap: { ...cHeap },
  };
}

/** printone() of obmalloc.c: message padded to 35 columns, '=', value with thousands separators in 21. */
export function printone(msg: string, value: number): string {
  const digits = Math.trunc(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${msg.padEnd(35)}=${digits.padStart(21)}\n`;
}

/** The pymalloc part of sys._debugmallocstats(), line for line. */
export function formatStats(s: HeapStats, g: PymallocGeometry): string {
  const nc = g.smallRequestThreshold >> g.alignmentShift;
  let out = `Small block threshold = ${g.smallRequestThreshold}, in ${nc} size classes.\n\n`;
  out += 'class   size   num pools   blocks in use  avail blocks\n';
  out += '-----   ----   ---------   -------------  ------------\n';
  for (const c of s.classes) {
    out +=
      String(c.index).padStart(5) +
      String(c.size).padStart(7) +
      String(c.pools).padStart(12) +
      String(c.blocks).padStart(16) +
      String(c.avail).padStart(14) +
      '\n';
  }
  out += '\n';
  out += printone('# arenas allocated total', s.arenas.allocatedTotal);
  out += printone('# arenas reclaimed', s.arenas.reclaimed);
  out += printone('# arenas highwater mark', s.arenas.highwater);
  out += printone('# arenas allocated current', s.arenas.current);
  out += printone(`${s.arenas.current} arenas * ${g.arenaSize} bytes/arena`, s.bytes.arenas);
  out += '\n';
  out += printone('# bytes in allocated blocks', s.bytes.inAllocatedBlocks);
  out += printone('# bytes in available blocks', s.bytes.inAvailableBlocks);
  out += printone(`${s.unusedPools} unused pools * ${g.poolSize} bytes`, s.bytes.unusedPools);
  out += printone('# bytes lost to pool headers', s.bytes.poolHeaders);
  out += printone('# bytes lost to quantization', s.bytes.quantization);
  out += printone('# bytes lost to arena alignment', s.bytes.arenaAlignment);
  const total =
    s.bytes.inAllocatedBlocks +
    s.bytes.inAvailableBlocks +
    s.bytes.unusedPools +
    s.bytes.poolHeaders +
    s.bytes.quantization +
    s.bytes.arenaAlignment;
  out += printone('Total', total);
  return out;
}
