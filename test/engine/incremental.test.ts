/**
 * What the editor relies on when a file changes: an edit re-analyses only the function edited and
 * the functions whose results depend on its summary, positions follow the edit, and after any
 * sequence of edits the findings are those a fresh analysis of the final texts gives.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initParser, Workspace } from '../../server/src/engine';
import { hasGuesses, parseSource, type ParsedFile } from '../../server/src/engine/project/project';
import { confirms } from '../../server/src/engine/project/settle';
import { parseC } from '../../server/src/engine/parse/parser';
import { reparseInPlace } from '../../server/src/engine/project/reparse';
import { reparseFile } from '../../server/src/engine/project/reparse-file';
import { blankNumericTables } from '../../server/src/engine/parse/data-tables';
import type { Syntax } from '../../server/src/engine/parse/syntax';
import { modelFor } from '../../allocator-model/src';
import { seeded } from '../shared/seeded';

beforeAll(async () => {
  await initParser();
});

const model = modelFor();

const source = `#include <Python.h>
static char *
make_buf(Py_ssize_t n)
{
    char *p = PyMem_Malloc(n);
    if (p == NULL) { PyErr_NoMemory(); return NULL; }
    return p;
}

static int
use_buf(void)
{
    char *b = make_buf(10);
    if (b == NULL) return -1;
    free(b);
    return 0;
}

static int
unrelated(void)
{
    char *q = malloc(4);
    if (q == NULL) return -1;
    free(q);
    return 0;
}
`;

function edited(text: string, anchor: string, insert: string, remove = 0): string {
  const at = text.indexOf(anchor);
  if (at < 0) throw new Error(`no ${anchor}`);
  return text.slice(0, at) + insert + text.slice(at + remove);
}

function summaryOf(ws: Workspace, path: string) {
  const r = ws.analyze([path]);
  return { analysed: r.stats.analysed, findings: r.findings.map(f => `${f.range.startLine + 1}:${f.range.startCol}:${f.rule}`) };
}

describe('incremental analysis', () => {
  it('re-analyses only the edited function when its summary stays the same', () => {
    const ws = new Workspace({ model });
    ws.upsert('m.c', source);
    expect(summaryOf(ws, 'm.c')).toEqual({ analysed: 3, findings: ['15:4:mixed-heap'] });
    let text = edited(source, '    free(q);', ' ');
    ws.upsert('m.c', text);
    expect(summaryOf(ws, 'm.c')).toEqual({ analysed: 1, findings: ['15:4:mixed-heap'] });
    text = edited(text, '    return p;', '    /* ok */\n');
    ws.upsert('m.c', text);
    expect(summaryOf(ws, 'm.c')).toEqual({ analysed: 1, findings: ['16:4:mixed-heap'] });
  });

  it('keeps the results of untouched functions when the whole file is parsed again, at their new places', () => {
    const ws = new Workspace({ model });
    ws.upsert('m.c', source);
    ws.analyze(['m.c']);
    // a new #define makes the whole file parse again; the lines below it move down by one
    const text = edited(source, 'static char *', '#define EXTRA 1\n');
    ws.upsert('m.c', text);
    const again = summaryOf(ws, 'm.c');
    const fresh = new Workspace({ model });
    fresh.upsert('m.c', text);
    expect(again).toEqual({ analysed: 0, findings: summaryOf(fresh, 'm.c').findings });
    expect(again.findings).toEqual(['16:4:mixed-heap']);
    // a function whose text changed is analysed again, and so is its caller if its summary changed
    ws.upsert('m.c', text.replace('#define EXTRA 1', '#define EXTRA 2').replace('PyMem_Malloc(n)', 'malloc(n)    '));
    expect(summaryOf(ws, 'm.c')).toEqual({ analysed: 2, findings: [] });
  });

  it('re-analyses the callers whose callee summary changed', () => {
    const ws = new Workspace({ model });
    ws.upsert('m.c', source);
    ws.analyze(['m.c']);
    ws.upsert('m.c', source.replace('PyMem_Malloc(n)', 'malloc(n)    '));
    expect(summaryOf(ws, 'm.c')).toEqual({ analysed: 2, findings: [] });
  });

  it('moves findings with lines inserted above them, as a fresh analysis places them', () => {
    const ws = new Workspace({ model });
    ws.upsert('m.c', source);
    ws.analyze(['m.c']);
    const text = edited(source, '    char *b = make_buf(10);', '    int pad = 0;\n    (void)pad;\n');
    ws.upsert('m.c', text);
    const fresh = new Workspace({ model });
    fresh.upsert('m.c', text);
    expect(ws.findingsFor('m.c')).toEqual(fresh.findingsFor('m.c'));
    expect(ws.findingsFor('m.c')[0].range.startLine + 1).toBe(17);
  });
});


