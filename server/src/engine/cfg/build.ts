/**
 * Builds a Cfg from a function body. Short-circuit conditions, conditional expressions in assignments,
 * initializers and returns, switch fall-through, goto/labels and #if alternatives become explicit
 * branches, so the flow analysis sees each path on its own.
 */
import { child, childrenOf, declaredName, textOf, type Syntax } from '../parse/syntax';
import type { Cfg, CfgNode, EdgeFact, Instr } from './cfg';

interface Pred {
  node: number;
  slot: number;
  fact?: EdgeFact;
}

export interface CfgOptions {
  /** Calls that never return (abort, Py_FatalError). */
  noreturn: Set<string>;
  /** Statement macros that return from the function (Py_RETURN_NONE). */
  returnMacros: Set<string>;
  /** Calls that yield their first argument as a condition (`unlikely(!p)`, `__builtin_expect(x, 0)`). */
  transparent?: Set<string>;
}

/** Normalised text of a condition, and the identifiers it reads. */
export function conditionKey(n: Syntax, source: string): { key: string; deps: string[] } {
  const deps = new Set<string>();
  const stack = [n];
  while (stack.length) {
    const c = stack.pop()!;
    if (c.type === 'identifier') deps.add(textOf(c, source));
    else if (c.type !== 'field_identifier') stack.push(...c.children);
  }
  return { key: source.slice(n.start, n.end).replace(/\s+/g, ''), deps: [...deps] };
}

/** `#if` condition text → the fact it tests: `!X`, `(X)`, `defined X` and `defined(X)` normalised. */
function preprocFact(text: string): { key: string; positive: boolean } {
  let key = text;
  let positive = true;
  for (;;) {
    if (key.startsWith('!')) {
      key = key.slice(1);
      positive = !positive;
    } else if (/^\(.*\)$/.test(key) && balanced(key.slice(1, -1))) key = key.slice(1, -1);
    else break;
  }
  const m = /^defined\(?([A-Za-z_]\w*)\)?$/.exec(key);
  if (m) key = `defined(${m[1]})`;
  return { key, positive };
}

/** Splits at `op` outside parentheses; one part when `op` does not occur at the top level. */
function splitTop(s: string, op: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && s.startsWith(op, i)) {
      parts.push(s.slice(from, i));
      from = i + op.length;
      i += op.length - 1;
    }
  }
  parts.push(s.slice(from));
  return parts;
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

