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
/** Checked (or known by a success result) not to be NULL on this path. */
export const NONNULL = 128;

export interface Status {
  bits: number;
  /** First release on the paths that freed it. */
  freedAt?: number;
  /** For MOVED: the block realloc returned. */
  movedTo?: string;
}

/** `State.noMem` when no allocation failure is pending and no exception is known to be set. */
export const NO_FAILURE = -1;
/** `State.noMem` once an exception is set on the path: later NULL tests do not re-arm a failure. */
export const EXCEPTION_SET = -2;

export const GIL_HELD = 1;
export const GIL_RELEASED = 2;

export type Val = readonly string[];

/** Blocks not yet allocated on a path do not exist there; everything else starts out live. */
export function defaultBits(target: string): number {
  return target.charCodeAt(0) === 111 /* o */ ? 0 : LIVE;
}

/**
 * A map that counts its writes: states share maps until one writes (copy on write), and a map that is
 * written in place by its owner invalidates whatever was derived from it by its count.
 */
export class CountingMap<K, V> extends Map<K, V> {
  writes = 0;
  /**
   * An order-independent hash of the entries (the XOR of their hashes, two independent 32-bit halves),
   * kept by State's setters so that comparing what two states hold costs nothing.
   */
  hashA = 0;
  hashB = 0;
  constructor(src?: CountingMap<K, V>) {
    super(src);
    if (src) {
      this.hashA = src.hashA;
      this.hashB = src.hashB;
    }
  }
}

