import { beforeAll, describe, expect, it } from 'vitest';
import { initParser } from '../../server/src/engine';
import { buildCfg } from '../../server/src/engine/cfg/build';
import type { Cfg } from '../../server/src/engine/cfg/cfg';
import { parseC } from '../../server/src/engine/parse/parser';
import { child, toSyntax } from '../../server/src/engine/parse/syntax';

beforeAll(async () => {
  await initParser();
});

function cfgOf(body: string): { cfg: Cfg; text: string } {
  const text = `void f(int a, int b, char *p) {\n${body}\n}\n`;
  const tree = parseC(text);
  const root = toSyntax(tree, text);
  tree.delete();
  const fn = root.children[0];
  const cfg = buildCfg(child(fn, 'body')!, text, { noreturn: new Set(['abort']), returnMacros: new Set(['Py_RETURN_NONE']) });
  return { cfg, text };
}

/** Every path from entry to exit, as the source text of the instructions it runs. */
function paths(cfg: Cfg, text: string, limit = 50): string[] {
  const out: string[] = [];
  const walk = (id: number, acc: string[], seen: Set<number>) => {
    if (out.length >= limit) return;
    const n = cfg.nodes[id];
    if (n.id === cfg.exit) {
      out.push(acc.join(' ; '));
      return;
    }
    const ins = n.instr;
    const label = ins.op === 'eval' || ins.op === 'decl' ? text.slice(ins.n.start, ins.n.end)
      : ins.op === 'branch' ? `?${text.slice(ins.cond.start, ins.cond.end)}`
      : ins.op === 'return' ? (ins.implicit ? 'end' : `return ${ins.value ? text.slice(ins.value.start, ins.value.end) : ''}`.trim())
      : ins.op === 'assign' ? `${text.slice(ins.lhs.start, ins.lhs.end)}=${text.slice(ins.rhs.start, ins.rhs.end)}` : '';
    n.succ.forEach((s, i) => {
      if (s === undefined || seen.has(s)) return;
      const step = ins.op === 'branch' ? `${label}:${i === 0 ? 'T' : 'F'}` : label;
      walk(s, step ? [...acc, step] : acc, new Set([...seen, s]));
    });
  };
  walk(cfg.entry, [], new Set([cfg.entry]));
  return out.sort();
}

describe('control-flow graph', () => {
  it('if/else gives one path per branch, falling off the end is a return', () => {
    const { cfg, text } = cfgOf('if (a) g(); else h();');
    expect(paths(cfg, text)).toEqual(['?a:F ; h() ; end', '?a:T ; g() ; end']);
  });

  it('&& and || short-circuit into separate branches', () => {
    const { cfg, text } = cfgOf('if (a && b) g();');
    expect(paths(cfg, text)).toEqual(['?a:F ; end', '?a:T ; ?b:F ; end', '?a:T ; ?b:T ; g() ; end']);
    const or = cfgOf('if (a || b) g();');
    expect(paths(or.cfg, or.text)).toEqual(['?a:F ; ?b:F ; end', '?a:F ; ?b:T ; g() ; end', '?a:T ; g() ; end']);
  });

  it('switch falls through until break, and without default skips the body', () => {
    const { cfg, text } = cfgOf('switch (a) { case 1: g(); case 2: h(); break; case 3: k(); }');
    expect(paths(cfg, text)).toEqual(['(a) ; end', '(a) ; g() ; h() ; end', '(a) ; h() ; end', '(a) ; k() ; end']);
  });

  it('switch case edges carry exclusive facts', () => {
    const { cfg } = cfgOf('switch (a) { case 1: g(); break; case 2: h(); break; }');
    const sw = cfg.nodes.find(n => n.succ.length === 3)!;
    expect(sw.facts[0]).toMatchObject({ key: 'a==1', value: true, others: ['a==2'] });
    expect(sw.facts[2]).toMatchObject({ key: 'a==1', value: false, others: ['a==2'] });
  });

  it('goto jumps to its label; code after return is unreachable', () => {
    const { cfg, text } = cfgOf('if (a) goto done; g();\ndone:\n h(); return; k();');
    expect(paths(cfg, text)).toEqual(['?a:F ; g() ; h() ; return', '?a:T ; h() ; return']);
  });

  it('loops have a back edge; do { } while (0) runs once', () => {
    const { cfg } = cfgOf('while (a) { if (b) break; if (a) continue; g(); }');
    const back = cfg.nodes.some(n => n.succ.some(s => s !== undefined && s < n.id && cfg.nodes[s].instr.op === 'nop'));
    expect(back).toBe(true);
    const once = cfgOf('do { g(); } while (0);');
    expect(paths(once.cfg, once.text)).toEqual(['g() ; end']);
  });

  it('a conditional expression in an assignment, a declaration or a return becomes two assignments', () => {
    const { cfg, text } = cfgOf('char *q = a ? p : 0; return b ? q : p;');
    expect(paths(cfg, text)).toEqual([
      'char *q = a ? p : 0; ; ?a:F ; q=0 ; ?b:F ; return p',
      'char *q = a ? p : 0; ; ?a:F ; q=0 ; ?b:T ; return q',
      'char *q = a ? p : 0; ; ?a:T ; q=p ; ?b:F ; return p',
      'char *q = a ? p : 0; ; ?a:T ; q=p ; ?b:T ; return q',
    ]);
  });

  it('#ifdef/#else are alternatives with a fact on the macro, never both', () => {
    const { cfg, text } = cfgOf('#ifdef MS_WINDOWS\n g();\n#else\n h();\n#endif\n');
    expect(paths(cfg, text)).toEqual(['g() ; end', 'h() ; end']);
    const fork = cfg.nodes.find(n => n.facts.some(f => f?.key === '#defined(MS_WINDOWS)'))!;
    expect(fork.facts.map(f => f?.value)).toEqual([true, false]);
  });

  it('calls that never return and return macros end the path', () => {
    const { cfg, text } = cfgOf('if (a) abort(); if (b) Py_RETURN_NONE; g();');
    expect(paths(cfg, text)).toEqual(['?a:F ; ?b:F ; g() ; end', '?a:F ; ?b:T ; return']);
  });
});
