import { describe, expect, it } from 'vitest';
import { runSimulate } from '../../server/src/cli/simulate';

interface Run {
  code: number;
  out: string;
  err: string;
  written: Record<string, string>;
}

async function simulate(args: string[], files: Record<string, string>): Promise<Run> {
  let out = '';
  let err = '';
  const written: Record<string, string> = {};
  const code = await runSimulate(args, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    readFile: (p) => {
      if (!(p in files)) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return files[p];
    },
    writeFile: (p, d) => (written[p] = d),
  });
  return { code, out, err, written };
}

const FILL = ['python 3.11', 'repeat 200000 {', '  a[i] = PyObject_Malloc(16)', '}', 'snapshot allocated', 'repeat 200000 {', '  PyObject_Free(a[i])', '}', 'snapshot freed', ''].join('\n');

describe('heaplint simulate --format json', () => {
  it('prints python, geometry and one object per snapshot line in the documented shape', async () => {
    const r = await simulate(['t.heaptrace', '--format', 'json'], { 't.heaptrace': FILL });
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const doc = JSON.parse(r.out);
    expect(Object.keys(doc)).toEqual(['python', 'geometry', 'snapshots']);
    expect(doc.python).toBe('3.11');
    expect(doc.geometry).toMatchObject({ alignment: 16, pool_size: 16384, arena_size: 1048576, pools_per_arena: 64 });
    expect(doc.snapshots).toHaveLength(2);
    const [full, freed] = doc.snapshots;
    expect(Object.keys(full)).toEqual(['label', 'line', 'classes', 'arenas', 'unused_pools', 'bytes', 'allocated_blocks', 'events']);
    expect(full).toMatchObject({
      label: 'allocated',
      line: 5,
      classes: { '16': { pools: 196, blocks: 200000, avail: 116 } },
      arenas: { allocated_total: 4, reclaimed: 0, highwater: 4, current: 4 },
      unused_pools: 60,
      bytes: {
        arenas: 4194304,
        in_allocated_blocks: 3200000,
        in_available_blocks: 1856,
        unused_pools: 983040,
        pool_headers: 9408,
        quantization: 0,
      },
      allocated_blocks: 200000,
      events: [],
    });
    expect(freed).toMatchObject({ classes: {}, arenas: { reclaimed: 3, current: 1 }, unused_pools: 64, allocated_blocks: 0 });
  });

  it('lets --python override the trace and reports 3.8 releasing every empty arena', async () => {
    const r = await simulate(['t.heaptrace', '--format=json', '--python', '3.8'], { 't.heaptrace': FILL });
    const doc = JSON.parse(r.out);
    expect(doc.python).toBe('3.8');
    expect(doc.geometry.arena_size).toBe(262144);
    expect(doc.snapshots[1].arenas.current).toBe(0);
  });

  it('models arenas that are not pool aligned when asked: one pool fewer and 16 KiB lost per arena', async () => {
    const r = await simulate(['t.heaptrace', '--format', 'json', '--arena-alignment', 'misaligned'], { 't.heaptrace': FILL });
    const doc = JSON.parse(r.out);
    expect(doc.geometry).toMatchObject({ arena_alignment: 'misaligned', pools_per_arena: 63 });
    expect(doc.snapshots[0].arenas.current).toBe(4);
    expect(doc.snapshots[0].unused_pools).toBe(4 * 63 - 196);
    expect(doc.snapshots[0].bytes.arena_alignment).toBe(4 * 16384);
  });

  it('exits 1 and lists the debug-hook abort with its line when a block is released by another family', async () => {
    const trace = 'python 3.11\nb = PyMem_Malloc(24)\nPyObject_Free(b)\nsnapshot end\n';
    const r = await simulate(['m.heaptrace', '--format', 'json'], { 'm.heaptrace': trace });
    expect(r.code).toBe(1);
    const ev = JSON.parse(r.out).snapshots[0].events;
    expect(ev).toEqual([
      expect.objectContaining({
        line: 3,
        kind: 'family-mismatch',
        api: 'PyObject_Free',
        name: 'b',
        alloc_family: 'mem',
        alloc_line: 2,
        debug: "Fatal Python error: _PyMem_DebugRawFree: bad ID: Allocated using API 'm', verified using API 'o'",
      }),
    ]);
  });
});