/** FNV-1a over the text from a seed, finished with murmur3's mixer (so XOR-combined hashes stay independent). */
function hash32(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function toggle(map: CountingMap<unknown, unknown>, entry: string): void {
  map.hashA ^= hash32(entry, 0x811c9dc5);
  map.hashB ^= hash32(entry, 0x050c5d1f);
}

/** A map's entry hash as one exact integer (53 bits: equal maps give equal numbers; others collide with odds of 2^-53). */
export function mapHash(map: { readonly hashA: number; readonly hashB: number }): number {
  return (map.hashA >>> 0) * 2_097_152 + ((map.hashB >>> 0) >>> 11);
}

/** The hash mapHash would give a map holding exactly these entries (facts spelled `+key` / `-key`). */
export function entriesHash(entries: Iterable<string>): number {
  let a = 0;
  let b = 0;
  for (const e of entries) {
    a ^= hash32(e, 0x811c9dc5);
    b ^= hash32(e, 0x050c5d1f);
  }
  return (a >>> 0) * 2_097_152 + ((b >>> 0) >>> 11);
}

const varEntry = (loc: string, v: Val) => `${loc}=${v.join(',')}`;
const statusEntry = (target: string, s: Status) => `${target}#${s.bits & ~NONNULL}`;

/** What a state's maps show of their bookkeeping: the write count and the entry hash. */
export interface Counted {
  readonly writes: number;
  readonly hashA: number;
  readonly hashB: number;
}

export class State {
  // copy-on-write: a copied state shares its parent's maps until it first writes to them
  private _vars: CountingMap<string, Val>;
  private _status: CountingMap<string, Status>;
  private _facts: CountingMap<string, boolean>;
  private _factDeps: Map<string, readonly string[]>;
  private owned = 0; // bit 1 vars, 2 status, 4 facts
  private key: string | undefined;
  /** Bumped by every change of vars, status or facts: derived keys are cached per version. */
  version = 0;
  gil: number;
  /** Site of an allocation whose failure branch we are on, until an exception is set; else NO_FAILURE or EXCEPTION_SET. */
  noMem: number;
  /** Return value and return statement, set by `return`. */
  ret: Val | undefined;
  retSite: number;

  constructor(src?: State) {
    if (src) {
      this._vars = src._vars;
      this._status = src._status;
      this._facts = src._facts;
      this._factDeps = src._factDeps;
      this.key = src.key;
      this.gil = src.gil;
      this.noMem = src.noMem;
      this.ret = src.ret;
      this.retSite = src.retSite;
      src.owned = 0; // both share the maps now: whichever writes first copies them
    } else {
      this._vars = new CountingMap();
      this._status = new CountingMap();
      this._facts = new CountingMap();
      this._factDeps = new Map();
      this.owned = 7;
      this.gil = GIL_HELD;
      this.noMem = NO_FAILURE;
      this.ret = undefined;
      this.retSite = -1;
    }
  }

  get vars(): ReadonlyMap<string, Val> & Counted {
    return this._vars;
  }

  get status(): ReadonlyMap<string, Status> & Counted {
    return this._status;
  }

  get facts(): ReadonlyMap<string, boolean> & Counted {
    return this._facts;
  }

  get factDeps(): ReadonlyMap<string, readonly string[]> {
    return this._factDeps;
  }

  setVar(loc: string, v: Val): void {
    if (!(this.owned & 1)) {
      this._vars = new CountingMap(this._vars);
      this.owned |= 1;
    }
    const old = this._vars.get(loc);
    if (old) toggle(this._vars, varEntry(loc, old));
    toggle(this._vars, varEntry(loc, v));
    this._vars.set(loc, v);
    this._vars.writes++;
    this.version++;
  }

  setStatus(target: string, s: Status): void {
    if (!(this.owned & 2)) {
      this._status = new CountingMap(this._status);
      this.owned |= 2;
    }
    const old = this._status.get(target);
    if (old) toggle(this._status, statusEntry(target, old));
    toggle(this._status, statusEntry(target, s));
    this._status.set(target, s);
    this._status.writes++;
    this.version++;
  }

  private ownFacts(): void {
    if (!(this.owned & 4)) {
      this._facts = new CountingMap(this._facts);
      this._factDeps = new Map(this._factDeps);
      this.owned |= 4;
    }
    this.key = undefined;
    this.version++;
  }

  setFact(key: string, value: boolean, deps: readonly string[]): void {
    this.ownFacts();
    const old = this._facts.get(key);
    if (old !== undefined) toggle(this._facts, (old ? '+' : '-') + key);
    toggle(this._facts, (value ? '+' : '-') + key);
    this._facts.set(key, value);
    this._facts.writes++;
    this._factDeps.set(key, deps);
  }

  deleteFact(key: string): void {
    this.ownFacts();
    const old = this._facts.get(key);
    if (old === undefined) return;
    toggle(this._facts, (old ? '+' : '-') + key);
    this._facts.delete(key);
    this._facts.writes++;
    this._factDeps.delete(key);
  }

  factsKey(): string {
    if (this.key === undefined) {
      this.key = this._facts.size === 0 ? '' : [...this._facts].map(([k, v]) => (v ? '+' : '-') + k).sort().join('\u0001');
    }
    return this.key;
  }

  setBits(target: string, set: number, clear = 0, patch?: Partial<Status>): void {
    const old = this._status.get(target);
    const bits = ((old?.bits ?? defaultBits(target)) & ~clear) | set;
    this.setStatus(target, { ...old, ...patch, bits });
  }

  bits(target: string): number {
    return this._status.get(target)?.bits ?? defaultBits(target);
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
  const sameVars = into.vars === from.vars;
  const sameStatus = into.status === from.status;
  if (!sameVars) changed = joinVars(into, from, implicit) || changed;
  if (!sameStatus) changed = joinStatus(into, from) || changed;
  return joinRest(into, from) || changed;
}

function joinVars(into: State, from: State, implicit: (loc: string) => Val): boolean {
  let changed = false;
  for (const [k, v] of from.vars) {
    const cur = into.vars.get(k);
    const base = cur ?? implicit(k);
    const next = union(base, v);
    if (!sameVal(cur, next)) {
      into.setVar(k, next);
      changed = true;
    }
  }
  for (const [k, cur] of into.vars) {
    if (from.vars.has(k)) continue;
    const next = union(cur, implicit(k));
    if (!sameVal(cur, next)) {
      into.setVar(k, next);
      changed = true;
    }
  }
  return changed;
}

function joinStatus(into: State, from: State): boolean {
  let changed = false;
  for (const [k, s] of from.status) {
    const cur = into.status.get(k);
    const curBits = cur?.bits ?? defaultBits(k);
    // NONNULL must hold on every path; everything else may hold on some path
    const bits = ((curBits | s.bits) & ~NONNULL) | (curBits & s.bits & NONNULL);
    const freedAt = cur?.freedAt ?? s.freedAt;
    const movedTo = cur?.movedTo ?? s.movedTo;
    if (!cur || bits !== cur.bits || freedAt !== cur.freedAt || movedTo !== cur.movedTo) {
      into.setStatus(k, { bits, freedAt, movedTo });
      changed = true;
    }
  }
  for (const [k, cur] of into.status) {
    if (from.status.has(k)) continue;
    const d = defaultBits(k);
    const next = (cur.bits | d) & ~NONNULL;
    if (next !== cur.bits) {
      into.setStatus(k, { ...cur, bits: next });
      changed = true;
    }
  }
  return changed;
}

function joinRest(into: State, from: State): boolean {
  let changed = false;
  if ((into.gil | from.gil) !== into.gil) {
    into.gil |= from.gil;
    changed = true;
  }
  // a pending failure wins; "exception set" survives only where both sides set one
  if (into.noMem < 0 && from.noMem >= 0) {
    into.noMem = from.noMem;
    changed = true;
  } else if (into.noMem === EXCEPTION_SET && from.noMem === NO_FAILURE) {
    into.noMem = NO_FAILURE;
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
  for (const [k, v] of [...into.facts]) {
    if (from.facts.get(k) !== v) {
      into.deleteFact(k);
      changed = true;
    }
  }
  return changed;
}