const FIXTURES = join(__dirname, '..', 'fixtures');
const PIECES = [' ', '\n', 'x', ';', '(', ')', '{', '}', '*', '/', '"', 'free(p);', 'p = NULL;', 'PyMem_Free(buf);', '\n    return NULL;', '#define X 1\n'];

function fixtureFiles(rule: string, count: number): { path: string; text: string }[] {
  const dir = join(FIXTURES, rule);
  return readdirSync(dir)
    .filter(f => f.endsWith('.c'))
    .slice(0, count)
    .map(f => ({ path: `${rule}/${f}`, text: readFileSync(join(dir, f), 'utf8') }));
}

/** An edit mostly inside function bodies (where typing happens), sometimes anywhere. */
function randomEdit(text: string, next: () => number): string {
  let at = Math.floor(next() * (text.length + 1));
  if (next() < 0.8) {
    const bodies = [...text.matchAll(/\n\{\n/g)].map(m => m.index! + 3);
    if (bodies.length) at = Math.min(text.length, bodies[Math.floor(next() * bodies.length)] + Math.floor(next() * 200));
  }
  if (next() < 0.3) return text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 3));
  return text.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + text.slice(at);
}

describe('files nobody has open', () => {
  it('keep facts that point into no syntax tree, and are analysed as a fresh parse would be', () => {
    const lazy = parseSource({ path: 'm.c', text: source + 'static int table[] = { 1, 2, 3 };\n' }, model, true) as ParsedFile;
    expect(lazy.root).toBeUndefined();
    const held = [...lazy.facts.functions.flatMap(f => [f.node, f.body]), ...[...lazy.facts.globals.values()].map(g => g.node)];
    expect(held.length).toBeGreaterThan(6);
    for (const n of held) expect([n.parent, n.children.length]).toEqual([undefined, 0]);
    expect(lazy.facts.functions.map(f => [f.name, f.node.row, f.body.lazy])).toEqual([['make_buf', 1, true], ['use_buf', 9, true], ['unrelated', 18, true]]);
    // tables of numbers are not even parsed, and the facts are those of a normal parse
    const table = `static const unsigned char lexicon[] = {\n${Array.from({ length: 1500 }, (_, i) => `${i % 256}, 0x${(i % 16).toString(16)}U,${i % 40 ? '' : '\n'}`).join(' ')}\n};\n`;
    const named = `static PyMethodDef methods[] = {\n${'    {"f", (PyCFunction)use_buf, METH_NOARGS, NULL},\n'.repeat(120)}    {NULL, NULL, 0, NULL}\n};\n`;
    const big = source + table + named;
    expect(blankNumericTables(big)).toHaveLength(big.length);
    expect(blankNumericTables(big).split('\n').length).toBe(big.split('\n').length);
    expect(blankNumericTables(big)).toContain('(PyCFunction)use_buf'); // identifiers: left alone
    expect(blankNumericTables(big)).not.toContain('0xfU');
    const everything = (p: ParsedFile) => JSON.stringify(p.facts, (k, v) => (k === 'node' || k === 'body' ? [v.type, v.start, v.end] : v instanceof Set || v instanceof Map ? [...v] : v));
    expect(everything(parseSource({ path: 'm.c', text: big }, model, true) as ParsedFile)).toEqual(everything(parseSource({ path: 'm.c', text: big }, model) as ParsedFile));
    // a caller in an open file sees the wrapper's summary, its body parsed again from the text
    const ws = new Workspace({ model });
    ws.upsert('lib.c', source.replace(/static char \*\nmake_buf/, 'char *\nmake_buf'));
    ws.upsert('user.c', '#include <Python.h>\nchar *make_buf(Py_ssize_t n);\nvoid f(void)\n{\n    char *b = make_buf(4);\n    free(b);\n}\n');
    expect(ws.analyze(['user.c']).findings.map(f => `${f.file}:${f.range.startLine + 1}:${f.rule}`)).toEqual(['user.c:6:mixed-heap']);
    // the wrapper's body is given back after the analysis; its result stays and is reused as it is
    const lib = (ws as unknown as { files: Map<string, { parsed: ParsedFile }> }).files.get('lib.c')!.parsed;
    expect(lib.facts.functions.map(f => [f.name, f.body.lazy, f.body.children.length])).toEqual([['make_buf', true, 0], ['use_buf', true, 0], ['unrelated', true, 0]]);
    const again = ws.analyze(['user.c']);
    expect([again.stats.analysed, again.findings.map(f => `${f.file}:${f.range.startLine + 1}:${f.rule}`)]).toEqual([0, ['user.c:6:mixed-heap']]);
  });
});

