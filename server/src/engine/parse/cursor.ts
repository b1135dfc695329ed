/**
 * Walking a tree-sitter tree node by node, as the conversion to Syntax does. web-tree-sitter's
 * TreeCursor keeps its four words in JavaScript and copies them into the WASM module's transfer buffer
 * before every call, and back after every move, with generic setValue/getValue calls; the conversion
 * makes several calls per node, and those copies were most of its time. The WASM side reads the cursor
 * from that buffer and writes it back after a move, so between calls the buffer already holds it:
 * the fast walker leaves it there and calls the module directly.
 *
 * That holds only while nothing else uses the buffer: every web-tree-sitter call on a Node does, so the
 * one such call a walk needs (whether the current node has an error) copies the cursor out and back.
 * Without the module's functions (another web-tree-sitter build) the TreeCursor is used as it is.
 */
import type { Tree, TreeCursor } from 'web-tree-sitter';

export interface Walker {
  readonly nodeType: string;
  readonly nodeTypeId: number;
  readonly startIndex: number;
  readonly endIndex: number;
  readonly currentFieldId: number;
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  /** The current node, or something below it, is an ERROR or MISSING node. */
  currentHasError(): boolean;
  delete(): void;
}

/** The parts of the Emscripten module web-tree-sitter runs on that the fast walker calls. */
interface CursorExports {
  HEAP32: Int32Array;
  _ts_init(): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
}

const NEEDED: (keyof CursorExports)[] = [
  '_ts_init', '_ts_tree_cursor_goto_first_child_wasm', '_ts_tree_cursor_goto_next_sibling_wasm', '_ts_tree_cursor_goto_parent_wasm',
  '_ts_tree_cursor_current_node_type_id_wasm', '_ts_tree_cursor_start_index_wasm', '_ts_tree_cursor_end_index_wasm', '_ts_tree_cursor_current_field_id_wasm',
];

let wasm: CursorExports | undefined;
/** The transfer buffer, in 32-bit words. */
let buffer = 0;

/**
 * Hands over the module object web-tree-sitter filled in at Parser.init (the options object passed to
 * it). Returns whether the fast walker will be used.
 */
export function bindCursorModule(module: object): boolean {
  const m = module as Partial<CursorExports>;
  if (!NEEDED.every(k => typeof m[k] === 'function') || !(m.HEAP32 instanceof Int32Array)) return false;
  wasm = m as CursorExports;
  // the address of the module's static transfer buffer (ts_init only fills in the version numbers)
  buffer = wasm._ts_init() >> 2;
  return true;
}

let fast = true;

/** Turns the fast walker off (or on again, if the module was bound): the tests compare the two. */
export function useFastWalker(on: boolean): boolean {
  fast = on;
  return on && !!wasm;
}

/** A walker over `tree` from its root. */
export function walkTree(tree: Tree): Walker {
  const cursor = tree.walk();
  return wasm && fast ? new FastWalker(cursor, (tree as unknown as { 0: number })[0], wasm) : new PlainWalker(cursor);
}

type Words = { 0: number; 1: number; 2: number; 3: number };

class FastWalker implements Walker {
  constructor(private readonly cursor: TreeCursor, private readonly tree: number, private readonly m: CursorExports) {
    this.load();
  }

  /** The cursor's words into the transfer buffer. */
  private load(): void {
    const heap = this.m.HEAP32; // read each time: a grown memory has a new view
    const c = this.cursor as unknown as Words;
    heap[buffer] = c[0];
    heap[buffer + 1] = c[1];
    heap[buffer + 2] = c[2];
    heap[buffer + 3] = c[3];
  }

  /** The transfer buffer's words back into the cursor, so that web-tree-sitter may use it. */
  private save(): void {
    const heap = this.m.HEAP32;
    const c = this.cursor as unknown as Words;
    c[0] = heap[buffer];
    c[1] = heap[buffer + 1];
    c[2] = heap[buffer + 2];
    c[3] = heap[buffer + 3];
  }

  get nodeType(): string {
    this.save();
    const type = this.cursor.nodeType;
    this.load();
    return type;
  }

  get nodeTypeId(): number {
    return this.m._ts_tree_cursor_current_node_type_id_wasm(this.tree);
  }

  get startIndex(): number {
    return this.m._ts_tree_cursor_start_index_wasm(this.tree);
  }

  get endIndex(): number {
    return this.m._ts_tree_cursor_end_index_wasm(this.tree);
  }

  get currentFieldId(): number {
    return this.m._ts_tree_cursor_current_field_id_wasm(this.tree);
  }

  gotoFirstChild(): boolean {
    return this.m._ts_tree_cursor_goto_first_child_wasm(this.tree) === 1;
  }

  gotoNextSibling(): boolean {
    return this.m._ts_tree_cursor_goto_next_sibling_wasm(this.tree) === 1;
  }

  gotoParent(): boolean {
    return this.m._ts_tree_cursor_goto_parent_wasm(this.tree) === 1;
  }

  currentHasError(): boolean {
    this.save();
    const broken = this.cursor.currentNode.hasError;
    this.load();
    return broken;
  }

  delete(): void {
    this.save();
    this.cursor.delete();
  }
}

class PlainWalker implements Walker {
  constructor(private readonly cursor: TreeCursor) {}
  get nodeType(): string {
    return this.cursor.nodeType;
  }
  get nodeTypeId(): number {
    return this.cursor.nodeTypeId;
  }
  get startIndex(): number {
    return this.cursor.startIndex;
  }
  get endIndex(): number {
    return this.cursor.endIndex;
  }
  get currentFieldId(): number {
    return this.cursor.currentFieldId;
  }
  gotoFirstChild(): boolean {
    return this.cursor.gotoFirstChild();
  }
  gotoNextSibling(): boolean {
    return this.cursor.gotoNextSibling();
  }
  gotoParent(): boolean {
    return this.cursor.gotoParent();
  }
  currentHasError(): boolean {
    return this.cursor.currentNode.hasError;
  }
  delete(): void {
    this.cursor.delete();
  }
}
