/** What callers need to know about a function, computed bottom-up over the call graph. */

export interface AllocFact {
  family: string;
  /** The underlying allocator, e.g. "PyMem_Malloc". */
  api: string;
  /** Wrapper chain from the outermost function to the allocator. */
  via: string[];
  setsException: boolean;
  /** typed: a Python object from PyObject_New & co. */
  typed?: boolean;
  /** The callee also keeps the block (in a list, a field, a global): the caller does not own it alone. */
  retained?: boolean;
}

export type ReturnFact =
  | { kind: 'alloc'; alloc: AllocFact }
  | { kind: 'param'; index: number }
  | { kind: 'borrowed'; api: string }
  | { kind: 'newref'; api: string }
  | { kind: 'null' }
  /** An integer constant other than 0 (`return -1;`), as the analysis spells it (`c-1`). */
  | { kind: 'const'; value: string }
  /** Anything the analysis does not track (a computed int, an unknown pointer). */
  | { kind: 'other' }
  /** A pointer to static storage or a literal (a helper returning its own buffer). */
  | { kind: 'nonheap'; desc: string };

export interface ReleaseFact {
  param: number;
  /** '' for the parameter itself, else a path such as '->buf' or '->items->[]'. */
  path: string;
  family: string;
  api: string;
  via: string[];
  /** Released on every path that returns: callers may conclude the block is gone. */
  always?: boolean;
  /** Released only where it differs from this other parameter (`if (objv != objStore) free(objv)`). */
  unlessSame?: number;
}

export interface Summary {
  name: string;
  returns: ReturnFact[];
  releases: ReleaseFact[];
  /** *param = fresh block (out-parameter allocation). */
  /** success: how the result tells the block was written — 0, a true value, or any non-negative value (a count). */
  outAllocs: { param: number; alloc: AllocFact; success?: 'zero' | 'truthy' | 'nonneg' }[];
  /** By-name macro parameters assigned NULL or a fresh block. */
  paramAssigns: { param: number; value: 'null' | AllocFact }[];
  /** Parameters whose block a realloc takes over (`return PyMem_Realloc(p, n)`): gone where the result is not NULL. */
  resizes?: { param: number; api: string; family: string; via: string[] }[];
  /** By-name macro parameters assigned a realloc of themselves (`(p) = PyMem_Realloc((p), n)`). */
  selfReallocs?: { param: number; api: string; family: string }[];
  escapes: Set<number>;
  /**
   * `*param` says which kind of pointer came back: non-zero on every path that returns a fresh block,
   * zero on every path that returns static storage (`p = name(&owned); … if (owned) free(p);`).
   */
  ownedFlag?: { param: number };
  requiresGil?: { api: string; via: string[] };
  setsException: boolean;
  /** The function is a local macro: what it does happens where it is invoked. */
  macro?: boolean;
  /** The analysis ran out of budget or met unreliable syntax: callers treat it as unknown. */
  unknown?: boolean;
}

export function emptySummary(name: string): Summary {
  return { name, returns: [], releases: [], outAllocs: [], paramAssigns: [], escapes: new Set(), setsException: false };
}