describe('heaplint simulate (text)', () => {
  it('reads like _debugmallocstats', async () => {
    const r = await simulate(['t.heaptrace'], { 't.heaptrace': FILL });
    expect(r.code).toBe(0);
    expect(r.out).toContain('=== snapshot allocated (line 5)');
    expect(r.out).toContain('Small block threshold = 512, in 32 size classes.');
    expect(r.out).toMatch(/^ {4}0 {5}16 {9}196 {10}200000 {11}116$/m);
    expect(r.out).toContain('# arenas allocated total           =                    4\n');
    expect(r.out).toContain('60 unused pools * 16384 bytes      =              983,040\n');
    expect(r.out).toContain('Total                              =            4,194,304\n');
  });

  it('prints the flagged operation with both outcomes', async () => {
    const r = await simulate(['m.heaptrace'], { 'm.heaptrace': 'b = PyMem_Malloc(24)\nfree(b)\n' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('line 2: free(b): family-mismatch');
    expect(r.out).toContain('release build:      glibc abort "free(): invalid pointer"');
  });

  it('writes to --output instead of standard output', async () => {
    const r = await simulate(['t.heaptrace', '--output', 'out.json', '--format', 'json'], { 't.heaptrace': 'a = malloc(5)\n' });
    expect(r.code).toBe(0);
    expect(r.out).toBe('');
    expect(JSON.parse(r.written['out.json']).snapshots[0].label).toBe('end');
  });
});

describe('heaplint simulate errors', () => {
  it.each([
    [[], /missing trace file/],
    [['a.heaptrace', '--format', 'xml'], /--format must be text or json/],
    [['a.heaptrace', '--python'], /--python needs a value/],
    [['a.heaptrace', '--frobnicate'], /unknown option --frobnicate/],
    [['a.heaptrace', 'b.heaptrace'], /only one trace file/],
  ])('exits 2 with a one-line usage message for %j', async (args, message) => {
    const r = await simulate(args as string[], { 'a.heaptrace': '' });
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toMatch(message);
    expect(r.err).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('prints the usage and exits 0 for --help', async () => {
    const r = await simulate(['--help'], {});
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^usage: heaplint simulate FILE\.heaptrace/);
  });

  it('exits 2 when the file cannot be read', async () => {
    const r = await simulate(['missing.heaptrace'], {});
    expect(r).toMatchObject({ code: 2, err: 'heaplint simulate: cannot read missing.heaptrace: no such file\n' });
  });

  it('exits 2 with file:line:column for trace errors', async () => {
    const r = await simulate(['bad.heaptrace'], { 'bad.heaptrace': 'a = PyMem_Alloc(16)\nfree(zz)\n' });
    expect(r.code).toBe(2);
    expect(r.err).toBe("bad.heaptrace:1:5: error: unknown function 'PyMem_Alloc': expected one of " + r.err.split('expected one of ')[1]);
    expect(r.out).toBe('');
  });

  it('exits 2 for a name used before assignment', async () => {
    const r = await simulate(['bad.heaptrace'], { 'bad.heaptrace': 'free(zz)\n' });
    expect(r.code).toBe(2);
    expect(r.err).toBe("bad.heaptrace:1:6: error: 'zz' is used before it is assigned\n");
  });

  it('exits 2 for a version it cannot simulate', async () => {
    const r1 = await simulate(['t.heaptrace', '--python', '3.1'], { 't.heaptrace': 'a = malloc(1)\n' });
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/^heaplint simulate: unknown CPython version "3.1"/);
    const r2 = await simulate(['t.heaptrace'], { 't.heaptrace': 'python 3.13t\na = malloc(1)\n' });
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/^t\.heaptrace:1:1: CPython 3\.13t is a free-threaded build using mimalloc/);
  });

  it('warns about a leak on stderr but still simulates', async () => {
    const r = await simulate(['t.heaptrace'], { 't.heaptrace': 'a = malloc(1)\na = malloc(1)\n' });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^t\.heaptrace:2:1: warning: 'a' still holds the block from line 1/);
  });
});
