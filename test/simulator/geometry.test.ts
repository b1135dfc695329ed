import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import data from '../../allocator-model/data/pymalloc-geometry.json';
import schema from '../../allocator-model/schema/geometry.schema.json';
import {
  UnknownPythonVersionError,
  blocksPerPool,
  geometryFor,
  knownVersions,
  pymallocGeometryFor,
} from '../../allocator-model/src/geometry';

describe('pymalloc geometry data', () => {
  it('validates against its schema, with a source on every fact', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    const ok = validate(data);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('covers every CPython release from 3.6 to 3.14 and the free-threaded builds', () => {
    const v = knownVersions();
    for (const minor of ['3.6', '3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14', '3.13t', '3.14t']) {
      expect(v).toContain(minor);
    }
  });
});

describe('geometryFor', () => {
  it('gives 3.11 on 64-bit: 16-byte alignment, 32 classes, 16 KiB pools, 1 MiB arenas, 48-byte pool headers', () => {
    const g = pymallocGeometryFor('3.11');
    expect(g).toMatchObject({
      alignment: 16,
      smallRequestThreshold: 512,
      sizeClasses: 32,
      poolSize: 16384,
      arenaSize: 1048576,
      poolOverhead: 48,
      maxPoolsInArena: 64,
      poolsPerArena: 64,
      arenaRelease: 'keep-one-empty',
      usableArenaResort: 'nfp2lasta',
      debugBadIdPrefix: 'function',
    });
    expect(g.sources.pool_size).toMatch(/obmalloc\.c/);
  });

  it('gives 256 KiB arenas of 4 KiB pools before 3.10, and releases empty arenas at once before 3.9', () => {
    const g38 = pymallocGeometryFor('3.8');
    expect([g38.arenaSize, g38.poolSize, g38.arenaRelease, g38.debugBadIdPrefix]).toEqual([262144, 4096, 'immediate', 'none']);
    const g39 = pymallocGeometryFor('3.9');
    expect([g39.arenaSize, g39.poolSize, g39.arenaRelease]).toEqual([262144, 4096, 'keep-one-empty']);
  });

  it('tells 3.7.0-3.7.3 (8-byte alignment, 64 classes) from 3.7.4 and later (16 bytes, 32 classes)', () => {
    expect(pymallocGeometryFor('3.7.3').sizeClasses).toBe(64);
    expect(pymallocGeometryFor('3.7.16').sizeClasses).toBe(32);
    expect(pymallocGeometryFor('3.7').sizeClasses).toBe(32);
  });

  it('loses one pool per arena when arenas are not pool aligned', () => {
    expect(pymallocGeometryFor('3.11', { arenaAlignment: 'misaligned' }).poolsPerArena).toBe(63);
  });

  it('gives 32-bit figures: 8-byte alignment, 64 classes, 4 KiB pools, 256 KiB arenas, 32-byte headers', () => {
    expect(pymallocGeometryFor('3.12', { bits: 32 })).toMatchObject({
      alignment: 8,
      sizeClasses: 64,
      poolSize: 4096,
      arenaSize: 262144,
      poolOverhead: 32,
    });
  });

  it('counts blocks per pool as (POOL_SIZE - POOL_OVERHEAD) / size', () => {
    const g = pymallocGeometryFor('3.11');
    expect([0, 1, 31].map((c) => blocksPerPool(g, c))).toEqual([1021, 510, 31]);
    const old = pymallocGeometryFor('3.9');
    expect([0, 1, 31].map((c) => blocksPerPool(old, c))).toEqual([253, 126, 7]);
  });

  it('describes the free-threaded build as mimalloc, approximate and not laid out', () => {
    const g = geometryFor('3.13t');
    expect(g.kind).toBe('mimalloc');
    if (g.kind === 'mimalloc') {
      expect(g.confidence).toBe('approximate');
      expect(g.simulated).toBe('families-only');
    }
    expect(() => pymallocGeometryFor('3.13t')).toThrow(/mimalloc/);
  });

  it('rejects an unknown version with a message that lists the known ones', () => {
    expect(() => geometryFor('3.2')).toThrow(UnknownPythonVersionError);
    expect(() => geometryFor('banana')).toThrow(/unknown CPython version "banana".*3\.11/);
  });
});
