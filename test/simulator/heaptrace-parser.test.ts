import { describe, expect, it } from 'vitest';
import { checkHeaptrace, parseHeaptrace, tokenize } from '../../server/src/simulator/heaptrace';

const codes = (text: string) => checkHeaptrace(text).diagnostics.map((d) => [d.range.start.line + 1, d.code, d.severity]);

describe('.heaptrace syntax', () => {
  it('parses every statement form of the language', () => {
    const { program, diagnostics } = parseHeaptrace(
      [
        'python 3.9',
        'a = PyMem_Malloc(16)   # comment',
        'b = PyObject_Calloc(4, 8)',
        'a = PyMem_Realloc(a, 0x40)',
        'repeat 3 {',
        '  x[i] = malloc(100)',
        '  repeat 2 { y[i] = PyMem_RawMalloc(8) }',
        '}',
        'free(x[2])',
        'snapshot after-free',
        'PyMem_Free(NULL)',
      ].join('\n'),
    );
    expect(diagnostics).toEqual([]);
    expect(program.python?.version).toBe('3.9');
    expect(program.body.map((s) => s.type)).toEqual(['alloc', 'alloc', 'realloc', 'repeat', 'free', 'snapshot', 'free']);
    const rep = program.body[3];
    expect(rep.type === 'repeat' && rep.count).toBe(3);
    expect(rep.type === 'repeat' && rep.body.map((s) => s.type)).toEqual(['alloc', 'repeat']);
    const re = program.body[2];
    expect(re.type === 'realloc' && re.size).toBe(64);
    const snap = program.body[5];
    expect(snap.type === 'snapshot' && snap.label).toBe('after-free');
  });

  it('reports an unknown function at its position, listing the functions of the language', () => {
    const { diagnostics } = parseHeaptrace('a = PyMem_Alloc(16)\n');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'unknown-function',
      severity: 'error',
      range: { start: { line: 0, character: 4 }, end: { line: 0, character: 15 } },
    });
    expect(diagnostics[0].message).toMatch(/unknown function 'PyMem_Alloc'.*PyMem_Malloc/);
  });

  it('rejects a free function used as an allocator and an allocator used as a statement', () => {
    const { diagnostics } = parseHeaptrace('a = PyMem_Free(16)\nPyMem_Malloc(16)\n');
    expect(diagnostics.map((d) => d.code)).toEqual(['wrong-form', 'wrong-form']);
  });

  it('reports syntax errors and goes on with the next line', () => {
    const { program, diagnostics } = parseHeaptrace('a = malloc(\nb = malloc(16) extra\nrepeat x {\n  c = malloc(1)\n}\nd = malloc(2)\n');
    expect(diagnostics.map((d) => d.range.start.line)).toEqual([0, 1, 2]);
    expect(diagnostics[0].message).toMatch(/expected a size/);
    expect(diagnostics[1].message).toMatch(/expected end of line, found 'extra'/);
    // The statement before the stray word is kept, so the rest of the trace still makes sense.
    expect(program.body.map((s) => s.type)).toEqual(['alloc', 'repeat', 'alloc']);
  });

  it('accepts python only as the first statement', () => {
    const { diagnostics } = parseHeaptrace('a = malloc(1)\npython 3.11\n');
    expect(diagnostics[0]).toMatchObject({ code: 'python-version', range: { start: { line: 1 } } });
  });

  it('reports an unclosed repeat and a stray brace', () => {
    expect(parseHeaptrace('repeat 2 {\n a = malloc(1)\n').diagnostics[0].message).toMatch(/missing '}'/);
    expect(parseHeaptrace('}\n').diagnostics[0].message).toMatch(/unmatched '}'/);
  });

  it('never throws, whatever the input', () => {
    const junk = ['', '\n\n', '((((', 'repeat', 'repeat 99999999999 {', 'snapshot', 'a[', 'a[i', '=', '"', 'python 3.13t', '\u0000\u00ff', 'x = realloc(NULL, 5)'];
    for (const j of junk) expect(() => checkHeaptrace(j)).not.toThrow();
    let s = '';
    for (let i = 0; i < 500; i++) s += String.fromCharCode(32 + ((i * 7919) % 95));
    expect(() => checkHeaptrace(s)).not.toThrow();
  });

  it('lexes a free-threaded version literal and quoted snapshot labels', () => {
    expect(parseHeaptrace('python 3.13t\n').program.python?.version).toBe('3.13t');
    const toks = tokenize('snapshot "two words" # note');
    expect(toks.map((t) => [t.type, t.text])).toEqual([
      ['ident', 'snapshot'],
      ['label', 'two words'],
      ['eof', ''],
    ]);
  });
});

describe('.heaptrace name flow', () => {
  it('reports a name used before it is assigned', () => {
    expect(codes('free(a)\n')).toEqual([[1, 'used-before-assignment', 'error']]);
    expect(codes('b = realloc(a, 8)\n')).toEqual([[1, 'used-before-assignment', 'error']]);
  });

  it('reports freeing a name that holds nothing, naming the line that released it', () => {
    const d = checkHeaptrace('a = PyMem_Malloc(8)\nPyMem_Free(a)\nPyMem_Free(a)\n').diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'holds-nothing', severity: 'warning', range: { start: { line: 2 } } });
    expect(d[0].message).toMatch(/released at line 2/);
  });

  it('treats the source of y = realloc(x, n) as released', () => {
    expect(codes('x = malloc(8)\ny = realloc(x, 16)\nfree(x)\nfree(y)\n')).toEqual([[3, 'holds-nothing', 'warning']]);
    expect(codes('x = malloc(8)\nx = realloc(x, 16)\nfree(x)\n')).toEqual([]);
  });

  it('reports assigning over a live pointer, including in the second run of a loop', () => {
    expect(codes('a = malloc(8)\na = malloc(8)\n')).toEqual([[2, 'overwrites-live', 'warning']]);
    expect(codes('repeat 2 {\n  t = PyMem_Malloc(8)\n}\n')).toEqual([[2, 'overwrites-live', 'warning']]);
    expect(codes('repeat 2 {\n  t[i] = PyMem_Malloc(8)\n}\n')).toEqual([]);
  });

  it('gives each slot of an array its own state and resolves i to the innermost index', () => {
    const text = ['repeat 3 {', '  a[i] = malloc(1)', '}', 'free(a[0])', 'free(a[1])', 'free(a[2])', 'free(a[3])'].join('\n');
    expect(codes(text)).toEqual([[7, 'used-before-assignment', 'error']]);
  });

  it('reports i outside any repeat and a name used both with and without slots', () => {
    expect(codes('a[i] = malloc(1)\n')).toContainEqual([1, 'index-outside-repeat', 'error']);
    expect(codes('a = malloc(1)\nrepeat 1 {\n a[i] = malloc(1)\n}\n')).toContainEqual([3, 'name-and-array', 'error']);
  });
});
