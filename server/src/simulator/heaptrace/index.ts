/** The .heaptrace language: parser, name-flow diagnostics and replay through the simulator. */
export type { Diagnostic, DiagnosticCode, Program, Range, Position, Ref, Stmt, ParseResult, Severity } from './ast';
export { tokenize, type Token, type TokenType } from './lexer';
export { parseHeaptrace } from './parser';
export { executeTrace, CountingHeap, type CallInfo, type ExecutedOp, type TraceHeap } from './execute';
export {
  replayProgram,
  heapStateAfterLine,
  checkHeaptrace,
  resolveGeometry,
  TraceVersionError,
  type ReplayOptions,
  type ReplayResult,
  type TraceEvent,
  type TraceSnapshot,
  type LineState,
} from './replay';
