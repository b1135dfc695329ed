/**
 * The abstract state at one program point on one group of paths.
 *
 * Values are small sorted arrays of target strings:
 *   n null · u unknown · o<id> heap block allocated at site id · p<i> parameter i's incoming value ·
 *   f<loc> what loc held on entry · g<name> a global's value on entry · b<id> borrowed buffer ·
 *   r<id> new object reference · q<id> probable object reference · s<name> stack storage ·
 *   t<name> static storage · l string literal · c<n> integer constant · k<id>/z<id> success tokens
 *   of calls that allocate through out-parameters (truthy / zero means success).
 * Locations are `v:name` for variables and `<target>-><field>`, `<target>->[]`, `<target>->*`,
 * `<loc>.<field>` for memory reached through them.
 */

export const LIVE = 1;
export const FREED = 2;
export const ESCAPED = 4;
export const ABSENT = 8; // the allocation failed on this path
export const MOVED = 16; // realloc'ed into another block
export const UAF_REPORTED = 32;
/** Released through an ambiguous pointer (one of several blocks, or an array slot): not live, but not definitely freed. */
export const MAYFREED = 64;

export interface Status {
  bits: number;
  /** First release on the paths that freed it. */
  freedAt?: number;
  /** For MOVED: the block realloc returned. */
  movedTo?: string;
}

export const GIL_HELD = 1;
export const GIL_RELEASED = 2;

export type Val = readonly string[];

/** Blocks not yet allocated on a path do not exist there; everything else starts out live. */
export function defaultBits(target: string): number {
  return target.charCodeAt(0) === 111 /* o */ ? 0 : LIVE;
}

export class State {
  vars: Map<string, Val>;
  status: Map<string, Status>;
  facts: Map<string, boolean>;
  factDeps: Map<string, readonly string[]>;
  gil: number;
  /** Site of an allocation whose failure branch we are on, until an exception is set. */
  noMem: number;
  /** Return value and return statement, set by `return`. */
  ret: Val | undefined;
  retSite: number;

  constructor(src?: State) {
    if (src) {
      this.vars = new Map(src.vars);
      this.status = new Map(src.status);
      this.facts = new Map(src.facts);
      this.factDeps = new Map(src.factDeps);
      this.gil = src.gil;
      this.noMem = src.noMem;
      this.ret = src.ret;
      this.retSite = src.retSite;
    } else {
      this.vars = new Map();
      this.status = new Map();
      this.facts = new Map();
      this.factDeps = new Map();
      this.gil = GIL_HELD;
      this.noMem = -1;
      this.ret = undefined;
      this.retSite = -1;
    }
  }

  factsKey(): string {
    if (this.facts.size === 0) return '';
    return [...this.facts].map(([k, v]) => (v ? '+' : '-') + k).sort().join('\u0001');
  }

  setBits(target: string, set: number, clear = 0, patch?: Partial<Status>): void {
    const old = this.status.get(target);
    const bits = ((old?.bits ?? defaultBits(target)) & ~clear) | set;
    this.status.set(target, { ...old, ...patch, bits });
  }

  bits(target: string): number {
    return this.status.get(target)?.bits ?? defaultBits(target);
  }
}

export function union(a: Val, b: Val): Val {
  if (a === b || b.length === 0) return a;
  if (a.length === 0) return b;
  let out: string[] | undefined;
  for (const x of b) {
    if (!a.includes(x)) (out ??= [...a]).push(x);
  }
  return out ? out.sort() : a;
}

export function sameVal(a: Val | undefined, b: Val | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Joins `from` into `into` (same facts or facts being dropped). `implicit` gives the value a location
 * has where a state never wrote it. Returns whether `into` changed.
 */
export function joinInto(into: State, from: State, implicit: (loc: string) => Val): boolean {
  let changed = false;
  for (const [k, v] of from.vars) {
    const cur = into.vars.get(k);
    const base = cur ?? implicit(k);
    const next = union(base, v);
    if (!sameVal(cur, next)) {
      into.vars.set(k, next);
      changed = true;
    }
  }
  for (const [k, cur] of into.vars) {
    if (from.vars.has(k)) continue;
    const next = union(cur, implicit(k));
    if (!sameVal(cur, next)) {
      into.vars.set(k, next);
      changed = true;
    }
  }
  for (const [k, s] of from.status) {
    const cur = into.status.get(k);
    const curBits = cur?.bits ?? defaultBits(k);
    const bits = curBits | s.bits;
    const freedAt = cur?.freedAt ?? s.freedAt;
    const movedTo = cur?.movedTo ?? s.movedTo;
    if (!cur || bits !== cur.bits || freedAt !== cur.freedAt || movedTo !== cur.movedTo) {
      into.status.set(k, { bits, freedAt, movedTo });
      changed = true;
    }
  }
  for (const [k, cur] of into.status) {
    if (from.status.has(k)) continue;
    const d = defaultBits(k);
    if ((cur.bits | d) !== cur.bits) {
      into.status.set(k, { ...cur, bits: cur.bits | d });
      changed = true;
    }
  }
  if ((into.gil | from.gil) !== into.gil) {
    into.gil |= from.gil;
    changed = true;
  }
  if (into.noMem < 0 && from.noMem >= 0) {
    into.noMem = from.noMem;
    changed = true;
  }
  if (from.ret) {
    const next = into.ret ? union(into.ret, from.ret) : from.ret;
    if (!sameVal(into.ret, next)) {
      into.ret = next;
      changed = true;
    }
    if (into.retSite < 0) into.retSite = from.retSite;
  }
  // facts: keep only those both sides agree on
  for (const [k, v] of into.facts) {
    if (from.facts.get(k) !== v) {
      into.facts.delete(k);
      into.factDeps.delete(k);
      changed = true;
    }
  }
  return changed;
}
