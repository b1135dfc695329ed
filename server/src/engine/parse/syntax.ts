/**
 * A plain JavaScript copy of the tree-sitter tree, made in one TreeCursor walk. Every later pass works
 * on these objects: crossing into WASM once per node is far cheaper than node.children on demand, and
 * the tree can be deleted straight after.
 */
import type { Tree } from 'web-tree-sitter';
import { walkTree, type Walker } from './cursor';
import type { CutMap } from './function-bodies';

export interface Syntax {
  type: string;
  start: number;
  end: number;
  readonly row: number;
  readonly col: number;
  readonly endRow: number;
  readonly endCol: number;
  /** Named children, comments left out. */
  children: Syntax[];
  /** Field name in the parent (declarator, value, condition …). */
  field: string | null;
  /** Operator token (binary, unary, update, assignment, pointer, field access) or the #ifdef/#ifndef keyword. */
  op?: string;
  /** Source text of leaves (identifiers, literals, types). */
  text?: string;
  /** The subtree contains an ERROR or MISSING node. */
  broken?: boolean;
  /** A function body or a data initializer left unconverted: only its extent is known (see ConvertOptions). */
  lazy?: boolean;
  /** Of a lazy body skipped with 'names': the identifiers a conversion would have found in it, each once. */
  names?: readonly string[];
  parent?: Syntax;
}

/**
 * `skipBody(start, end)` may decline to convert a function body: the node is kept with no children and
 * `lazy` set, and converting it later means parsing the function again.
 */
