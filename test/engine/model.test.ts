import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledModelFiles, modelFor, needsGil, parseConfig, releaseFunction, validateModelFile } from '../../allocator-model/src';

describe('allocator model', () => {
  it('every bundled data file is valid against the model schema', () => {
    for (const [name, data] of Object.entries(bundledModelFiles)) expect(validateModelFile(data), name).toEqual([]);
    const onDisk = readdirSync(join(__dirname, '..', '..', 'allocator-model', 'data')).filter(f => f.startsWith('apis-') || f === 'families.json' || f === 'control.json' || f === 'pyarg-format.json');
    expect(onDisk.sort()).toEqual(Object.keys(bundledModelFiles).sort());
  });

  it('knows each family and its deallocator', () => {
    const m = modelFor();
    expect([...m.families.keys()].sort()).toEqual(['addrinfo', 'gc-object', 'libc', 'mem', 'object', 'raw']);
    expect(releaseFunction(m, 'raw')).toBe('PyMem_RawFree');
    expect(releaseFunction(m, 'gc-object')).toBe('PyObject_GC_Del');
  });

  it('API results carry their family', () => {
    const m = modelFor();
    expect(m.apis.get('Py_DecodeLocale')).toMatchObject({ kind: 'result', family: 'raw' });
    expect(m.apis.get('PyUnicode_AsWideCharString')).toMatchObject({ kind: 'result', family: 'mem' });
    expect(m.apis.get('PyUnicode_AsUTF8')?.kind).toBe('borrowed');
    expect(m.apis.get('PyMem_Resize')).toMatchObject({ kind: 'realloc', assignsPtrArg: true, macro: true });
  });

  it('resolves version ranges: APIs appear and disappear with CPython versions', () => {
    expect(modelFor({}, '3.11').apis.has('PyUnicode_AsUnicode')).toBe(true);
    expect(modelFor({}, '3.12').apis.has('PyUnicode_AsUnicode')).toBe(false);
    expect(modelFor({}, '3.12').absentApis.has('PyUnicode_AsUnicode')).toBe(true);
    expect(modelFor({}, '3.9').apis.has('PyUnicode_AsUnicodeCopy')).toBe(true);
    expect(modelFor({}, '3.10').apis.has('PyUnicode_AsUnicodeCopy')).toBe(false);
  });

  it('knows which calls need the GIL', () => {
    const m = modelFor();
    expect(needsGil(m, m.apis.get('PyMem_Malloc')!)).toBe(true);
    expect(needsGil(m, m.apis.get('PyMem_RawMalloc')!)).toBe(false);
    expect(needsGil(m, m.apis.get('malloc')!)).toBe(false);
    expect(needsGil(m, m.apis.get('PyGILState_Ensure')!)).toBe(false);
  });

  it('workspace families and functions extend the model', () => {
    const { config, problems } = parseConfig(JSON.stringify({
      families: [{ id: 'arena', label: 'my arena', release: 'arena_free' }],
      functions: [{ name: 'arena_alloc', kind: 'alloc', family: 'arena' }, { name: 'arena_free', kind: 'free', family: 'arena', ptrArg: 0 }],
    }), 'heaplint.json');
    expect(problems).toEqual([]);
    const m = modelFor(config);
    expect(m.apis.get('arena_alloc')?.family).toBe('arena');
    expect(releaseFunction(m, 'arena')).toBe('arena_free');
  });

  it('a bad heaplint.json is reported with file, JSON path and line, and the valid parts still apply', () => {
    const text = '{\n  "python": "3.11",\n  "rules": { "leak": "off", "no-such-rule": "error", "mixed-heap": "loud" },\n  "functions": [{ "name": "x", "kind": "allocate" }, { "name": "y", "kind": "free", "family": "libc" }]\n}\n';
    const { config, problems } = parseConfig(text, 'heaplint.json');
    expect(problems.length).toBeGreaterThanOrEqual(3);
    for (const p of problems) expect(p.file).toBe('heaplint.json');
    expect(problems.some(p => p.path === '/functions/0/kind' && p.line === 3)).toBe(true);
    expect(problems.some(p => /no-such-rule/.test(p.message))).toBe(true);
    expect(config.python).toBe('3.11');
    expect(config.rules).toEqual({ leak: 'off' });
    expect(config.functions?.map(f => f.name)).toEqual(['y']);
  });

  it('a file that is not JSON is one problem, and defaults apply', () => {
    const { config, problems } = parseConfig('{ "python": ', 'heaplint.json');
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/not valid JSON/);
    expect(config).toEqual({});
  });

  it('the published schema for editors is the one the loader uses', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'allocator-model', 'schema', 'heaplint.schema.json'), 'utf8'));
    expect(schema.properties.rules.propertyNames.enum).toContain('field-family-conflict');
  });
});
