/**
 * An extracted trace as the simulator's input: a `.heaptrace` syntax tree whose ranges are the C
 * calls (so events, block sites and hovers point into the C file), and the same trace as `.heaptrace`
 * text the user can open, edit and replay.
 */
import { apiFunction } from '../../simulator/families';
import type { Program, Ref, Stmt } from '../../simulator/heaptrace/ast';
import type { SourceRange, TraceName, TraceOp } from './types';

function ref(t: TraceName, range: SourceRange): Ref {
  return { name: t.name, index: t.index, range };
}

function fn(name: string) {
  const f = apiFunction(name);
  if (!f) throw new Error(`not a simulated allocator function: ${name}`);
  return f;
}

/** The trace as a program for `replayProgram`/`executeTrace`; lines are the C file's. */
export function toProgram(ops: TraceOp[], lineCount: number): Program {
  const convert = (list: TraceOp[]): Stmt[] =>
    list.map((o): Stmt => {
      switch (o.op) {
        case 'alloc':
          return { type: 'alloc', range: o.range, target: ref(o.target, o.range), fn: fn(o.api), count: o.count, size: o.size };
        case 'realloc':
          return {
            type: 'realloc',
            range: o.range,
            target: ref(o.target, o.range),
            fn: fn(o.api),
            source: o.source ? ref(o.source, o.range) : null,
            size: o.size,
          };
        case 'free':
          return { type: 'free', range: o.range, fn: fn(o.api), arg: ref(o.arg, o.range) };
        case 'repeat':
          return { type: 'repeat', range: o.range, count: o.count, body: convert(o.body) };
      }
    });
  return { python: null, body: convert(ops), lineCount };
}

const RESERVED = new Set(['python', 'repeat', 'snapshot', 'NULL', 'i']);

/**
 * The trace as `.heaptrace` text: one statement per C call, each with a comment giving the C line
 * and call, names made into identifiers (`self->buf` becomes `self_buf`).
 */
export function toHeaptraceText(ops: TraceOp[], header: { python?: string; title?: string; notes?: { line: number; message: string }[] } = {}): string {
  const names = new Map<string, string>();
  const used = new Set<string>();
  const ident = (t: TraceName): string => {
    let id = names.get(t.name);
    if (!id) {
      let base = t.name.replace(/->|\./g, '_').replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'p';
      if (/^\d/.test(base) || RESERVED.has(base)) base = `p_${base}`;
      id = base;
      for (let k = 2; used.has(id); k++) id = `${base}_${k}`;
      used.add(id);
      names.set(t.name, id);
    }
    if (t.index === null) return id;
    return `${id}[${t.index}]`;
  };
  const lines: string[] = [];
  if (header.title) lines.push(`# ${header.title}`);
  for (const n of header.notes ?? []) lines.push(`# note, line ${n.line}: ${n.message}`);
  if (header.python) lines.push(`python ${header.python}`);
  const emit = (list: TraceOp[], indent: string): void => {
    for (const o of list) {
      const where = `# line ${o.range.start.line + 1}: ${o.text}`;
      switch (o.op) {
        case 'alloc':
          lines.push(`${indent}${ident(o.target)} = ${o.api}(${o.count !== null ? `${o.count}, ` : ''}${o.size})`.padEnd(40) + `  ${where}`);
          break;
        case 'realloc':
          lines.push(`${indent}${ident(o.target)} = ${o.api}(${o.source ? ident(o.source) : 'NULL'}, ${o.size})`.padEnd(40) + `  ${where}`);
          break;
        case 'free':
          lines.push(`${indent}${o.api}(${ident(o.arg)})`.padEnd(40) + `  ${where}`);
          break;
        case 'repeat':
          lines.push(`${indent}repeat ${o.count} {`.padEnd(40) + `  ${where}${o.countKnown ? '' : ' (bound not constant: once)'}`);
          emit(o.body, indent + '  ');
          lines.push(`${indent}}`);
          break;
      }
    }
  };
  emit(ops, '');
  lines.push('snapshot end');
  return lines.join('\n') + '\n';
}