/** What a file declares of its functions: where they are, whether they parse, what they mention. */
function functionFacts(p: ParsedFile): unknown[] {
  return p.facts.functions.map(f => [f.name, f.node.start, f.node.end, f.body.row, f.broken, f.mentions.join(' ')]);
}

/** The fixtures the whole-file and guessing random-edit tests edit. */
function editedFixtures(): { path: string; text: string }[] {
  return [...fixtureFiles('mixed-heap', 6), ...fixtureFiles('leak', 4), ...fixtureFiles('clean', 6)];
}

describe('incremental analysis over random edits', () => {
  it('after every edit, equals a fresh analysis of the same texts', () => {
    const files = [...fixtureFiles('mixed-heap', 4), ...fixtureFiles('leak', 3), ...fixtureFiles('double-free', 3)];
    const texts = new Map(files.map(f => [f.path, f.text]));
    const ws = new Workspace({ model });
    for (const [p, t] of texts) ws.upsert(p, t);
    const next = seeded(20261121);
    for (let step = 0; step < 120; step++) {
      const path = files[Math.floor(next() * files.length)].path;
      texts.set(path, randomEdit(texts.get(path)!, next));
      ws.upsert(path, texts.get(path)!);
      const got = ws.analyze([path]);
      const fresh = new Workspace({ model });
      for (const [p, t] of texts) fresh.upsert(p, t);
      const want = fresh.analyze([path]);
      expect({ step, findings: got.findings, problems: got.problems, unused: got.unusedSuppressions }).toEqual({
        step, findings: want.findings, problems: want.problems, unused: want.unusedSuppressions,
      });
    }
  });

  it('with guesses taken (speculate), once settled equals a fresh analysis of the same texts', () => {
    // every file open in the editor: each analysis is asked about all of them, as the server does
    const files = [...fixtureFiles('mixed-heap', 4), ...fixtureFiles('leak', 3), ...fixtureFiles('double-free', 3)];
    const texts = new Map(files.map(f => [f.path, f.text]));
    const open = [...texts.keys()];
    const ws = new Workspace({ model, speculate: true });
    for (const [p, t] of texts) ws.upsert(p, t);
    const next = seeded(20261122);
    const seen = { guessed: 0, confirmed: 0, corrected: 0 };
    const check = (step: number) => {
      // every file's guesses: the others' summaries feed each file's findings
      for (const p of open) {
        const r = ws.settle(p);
        if (r !== 'settled') seen[r]++;
      }
      const got = ws.analyze(open);
      const fresh = new Workspace({ model });
      for (const [p, t] of texts) fresh.upsert(p, t);
      const want = fresh.analyze(open);
      expect({ step, findings: got.findings, problems: got.problems, unused: got.unusedSuppressions }).toEqual({
        step, findings: want.findings, problems: want.problems, unused: want.unusedSuppressions,
      });
    };
    for (let step = 0; step < 150; step++) {
      const path = open[Math.floor(next() * open.length)];
      texts.set(path, randomEdit(texts.get(path)!, next));
      ws.upsert(path, texts.get(path)!);
      ws.analyze(open);
      if (ws.unsettled(path)) seen.guessed++;
      // now and then several edits (in several files) before the guesses are checked, as in a burst of typing
      if (next() < 0.6) check(step);
    }
    check(150);
    // this sequence takes many guesses, and one is wrong
    expect(seen.guessed).toBeGreaterThan(50);
    expect(seen.confirmed).toBeGreaterThan(50);
    expect(seen.corrected).toBeGreaterThan(0);
  });

  it('a guess a parse from scratch confirms is that parse\'s tree; one it does not is corrected to it', () => {
    // the items of the file, and everything in them; the flags of the root and of conditionals around
    // items are not compared: a guess sets them but does not clear them, and nothing reads them
    const dump = (root: Syntax): string[] => {
      const out: string[] = [];
      const item = (n: Syntax) => {
        out.push(`${n.type} ${n.start}-${n.end} ${n.row}:${n.col}-${n.endRow}:${n.endCol} ${n.field} ${n.op ?? ''} ${n.text ?? ''} ${n.broken ? 'B' : ''}${n.lazy ? 'L' : ''}`);
        for (const c of n.children) item(c);
      };
      const level = (n: Syntax) => {
        for (const c of n.children) {
          if (['preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'linkage_specification', 'declaration_list'].includes(c.type)) {
            out.push(`${c.type} ${c.start}-${c.end}`);
            level(c);
          } else item(c);
        }
      };
      level(root);
      return out;
    };
    const next = seeded(23);
    let confirmed = 0;
    let corrected = 0;
    for (const file of editedFixtures()) {
      let prev = parseSource(file, model, false, true) as ParsedFile;
      let text = file.text;
      for (let i = 0; i < 15; i++) {
        text = randomEdit(text, next);
        const quick = reparseInPlace(prev, text, model, true);
        if (!quick || !hasGuesses(quick)) {
          if (quick) prev = quick;
          else {
            prev.tree?.delete();
            prev = parseSource({ path: file.path, text }, model, false, true) as ParsedFile;
          }
          continue;
        }
        const full = parseSource({ path: file.path, text }, model) as ParsedFile;
        const exact = parseC(quick.analysed);
        if (confirms(quick, exact)) {
          confirmed++;
          expect(dump(quick.root!)).toEqual(dump(full.root!));
          expect(functionFacts(quick)).toEqual(functionFacts(full));
          quick.tree?.delete();
          quick.tree = exact;
          quick.unverified = undefined;
          prev = quick;
        } else {
          corrected++;
          const fixed = reparseFile(quick, text, model, exact)!;
          expect(dump(fixed.root!)).toEqual(dump(full.root!));
          expect(functionFacts(fixed)).toEqual(functionFacts(full));
          prev = fixed;
        }
      }
      prev.tree?.delete();
    }
    expect(confirmed).toBeGreaterThan(100);
    expect(corrected).toBeGreaterThan(0);
  });

  it('an in-place re-parse gives the tree and facts a full parse gives', () => {
    const dump = (n: Syntax, out: string[] = []): string[] => {
      out.push(`${n.type} ${n.start}-${n.end} ${n.row}:${n.col}-${n.endRow}:${n.endCol} ${n.field} ${n.op ?? ''} ${n.text ?? ''} ${n.broken ? 'B' : ''}${n.lazy ? 'L' : ''}`);
      for (const c of n.children) {
        expect(c.parent).toBe(n);
        dump(c, out);
      }
      return out;
    };
    const facts = (p: ParsedFile) => p.facts.functions.map(f => [f.name, f.node.start, f.node.end, f.body.row, f.mentions.join(' ')]); // broken aside here
    const next = seeded(7);
    let inPlace = 0;
    for (const file of [...fixtureFiles('mixed-heap', 6), ...fixtureFiles('clean', 6)]) {
      let prev = parseSource(file, model) as ParsedFile;
      let text = file.text;
      for (let i = 0; i < 15; i++) {
        text = randomEdit(text, next);
        const full = parseSource({ path: file.path, text }, model) as ParsedFile;
        const quick = reparseInPlace(prev, text, model);
        if (!quick) {
          prev = full;
          continue;
        }
        inPlace++;
        expect(dump(quick.root!)).toEqual(dump(full.root!));
        expect(facts(quick)).toEqual(facts(full));
        prev = quick;
      }
    }
    expect(inPlace).toBeGreaterThan(25);
  });

  it('a whole-file re-parse from the last tree gives the tree and facts a parse from scratch gives', () => {
    const dump = (n: Syntax, out: string[] = []): string[] => {
      out.push(`${n.type} ${n.start}-${n.end} ${n.row}:${n.col}-${n.endRow}:${n.endCol} ${n.field} ${n.op ?? ''} ${n.text ?? ''} ${n.broken ? 'B' : ''}${n.lazy ? 'L' : ''}`);
      for (const c of n.children) {
        expect(c.parent).toBe(n);
        dump(c, out);
      }
      return out;
    };
    const next = seeded(11);
    let kept = 0;
    let incremental = 0;
    for (const file of editedFixtures()) {
      let prev = parseSource(file, model, false, true) as ParsedFile;
      let text = file.text;
      for (let i = 0; i < 15; i++) {
        text = randomEdit(text, next);
        const full = parseSource({ path: file.path, text }, model) as ParsedFile;
        const before = new Set(prev.facts.functions);
        const quick = reparseFile(prev, text, model);
        if (!quick) {
          prev.tree?.delete();
          prev = parseSource({ path: file.path, text }, model, false, true) as ParsedFile;
          continue;
        }
        incremental++;
        kept += quick.facts.functions.filter(f => before.has(f)).length;
        expect(dump(quick.root!)).toEqual(dump(full.root!));
        expect(functionFacts(quick)).toEqual(functionFacts(full));
        prev = quick;
      }
      prev.tree?.delete();
    }
    expect(incremental).toBeGreaterThan(150);
    expect(kept).toBeGreaterThan(300);
  });
});
