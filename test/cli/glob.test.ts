/** Exclude patterns (server/src/cli/glob.ts): gitignore-like globs relative to a base folder. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { globToRegExp, makeExcluder } from '../../server/src/cli/glob';

describe('globToRegExp', () => {
  it.each([
    ['vendor/**', 'vendor', true],
    ['vendor/**', 'vendor/zlib/inflate.c', true],
    ['vendor/**', 'src/vendor/x.c', false],
    ['build', 'build', true],
    ['build', 'a/b/build', true],
    ['build', 'a/build/x.c', false], // the folder itself matches; the walk never enters it
    ['*_gen.c', 'src/parser_gen.c', true],
    ['*_gen.c', 'src/parser_gen.h', false],
    ['src/*.c', 'src/a.c', true],
    ['src/*.c', 'src/sub/a.c', false],
    ['src/**/*.c', 'src/a.c', true],
    ['src/**/*.c', 'src/x/y/a.c', true],
    ['/top.c', 'top.c', true],
    ['/top.c', 'sub/top.c', false],
    ['./third_party/', 'third_party', true],
    ['test_?.c', 'test_1.c', true],
    ['test_?.c', 'test_12.c', false],
    ['[ab]*.c', 'b.c', true],
    ['[!ab]*.c', 'b.c', false],
    ['*.{c,h}', 'x/y.h', true],
    ['*.{c,h}', 'x/y.cc', false],
    ['a+b(1).c', 'a+b(1).c', true],
  ])('%s against %s: %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });
});

describe('makeExcluder', () => {
  const base = join('/', 'project');
  const excluded = makeExcluder([
    { pattern: 'vendor/**', base, source: 'heaplint.json' },
    { pattern: '', base, source: 'heaplint.json' },
  ]);

  it('matches paths below the base only', () => {
    expect(excluded(join(base, 'vendor', 'a.c'))?.pattern).toBe('vendor/**');
    expect(excluded(join(base, 'src', 'a.c'))).toBeUndefined();
    expect(excluded(join('/', 'elsewhere', 'vendor', 'a.c'))).toBeUndefined();
    expect(excluded(base)).toBeUndefined();
  });
});
