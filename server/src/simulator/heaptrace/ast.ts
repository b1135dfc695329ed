/**
 * Syntax tree and diagnostics of the .heaptrace language.
 *
 * Positions are zero-based (line, character) pairs as in LSP; every `line` field meant for people
 * (snapshots, events, the CLI) is one-based and says so.
 */
import type { ApiFunction } from '../families';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning';

export type DiagnosticCode =
  | 'syntax'
  | 'unknown-function'
  | 'wrong-form'
  | 'python-version'
  | 'used-before-assignment'
  | 'holds-nothing'
  | 'overwrites-live'
  | 'index-outside-repeat'
  | 'name-and-array'
  | 'too-long';

export interface Diagnostic {
  range: Range;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
}

/** A pointer variable: `a`, `a[i]` (slot = innermost repeat index) or `a[3]`. */
export interface Ref {
  name: string;
  /** null for a plain name, 'i' for the innermost loop index, or a literal slot number. */
  index: null | 'i' | number;
  range: Range;
}

interface StmtBase {
  /** Range of the whole statement. */
  range: Range;
}

export interface AllocStmt extends StmtBase {
  type: 'alloc';
  target: Ref;
  fn: ApiFunction;
  /** calloc only: number of elements. */
  count: number | null;
  size: number;
}

export interface ReallocStmt extends StmtBase {
  type: 'realloc';
  target: Ref;
  fn: ApiFunction;
  /** null for the literal NULL. */
  source: Ref | null;
  size: number;
}

export interface FreeStmt extends StmtBase {
  type: 'free';
  fn: ApiFunction;
  /** null for the literal NULL. */
  arg: Ref | null;
}

export interface RepeatStmt extends StmtBase {
  type: 'repeat';
  count: number;
  body: Stmt[];
}

export interface SnapshotStmt extends StmtBase {
  type: 'snapshot';
  label: string;
}

export type Stmt = AllocStmt | ReallocStmt | FreeStmt | RepeatStmt | SnapshotStmt;

export interface Program {
  /** The version named by a leading `python X.Y` statement, if any. */
  python: { version: string; range: Range } | null;
  body: Stmt[];
  /** Number of lines of the source text (for an implicit end-of-trace position). */
  lineCount: number;
}

export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}
