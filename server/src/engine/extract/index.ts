/**
 * Heap traces from C for the Heap View: extraction of the function under the cursor, conversion to
 * the simulator's trace program, and the recorded simulation the view steps through.
 * Pure: text in, data out; initParser() must have completed before extraction.
 */
export {
  extractTrace,
  extractTraceOf,
  extractFunction,
  parseForExtraction,
  functionAt,
  allocatingFunctions,
  countOps,
  gcHeaderSize,
  parseNumber,
  DEFAULT_UNKNOWN_SIZE,
  type ExtractOptions,
  type ParsedC,
} from './extract';
export { toProgram, toHeaptraceText } from './program';
export {
  recordSimulation,
  DEFAULT_MAX_RECORDED_OPS,
  REC_BLOCK_ALLOC,
  REC_BLOCK_FREE,
  REC_ARENA_NEW,
  REC_ARENA_FREE,
  REC_C_HEAP,
  REC_RAW_COUNT,
  type HeapRecording,
  type RecordedSnapshot,
  type RecordOptions,
} from './recording';
export { TypeTable, sizeOf, alignOf, type CType } from './ctypes';
export type * from './types';
