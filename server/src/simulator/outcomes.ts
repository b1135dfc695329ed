/**
 * What a misused release does, under the debug hooks (PYTHONMALLOC=debug) and in a release build.
 * Wording and behaviour follow shared/allocator-facts.md §6 (observed) and §8 (debug hooks).
 */
import type { PymallocGeometry } from '../../../allocator-model/src/geometry';
import { DEBUG_API_ID, FAMILY_NAMES, LIBC, RAW, apiName, usesPymalloc, type Family } from './families';

export type EventKind = 'family-mismatch' | 'double-free' | 'unknown-pointer';

/**
 * performed: the release build does what the call asked (possibly with a side effect such as a
 *            wrong sys.getallocatedblocks() count) and the simulator applies it;
 * crash:     the release build aborts or faults here; the simulator leaves the heap as it was;
 * skipped:   the release build corrupts allocator state silently; the simulator does not model the
 *            corruption and leaves the heap as it was.
 */
export type ReleaseEffect = 'performed' | 'crash' | 'skipped';

export interface Verdict {
  kind: EventKind;
  /** What PYTHONMALLOC=debug (or a debug build) does: the fatal error text where there is one. */
  debug: string;
  /** What a release build with the default allocators does. */
  release: string;
  effect: ReleaseEffect;
}

export type ReleaseOp = 'free' | 'realloc';

function checkingFunction(op: ReleaseOp): string {
  return op === 'free' ? '_PyMem_DebugRawFree' : '_PyMem_DebugRawRealloc';
}

/** The fatal error the debug hooks print when the API id byte does not match the releasing domain. */
export function badIdMessage(g: PymallocGeometry, op: ReleaseOp, allocatedWith: string, verifiedWith: string): string {
  const prefix = g.debugBadIdPrefix === 'function' ? `${checkingFunction(op)}: ` : '';
  return `Fatal Python error: ${prefix}bad ID: Allocated using API '${allocatedWith}', verified using API '${verifiedWith}'`;
}

function glibcInvalid(op: ReleaseOp): string {
  return op === 'free' ? 'free(): invalid pointer' : 'realloc(): invalid pointer';
}

/**
 * Verdict for releasing (free or realloc) a live block with a function of another family, or
 * undefined when the families match.
 */
export function mismatchVerdict(
  g: PymallocGeometry,
  op: ReleaseOp,
  allocFamily: Family,
  callFamily: Family,
  inPool: boolean,
): Verdict | undefined {
  if (allocFamily === callFamily) return undefined;
  const call = apiName(callFamily, op);
  const allocLetter = DEBUG_API_ID[allocFamily];
  const callLetter = DEBUG_API_ID[callFamily];
  const headerBytes = (g.bits / 8) * 2;

  let debug: string;
  if (allocLetter && callLetter) {
    debug = badIdMessage(g, op, allocLetter, callLetter);
  } else if (!allocLetter) {
    debug =
      `crash: ${call} looks for a debug header that malloc() never wrote in front of the block ` +
      `(segmentation fault while dumping it, or "bad ID" with a garbage API byte such as '!')`;
  } else {
    debug =
      `crash: ${call}() receives a pointer ${headerBytes} bytes past the start of the debug-hook allocation: ` +
      `glibc aborts ("${glibcInvalid(op)}" or "munmap_chunk(): invalid pointer") or the process faults`;
  }

  const allocPy = usesPymalloc(allocFamily);
  const callPy = usesPymalloc(callFamily);
  let release: string;
  let effect: ReleaseEffect = 'performed';
  if (allocPy && callPy) {
    release = `silent: ${FAMILY_NAMES[allocFamily]} and ${FAMILY_NAMES[callFamily]} share pymalloc in a release build, so the block is released normally`;
  } else if (allocPy && inPool) {
    release =
      `glibc abort "${glibcInvalid(op)}": the block lies inside a pymalloc pool ` +
      `(requests of 1-${g.smallRequestThreshold} bytes), which malloc() never handed out`;
    effect = 'crash';
  } else if (allocPy) {
    release =
      `silent: requests of 0 or more than ${g.smallRequestThreshold} bytes are served by malloc(), so ${call}() accepts it; ` +
      (op === 'free'
        ? 'sys.getallocatedblocks() goes on counting the block'
        : 'the block stays on the C heap and sys.getallocatedblocks() goes on counting it');
  } else if (callPy) {
    release =
      op === 'free'
        ? `silent: pymalloc does not own the address and forwards it to PyMem_RawFree (free()); ` +
          `sys.getallocatedblocks() drops by one although the block was never counted`
        : `silent: pymalloc does not own the address and forwards it to PyMem_RawRealloc (realloc()); ` +
          `the block stays on the C heap whatever its new size`;
  } else {
    release = `silent: the raw domain is malloc() in a release build`;
  }
  return { kind: 'family-mismatch', debug, release, effect };
}

/** Verdict for releasing a block that was already released. */
export function doubleFreeVerdict(callFamily: Family, inPool: boolean, op: ReleaseOp): Verdict {
  const call = apiName(callFamily, op);
  const debug =
    callFamily === LIBC
      ? `not seen by the debug hooks (libc memory): glibc usually aborts with "free(): double free detected in tcache 2"`
      : `crash: the first release filled the block and its debug header with DEADBYTE 0xDD, so ${call} ` +
        `finds API byte 0xDD and the process dies while reporting the bad block`;
  let release: string;
  let effect: ReleaseEffect;
  if (inPool && (callFamily === LIBC || callFamily === RAW)) {
    release = `glibc abort "${glibcInvalid(op)}": the address lies inside a pymalloc pool`;
    effect = 'crash';
  } else if (inPool) {
    release =
      'silent corruption: the block goes onto its pool\'s free list a second time, so two later allocations ' +
      'can return the same address (not simulated: the heap is left as it was)';
    effect = 'skipped';
  } else {
    release = `glibc usually aborts: "free(): double free detected in tcache 2" (undefined behaviour)`;
    effect = 'crash';
  }
  return { kind: 'double-free', debug, release, effect };
}

/** Verdict for releasing an address that no allocator handed out (or whose arena is gone). */
export function unknownPointerVerdict(callFamily: Family, op: ReleaseOp): Verdict {
  const call = apiName(callFamily, op);
  const debug = `crash: ${call} reads a debug header in front of an address no allocator handed out (segmentation fault or "bad ID")`;
  const release = usesPymalloc(callFamily)
    ? `pymalloc does not own the address and forwards it to ${op === 'free' ? 'free()' : 'realloc()'}: glibc aborts ("${glibcInvalid(op)}") or its heap is corrupted`
    : `glibc aborts ("${glibcInvalid(op)}") or its heap is corrupted`;
  return { kind: 'unknown-pointer', debug, release, effect: 'crash' };
}