/** Line starts of a text, so positions are computed from offsets only when someone asks. */
export class LineIndex {
  /** Computed at the first question: most files of a workspace are never asked for a position. */
  private starts: number[] | undefined;
  constructor(private text: string) {}
  /** The text changed: every node sharing this index now answers for the new text. */
  reset(text: string): void {
    this.text = text;
    this.starts = undefined;
  }
  line(offset: number): number {
    const st = this.starts ?? this.index();
    let lo = 0;
    let hi = st.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (st[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  column(offset: number): number {
    const line = this.line(offset);
    return offset - this.starts![line];
  }
  private index(): number[] {
    const starts = [0];
    const text = this.text;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.starts = starts;
    return starts;
  }
}

class SyntaxNode implements Syntax {
  children: Syntax[] = [];
  op?: string;
  text?: string;
  broken?: boolean;
  lazy?: boolean;
  names?: readonly string[];
  parent?: Syntax;
  constructor(
    public type: string,
    public start: number,
    public end: number,
    public field: string | null,
    readonly lines: LineIndex,
  ) {}
  get row(): number {
    return this.lines.line(this.start);
  }
  get col(): number {
    return this.lines.column(this.start);
  }
  get endRow(): number {
    return this.lines.line(this.end);
  }
  get endCol(): number {
    return this.lines.column(this.end);
  }
}

export interface ConvertOptions {
  /**
   * true leaves the function body at (start, end) unconverted (`lazy`); 'names' does too but first
   * collects the identifiers in it, exactly those a conversion would have found, so that what a
   * function calls does not depend on whether its body happened to be converted.
   */
  skipBody?: (start: number, end: number) => boolean | 'names';
  /**
   * true leaves the initializer of a top-level declaration of this type unconverted (`lazy`): tables
   * of data nothing reads make a large share of the nodes of some files.
   */
  skipInitializer?: (declarationType: Syntax) => boolean;
  /**
   * The tree was parsed from a piece of a larger text that starts at `offset`; nodes get offsets (and
   * positions, through `lines`) in the larger text. `text` is always the piece that was parsed.
   */
  place?: { offset: number; lines: LineIndex };
  /** An earlier conversion of the node of this type and extent, taken as it is instead of converting it again. */
  reuse?: (type: string, start: number, end: number) => Syntax | undefined;
  /** The tree was parsed from `text` with these spans cut out (function-bodies.ts): offsets are mapped back. */
  cuts?: CutMap;
}

const TOP_LEVEL_CONTAINERS = new Set(['translation_unit', 'preproc_if', 'preproc_ifdef', 'preproc_else', 'preproc_elif', 'preproc_elifdef', 'linkage_specification', 'declaration_list']);

export function toSyntax(tree: Tree, text: string, opts: ConvertOptions = {}): Syntax {
  const { skipBody, skipInitializer, place, reuse, cuts } = opts;
  const lines = place?.lines ?? new LineIndex(text);
  const base = place?.offset ?? 0;
  const whole = tree.rootNode;
  const startOf = cuts ? (o: number) => cuts.start(o) : (o: number) => o;
  const endOf = cuts ? (o: number) => cuts.end(o) : (o: number) => o;
  const root: Syntax = new SyntaxNode(whole.type, startOf(whole.startIndex) + base, endOf(whole.endIndex) + base, null, lines);
  // every property read below is a call into WASM: the type's name and named-ness come from tables
  const language = tree.language;
  const names = language.types;
  const named = namedTable(language);
  const fields = language.fields;
  if (tree.rootNode.hasError) root.broken = true;
  const cursor = walkTree(tree); // from here until it is deleted, no other call into web-tree-sitter
  const stack: Syntax[] = [root];
  if (cursor.gotoFirstChild()) {
    for (;;) {
      const parent = stack[stack.length - 1];
      const typeId = cursor.nodeTypeId;
      const type = names[typeId] || 'ERROR';
      let descended = false;
      if (named(typeId)) {
        const s = startOf(cursor.startIndex);
        const e = Math.max(s, endOf(cursor.endIndex)); // an empty node where a cut was
        const kept = type !== 'comment' && reuse?.(type, s + base, e + base);
        if (kept) {
          kept.parent = parent;
          kept.field = fields[cursor.currentFieldId];
          parent.children.push(kept);
          if (kept.broken) markBroken(parent);
        } else if (type !== 'comment') {
          const node = new SyntaxNode(type, s + base, e + base, fields[cursor.currentFieldId], lines);
          node.parent = parent;
          parent.children.push(node);
          // a function's ERROR and MISSING nodes, converted or not, in one question (the root was asked too)
          if (type === 'ERROR' || (type === 'function_definition' && cursor.currentHasError())) markBroken(node);
          const skip = skipBody && type === 'compound_statement' && parent.type === 'function_definition' && node.field === 'body' && skipBody(s + base, e + base);
          if (skip) {
            node.lazy = true;
            if (skip === 'names') node.names = identifiersBelow(cursor, text, language, startOf, endOf);
          } else if (skipInitializer && type === 'initializer_list' && isTopLevelValue(node) && skipInitializer(child(node.parent!.parent!, 'type') ?? node)) {
            node.lazy = true;
          } else if (cursor.gotoFirstChild()) {
            stack.push(node);
            descended = true;
          } else if (e - s < 256) {
            node.text = text.slice(s, e);
          }
        }
      } else {
        if (parent.op === undefined && type.startsWith('#')) parent.op = type;
        else if (fields[cursor.currentFieldId] === 'operator') parent.op = type;
      }
      if (descended) continue;
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) {
          cursor.delete();
          return root;
        }
        const done = stack.pop()!;
        if (done.children.length === 0 && done.end - done.start < 256) done.text = text.slice(done.start - base, done.end - base);
        if (stack.length === 0) {
          cursor.delete();
          return root;
        }
      }
    }
  }
  cursor.delete();
  return root;
}

/** The value of an init_declarator of a declaration outside any function. */
function isTopLevelValue(n: Syntax): boolean {
  const decl = n.field === 'value' && n.parent?.type === 'init_declarator' ? n.parent.parent : undefined;
  return !!decl && decl.type === 'declaration' && !!decl.parent && TOP_LEVEL_CONTAINERS.has(decl.parent.type);
}

const namedTables = new WeakMap<object, (typeId: number) => boolean>();

/** Whether nodes of a type are named, asked of the grammar once per type. */
function namedTable(language: Tree['language']): (typeId: number) => boolean {
  let table = namedTables.get(language);
  if (!table) {
    // asked up front: a walk in progress must not call into web-tree-sitter (see cursor.ts)
    const known: boolean[] = [];
    for (let id = 0; id < language.nodeTypeCount; id++) known.push(language.nodeTypeIsNamed(id));
    const error = language.nodeTypeIsNamed(0xffff); // ERROR's id lies beyond the grammar's own types
    table = id => known[id] ?? error;
    namedTables.set(language, table);
  }
  return table;
}

/**
 * Identifier texts in the subtree under the cursor, visiting what toSyntax would convert (named nodes,
 * comments left out). The cursor ends where it started.
 */
function identifiersBelow(cursor: Walker, text: string, language: Tree['language'], startOf: (o: number) => number, endOf: (o: number) => number): string[] {
  const names = new Set<string>();
  const types = language.types;
  const named = namedTable(language);
  if (!cursor.gotoFirstChild()) return [];
  let depth = 1;
  for (;;) {
    let descended = false;
    const typeId = cursor.nodeTypeId;
    const type = types[typeId] || 'ERROR';
    if (named(typeId) && type !== 'comment') {
      if (type === 'identifier') names.add(text.slice(startOf(cursor.startIndex), endOf(cursor.endIndex)));
      else if (cursor.gotoFirstChild()) {
        depth++;
        descended = true;
      }
    }
    if (descended) continue;
    while (!cursor.gotoNextSibling()) {
      cursor.gotoParent();
      if (--depth === 0) return [...names];
    }
  }
}

/** A copy of `n` alone, without children or parent: its extent, positions and own properties. */
export function detached(n: Syntax): Syntax {
  const lines = linesOf(n);
  if (!lines) return n;
  const copy = new SyntaxNode(n.type, n.start, n.end, n.field, lines);
  copy.op = n.op;
  copy.text = n.text;
  copy.broken = n.broken;
  copy.lazy = n.lazy;
  copy.names = n.names;
  return copy;
}

/** The line index a node computes its positions with (shared by every node of one text). */
export function linesOf(n: Syntax): LineIndex | undefined {
  return n instanceof SyntaxNode ? n.lines : undefined;
}

/**
 * Puts `fresh` where `old` was and moves everything after `old` by `delta` (the change in length), so
 * the rest of the tree stays valid for the edited text without being converted again. The caller
 * resets the shared line index to the new text.
 */
export function replaceSubtree(old: Syntax, fresh: Syntax, delta: number): void {
  const parent = old.parent;
  if (parent) parent.children[parent.children.indexOf(old)] = fresh;
  fresh.parent = parent;
  fresh.field = old.field;
  if (delta === 0) return;
  const ancestors = new Set<Syntax>();
  let root = fresh;
  while (root.parent) ancestors.add((root = root.parent));
  const oldEnd = old.end;
  const stack: Syntax[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (ancestors.has(n)) {
      n.end += delta;
      for (const c of n.children) stack.push(c);
    } else if (n !== fresh && n.start >= oldEnd) shiftAll(n, delta);
  }
}

/** Moves a subtree by `delta` characters. */
export function shiftAll(n: Syntax, delta: number): void {
  const stack = [n];
  while (stack.length) {
    const cur = stack.pop()!;
    cur.start += delta;
    cur.end += delta;
    for (const c of cur.children) stack.push(c);
  }
}

function markBroken(node: Syntax | undefined): void {
  for (let n = node; n && !n.broken; n = n.parent) n.broken = true;
}

export function child(n: Syntax, field: string): Syntax | undefined {
  for (const c of n.children) if (c.field === field) return c;
  return undefined;
}

export function childrenOf(n: Syntax, field: string): Syntax[] {
  return n.children.filter(c => c.field === field);
}

export function textOf(n: Syntax, source: string): string {
  return n.text ?? source.slice(n.start, n.end);
}

/** Pre-order walk; return false from the visitor to skip a subtree. */
export function walk(n: Syntax, visit: (n: Syntax) => boolean | void): void {
  const stack: Syntax[] = [n];
  while (stack.length) {
    const cur = stack.pop()!;
    if (visit(cur) === false) continue;
    for (let i = cur.children.length - 1; i >= 0; i--) stack.push(cur.children[i]);
  }
}

/** Strips parentheses and casts: the value-carrying expression inside. */
export function unwrap(n: Syntax): Syntax {
  let cur = n;
  for (;;) {
    if (cur.type === 'parenthesized_expression' && cur.children.length === 1) cur = cur.children[0];
    else if (cur.type === 'cast_expression') cur = child(cur, 'value') ?? cur.children[cur.children.length - 1];
    else return cur;
  }
}

/** The identifier a declarator declares, through pointer/array/function/parenthesised/init layers. */
export function declaredName(d: Syntax | undefined): Syntax | undefined {
  let cur = d;
  while (cur) {
    if (cur.type === 'identifier' || cur.type === 'field_identifier' || cur.type === 'type_identifier') return cur;
    cur = child(cur, 'declarator') ?? (cur.type === 'parenthesized_declarator' ? cur.children[0] : undefined);
  }
  return undefined;
}

/** Pointer depth and array-ness of a declarator (char *p[4] -> pointers 1, array true). */
export function declaratorShape(d: Syntax | undefined): { pointers: number; array: boolean; func: boolean } {
  let pointers = 0;
  let array = false;
  let func = false;
  let cur = d;
  while (cur) {
    if (cur.type === 'pointer_declarator' || cur.type === 'abstract_pointer_declarator') pointers++;
    else if (cur.type === 'array_declarator') array = true;
    else if (cur.type === 'function_declarator') func = true;
    cur = child(cur, 'declarator') ?? (cur.type === 'parenthesized_declarator' ? cur.children[0] : undefined);
  }
  return { pointers, array, func };
}

/**
 * Where two texts differ: their common prefix ends at `from`; the changed span is [from, oldEnd) in
 * the old text and [from, newEnd) in the new one.
 */
export function changedSpan(before: string, after: string): { from: number; oldEnd: number; newEnd: number } {
  let from = 0;
  const shorter = Math.min(before.length, after.length);
  while (from < shorter && before.charCodeAt(from) === after.charCodeAt(from)) from++;
  let tail = 0;
  while (tail < shorter - from && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  return { from, oldEnd: before.length - tail, newEnd: after.length - tail };
}