export function buildCfg(body: Syntax, source: string, opts: CfgOptions): Cfg {
  const nodes: CfgNode[] = [];
  const breaks: Pred[][] = [];
  const continues: Pred[][] = [];

  const add = (instr: Instr, preds: Pred[]): number => {
    const id = nodes.length;
    nodes.push({ id, instr, succ: [], facts: [], preds: [] });
    connect(preds, id);
    return id;
  };
  const connect = (preds: Pred[], to: number) => {
    for (const p of preds) {
      const n = nodes[p.node];
      n.succ[p.slot] = to;
      n.facts[p.slot] = p.fact;
    }
  };
  const out = (id: number, slot = 0): Pred[] => [{ node: id, slot }];
  // #if arms being built, outermost first: a label belongs to the arm it is written in, so that the
  // same label name in an #if arm and its #else arm stays two labels (only one is ever compiled)
  const arms: string[] = [''];
  let armCount = 0;
  const inArm = <T>(f: () => T): T => {
    arms.push(`${arms[arms.length - 1]}/${++armCount}`);
    try {
      return f();
    } finally {
      arms.pop();
    }
  };
  const labelDefs = new Map<string, { id: number; arm: string }[]>();
  const gotos: { preds: Pred[]; name: string; arm: string }[] = [];
  const defineLabel = (name: string): number => {
    const arm = arms[arms.length - 1];
    const defs = labelDefs.get(name) ?? [];
    labelDefs.set(name, defs);
    const known = defs.find(d => d.arm === arm);
    if (known) return known.id;
    const id = add({ op: 'nop' }, []);
    defs.push({ id, arm });
    return id;
  };
  // gotos are bound once every label is known: to the label in the goto's own arm or the nearest
  // enclosing one; from outside the arms that define it, to each of them
  const bindGotos = () => {
    for (const g of gotos) {
      const defs = labelDefs.get(g.name) ?? [];
      const enclosing = defs.filter(d => g.arm === d.arm || g.arm.startsWith(`${d.arm}/`)).sort((a, b) => b.arm.length - a.arm.length);
      const targets = enclosing.length ? [enclosing[0].id] : defs.map(d => d.id);
      if (targets.length === 1) connect(g.preds, targets[0]);
      else if (targets.length > 1) {
        const fork = add({ op: 'nop' }, g.preds);
        targets.forEach((t, slot) => connect([{ node: fork, slot }], t));
      }
    }
  };

  const entry = add({ op: 'entry' }, []);
  const exit = add({ op: 'exit' }, []);

  const strip = (n: Syntax): Syntax => (n.type === 'parenthesized_expression' && n.children.length === 1 ? strip(n.children[0]) : n);
  const isConditional = (n: Syntax | undefined): n is Syntax => !!n && strip(n).type === 'conditional_expression';
  const calleeName = (n: Syntax): string | undefined => {
    const e = strip(n);
    if (e.type !== 'call_expression') return undefined;
    const f = child(e, 'function');
    return f?.type === 'identifier' ? textOf(f, source) : undefined;
  };

  function constant(n: Syntax): boolean | undefined {
    const e = strip(n);
    if (e.type === 'number_literal') return !/^0+[uUlL]*$/.test(textOf(e, source)) ? true : false;
    if (e.type === 'true') return true;
    if (e.type === 'false') return false;
    return undefined;
  }

  function cond(n: Syntax, preds: Pred[]): { t: Pred[]; f: Pred[] } {
    let e = strip(n);
    // branch-prediction hints test their argument
    while (e.type === 'call_expression' && opts.transparent) {
      const f = child(e, 'function');
      const arg = child(e, 'arguments')?.children[0];
      if (f?.type !== 'identifier' || !arg || !opts.transparent.has(textOf(f, source))) break;
      e = strip(arg);
    }
    if (preds.length === 0) return { t: [], f: [] };
    const k = constant(e);
    if (k === true) return { t: preds, f: [] };
    if (k === false) return { t: [], f: preds };
    if (e.type === 'unary_expression' && e.op === '!') {
      const r = cond(child(e, 'argument')!, preds);
      return { t: r.f, f: r.t };
    }
    if (e.type === 'binary_expression' && (e.op === '&&' || e.op === '||')) {
      const left = cond(child(e, 'left')!, preds);
      if (e.op === '&&') {
        const right = cond(child(e, 'right')!, left.t);
        return { t: right.t, f: [...left.f, ...right.f] };
      }
      const right = cond(child(e, 'right')!, left.f);
      return { t: [...left.t, ...right.t], f: right.f };
    }
    const id = add({ op: 'branch', cond: e }, preds);
    return { t: out(id, 0), f: out(id, 1) };
  }

  /** lhs = (c ? a : b), lowered to two assignments. */
  function assignLowered(lhs: Syntax, rhs: Syntax, at: Syntax, preds: Pred[]): Pred[] {
    const e = strip(rhs);
    if (e.type !== 'conditional_expression') return out(add({ op: 'assign', lhs, rhs, at }, preds));
    const c = cond(child(e, 'condition')!, preds);
    const cons = child(e, 'consequence');
    const alt = child(e, 'alternative')!;
    // GNU `c ?: b` has no consequence: the value is the condition itself
    const t = assignLowered(lhs, cons ?? child(e, 'condition')!, at, c.t);
    const f = assignLowered(lhs, alt, at, c.f);
    return [...t, ...f];
  }

  function returnLowered(value: Syntax | null, at: Syntax, preds: Pred[]): void {
    if (value && isConditional(value)) {
      const e = strip(value);
      const c = cond(child(e, 'condition')!, preds);
      returnLowered(child(e, 'consequence') ?? child(e, 'condition')!, at, c.t);
      returnLowered(child(e, 'alternative')!, at, c.f);
      return;
    }
    if (preds.length === 0) return;
    connect(out(add({ op: 'return', value, at }, preds)), exit);
  }

  function stmts(list: Syntax[], preds: Pred[]): Pred[] {
    let cur = preds;
    for (const s of list) cur = stmt(s, cur);
    return cur;
  }

  function preprocAlternative(n: Syntax, preds: Pred[]): Pred[] {
    // #ifdef X / #ifndef X / #if expr / #elif expr: a fact on the macro condition, never invalidated
    let key: string;
    let positive = true;
    if (n.type === 'preproc_ifdef' || n.type === 'preproc_elifdef') {
      const name = child(n, 'name');
      key = `defined(${name ? textOf(name, source) : '?'})`;
      positive = !(n.op ?? '').includes('ndef');
    } else {
      const c = child(n, 'condition');
      ({ key, positive } = preprocFact(c ? source.slice(c.start, c.end).replace(/\s+/g, '') : '?'));
    }
    // `#if A && B` makes A and B facts where it holds, `#if A || B` where it does not: so a later
    // `#ifdef A` is related to it
    const parts = (op: '&&' | '||') => (positive ? splitTop(key, op).map(preprocFact) : []);
    const conjuncts = parts('&&');
    const disjuncts = parts('||');
    const fact = (value: boolean): EdgeFact => {
      const implied = value ? conjuncts : disjuncts;
      // and the other way round: a path where every conjunct holds cannot take the false edge
      const excluded = value ? disjuncts : conjuncts;
      return {
        key: `#${key}`, deps: [], value: positive ? value : !value,
        also: implied.length > 1 ? implied.map(p => [`#${p.key}`, p.positive ? value : !value] as [string, boolean]) : undefined,
        notAll: excluded.length > 1 ? excluded.map(p => [`#${p.key}`, p.positive ? !value : value] as [string, boolean]) : undefined,
      };
    };
    const fork = add({ op: 'nop' }, preds);
    const alternative = child(n, 'alternative');
    const body = n.children.filter(c => c.field === null);
    const thenEnd = inArm(() => stmts(body, [{ node: fork, slot: 0, fact: fact(true) }]));
    const elsePreds: Pred[] = [{ node: fork, slot: 1, fact: fact(false) }];
    if (!alternative) return [...thenEnd, ...elsePreds];
    if (alternative.type === 'preproc_else') return [...thenEnd, ...inArm(() => stmts(alternative.children, elsePreds))];
    return [...thenEnd, ...inArm(() => preprocAlternative(alternative, elsePreds))];
  }

  function stmt(s: Syntax, preds: Pred[]): Pred[] {
    switch (s.type) {
      case 'compound_statement':
        return stmts(s.children, preds);
      case 'expression_statement': {
        const e = s.children[0];
        if (!e) return preds;
        const inner = strip(e);
        if (inner.type === 'conditional_expression') {
          // `c ? free(a) : PyMem_Free(a);` used as a statement
          const c = cond(child(inner, 'condition')!, preds);
          const cons = child(inner, 'consequence');
          const t = cons ? out(add({ op: 'eval', n: cons }, c.t)) : c.t;
          const f = out(add({ op: 'eval', n: child(inner, 'alternative')! }, c.f));
          return [...(c.t.length ? t : []), ...(c.f.length ? f : [])];
        }
        if (inner.type === 'assignment_expression' && inner.op === '=' && isConditional(child(inner, 'right'))) {
          return assignLowered(child(inner, 'left')!, child(inner, 'right')!, inner, preds);
        }
        if (inner.type === 'identifier' && opts.returnMacros.has(textOf(inner, source))) {
          returnLowered(null, s, preds);
          return [];
        }
        const name = calleeName(inner);
        if (name && opts.returnMacros.has(name)) {
          returnLowered(null, s, preds);
          return [];
        }
        const id = add({ op: 'eval', n: e }, preds);
        if (name && opts.noreturn.has(name)) return [];
        return out(id);
      }
      case 'declaration': {
        const lowered = new Set<Syntax>();
        for (const d of childrenOf(s, 'declarator')) {
          if (d.type === 'init_declarator' && isConditional(child(d, 'value'))) lowered.add(d);
        }
        let cur = out(add({ op: 'decl', n: s, lowered: lowered.size ? lowered : undefined }, preds));
        for (const d of lowered) {
          const id = declaredName(child(d, 'declarator'));
          if (id) cur = assignLowered(id, child(d, 'value')!, d, cur);
        }
        return cur;
      }
      case 'if_statement': {
        const c = cond(child(s, 'condition')!, preds);
        const cons = child(s, 'consequence');
        const t = cons ? stmt(cons, c.t) : c.t;
        const alt = child(s, 'alternative');
        const f = alt ? stmt(alt.type === 'else_clause' ? alt.children[0] ?? alt : alt, c.f) : c.f;
        return [...t, ...f];
      }
      case 'else_clause':
        return stmts(s.children, preds);
      case 'while_statement': {
        const head = add({ op: 'nop' }, preds);
        const c = cond(child(s, 'condition')!, out(head));
        breaks.push([]);
        continues.push([]);
        const end = stmt(child(s, 'body')!, c.t);
        connect([...end, ...continues.pop()!], head);
        return [...c.f, ...breaks.pop()!];
      }
      case 'do_statement': {
        const head = add({ op: 'nop' }, preds);
        breaks.push([]);
        continues.push([]);
        const end = stmt(child(s, 'body')!, out(head));
        const c = cond(child(s, 'condition')!, [...end, ...continues.pop()!]);
        connect(c.t, head);
        return [...c.f, ...breaks.pop()!];
      }
      case 'for_statement': {
        let cur = preds;
        const init = child(s, 'initializer');
        if (init) cur = init.type === 'declaration' ? stmt(init, cur) : out(add({ op: 'eval', n: init }, cur));
        const head = add({ op: 'nop' }, cur);
        const condition = child(s, 'condition');
        const c = condition ? cond(condition, out(head)) : { t: out(head), f: [] };
        breaks.push([]);
        continues.push([]);
        const body = child(s, 'body');
        const end = body ? stmt(body, c.t) : c.t;
        const update = childrenOf(s, 'update');
        let tail = [...end, ...continues.pop()!];
        for (const u of update) tail = out(add({ op: 'eval', n: u }, tail));
        connect(tail, head);
        return [...c.f, ...breaks.pop()!];
      }
      case 'switch_statement': {
        const scrutinee = child(s, 'condition')!;
        const sw = add({ op: 'eval', n: scrutinee, remember: true }, preds);
        const body = child(s, 'body');
        const cases = body?.children ?? [];
        const scrut = conditionKey(strip(scrutinee), source);
        breaks.push([]);
        let fall: Pred[] = [];
        let hasDefault = false;
        let slot = 0;
        const pure = !/[(=]|\+\+|--/.test(scrut.key);
        const caseKeys = cases.flatMap(c => {
          const v = c.type === 'case_statement' ? child(c, 'value') : undefined;
          return v ? [`${scrut.key}==${source.slice(v.start, v.end).replace(/\s+/g, '')}`] : [];
        });
        const caseValues = cases.flatMap(c => {
          const v = c.type === 'case_statement' ? child(c, 'value') : undefined;
          return v ? [v] : [];
        });
        const caseFact = (key: string | undefined, value?: Syntax): EdgeFact | undefined => {
          // a scrutinee with side effects gives no reusable fact, but its value still narrows per case
          if (!pure) {
            if (key) return { key: '', deps: [], value: true, switchCase: { scrutinee, values: [value!], equal: true } };
            return caseValues.length ? { key: '', deps: [], value: false, switchCase: { scrutinee, values: caseValues, equal: false } } : undefined;
          }
          if (key) return { key, deps: scrut.deps, value: true, others: caseKeys.filter(k => k !== key), switchCase: { scrutinee, values: [value!], equal: true } };
          return caseKeys.length ? { key: caseKeys[0], deps: scrut.deps, value: false, others: caseKeys.slice(1), switchCase: { scrutinee, values: caseValues, equal: false } } : undefined;
        };
        for (const c of cases) {
          if (c.type !== 'case_statement') {
            fall = stmt(c, fall);
            continue;
          }
          const value = child(c, 'value');
          if (!value) hasDefault = true;
          const fact = caseFact(value ? `${scrut.key}==${source.slice(value.start, value.end).replace(/\s+/g, '')}` : undefined, value);
          const entryNode = add({ op: 'nop' }, [...fall, { node: sw, slot: slot++, fact }]);
          fall = stmts(c.children.filter(x => x !== value), out(entryNode));
        }
        const after = [...fall, ...breaks.pop()!];
        if (!hasDefault) after.push({ node: sw, slot: slot++, fact: caseFact(undefined) });
        return after;
      }
      case 'break_statement':
        breaks[breaks.length - 1]?.push(...preds);
        return [];
      case 'continue_statement':
        continues[continues.length - 1]?.push(...preds);
        return [];
      case 'return_statement': {
        const value = s.children[0] ?? null;
        returnLowered(value, s, preds);
        return [];
      }
      case 'goto_statement': {
        const label = child(s, 'label');
        if (label) gotos.push({ preds, name: textOf(label, source), arm: arms[arms.length - 1] });
        return [];
      }
      case 'labeled_statement': {
        const label = child(s, 'label');
        const id = label ? defineLabel(textOf(label, source)) : add({ op: 'nop' }, []);
        connect(preds, id);
        return stmts(s.children.filter(c => c !== label), out(id));
      }
      case 'preproc_ifdef':
      case 'preproc_if':
        return preprocAlternative(s, preds);
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
      case 'type_definition':
      case 'struct_specifier':
      case 'enum_specifier':
      case 'union_specifier':
        return preds;
      case 'attributed_statement':
        return stmts(s.children.filter(c => c.type !== 'attribute_declaration'), preds);
      case 'case_statement':
        return stmts(s.children.filter(c => c.field !== 'value'), preds);
      default:
        if (preds.length === 0) return preds;
        return out(add({ op: 'eval', n: s }, preds));
    }
  }

  const end = stmt(body, out(entry));
  // falling off the end is a return too, so every path reaches exit through a return node
  if (end.length) connect(out(add({ op: 'return', value: null, at: body, implicit: true }, end)), exit);
  bindGotos();
  for (const n of nodes) for (const s of n.succ) if (s !== undefined) nodes[s].preds.push(n.id);
  return { nodes, entry, exit };
}
