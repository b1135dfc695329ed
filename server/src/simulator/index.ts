/** The pymalloc simulator: pure computation, no I/O, no editor dependencies. */
export { HeapSimulator, type HeapEvent, type BlockInfo, type SimulatorOptions } from './heap';
export { collectStats, formatStats, printone, type HeapStats, type ClassStats } from './stats';
export { LIBC, RAW, MEM, OBJECT, FAMILY_NAMES, apiFunction, apiFunctions, apiName, type Family, type ApiFunction, type ApiKind } from './families';
export { badIdMessage, type EventKind, type ReleaseEffect } from './outcomes';
