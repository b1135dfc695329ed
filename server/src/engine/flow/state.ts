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
import type { FlowEvent } from './events';

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
 * A copy of a map. `new Map(map)` goes through the iterator protocol, an object and an entry array per
 * entry: copies of states' maps made a quarter of all the analysis allocated.
 */
function copyOf<K, V>(map: ReadonlyMap<K, V>): Map<K, V> {
  const out = new Map<K, V>();
  map.forEach((v, k) => out.set(k, v));
  return out;
}

/**
 * A map that counts its writes: states share maps until one writes (copy on write), and a map that is
 * written in place by its owner invalidates whatever was derived from it by its count.
 */
/**
 * A value derived from a map, cached on the map itself (cheaper than WeakMaps keyed by it, to look up
 * and for the garbage collector): valid while the map's write count, and what it was derived for, are unchanged.
 */
export interface Memo<T> {
  writes: number;
  tag: unknown;
  value: T;
}

/**
 * A state's facts: a map that counts its writes and keeps an order-independent hash of its entries
 * (the XOR of their hashes, two independent 32-bit halves), since facts are keyed on every branch.
 */
export class CountingMap<K, V> extends Map<K, V> {
  writes = 0;
  hashA = 0;
  hashB = 0;
  /** The analysis's key for these facts (at a loop head) and their stable prefixes; see Memo. Not copied. */
  keyMemo: Memo<number> | undefined;
  prefixMemo: Memo<readonly number[]> | undefined;
  constructor(src?: CountingMap<K, V>) {
    super();
    if (src) {
      src.forEach((v, k) => this.set(k, v));
      this.hashA = src.hashA;
      this.hashB = src.hashB;
    }
  }
}

/**
 * A map for the big, often-copied parts of a state (values, block states): a shared base that is never
 * written once shared, plus this map's own writes on top. Copying costs the top only; when the top
 * grows to a quarter of the base, a copy first folds the two into a new shared base.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  writes = 0;
  /** The analysis's part of a path key and the hash of the entries; see Memo. Not copied. */
  keyMemo: Memo<number> | undefined;
  hashMemo: Memo<number> | undefined;
  private base: Map<K, V>;
  private top: Map<K, V>;
  /** Keys of the top that are not in the base. */
  private added = 0;

  constructor(src?: LayeredMap<K, V>) {
    if (!src) {
      this.base = new Map();
      this.top = new Map();
      return;
    }
    if (src.top.size > 8 && src.top.size * 4 > src.base.size) src.fold();
    this.base = src.base;
    this.top = copyOf(src.top);
    this.added = src.added;
  }

  /** The same content, with the top folded into a new base (shared by whoever copies this map next). */
  private fold(): void {
    const flat = copyOf(this.base);
    this.top.forEach((v, k) => flat.set(k, v));
    this.base = flat;
    this.top = new Map();
    this.added = 0;
  }

  get size(): number {
    return this.base.size + this.added;
  }

  get(key: K): V | undefined {
    const v = this.top.get(key);
    return v !== undefined ? v : this.base.get(key);
  }

  has(key: K): boolean {
    return this.top.has(key) || this.base.has(key);
  }

  set(key: K, value: V): this {
    if (!this.top.has(key) && !this.base.has(key)) this.added++;
    this.top.set(key, value);
    return this;
  }

  /**
   * The entries in iteration order, without the iterator protocol's garbage (a result object and an
   * entry array per step made half of all the analysis allocated): the hot loops use this.
   */
  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void): void {
    const { base, top } = this;
    if (top.size === 0) {
      base.forEach((v, k) => fn(v, k, this));
      return;
    }
    base.forEach((v, k) => {
      const t = top.get(k);
      fn(t !== undefined ? t : v, k, this);
    });
    top.forEach((v, k) => {
      if (!base.has(k)) fn(v, k, this);
    });
  }

  /** Whether some entry satisfies `test` (forEach's order; no more calls once one does). */
  some(test: (value: V, key: K) => boolean): boolean {
    let found = false;
    this.forEach((v, k) => {
      if (!found && test(v, k)) found = true;
    });
    return found;
  }

  *keys(): MapIterator<K> {
    for (const [k] of this) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this) yield v;
  }

  entries(): MapIterator<[K, V]> {
    return this[Symbol.iterator]();
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return new LayeredIterator(this.base, this.top);
  }

  /** Both maps stand on the same base: they can differ only in the keys of their tops. */
  sharesBase(other: LayeredMap<K, V>): boolean {
    return this.base === other.base;
  }

  /** The keys written since the base (with their values). */
  own(): ReadonlyMap<K, V> {
    return this.top;
  }

  /** XOR-combined entry hashes: the base's computed once per base, then the top's writes over it. */
  entryHash(entry: (k: K, v: V) => number, baseHashes: WeakMap<object, number>): number {
    let h = baseHashes.get(this.base);
    if (h === undefined) {
      let x = 0;
      this.base.forEach((v, k) => {
        x ^= entry(k, v);
      });
      baseHashes.set(this.base, x);
      h = x;
    }
    let out = h;
    const base = this.base;
    this.top.forEach((v, k) => {
      const under = base.get(k);
      if (under !== undefined) out ^= entry(k, under);
      out ^= entry(k, v);
    });
    return out;
  }
}

/** The base's entries (with the top's values where it overrides them) in order, then the top's new keys. */
class LayeredIterator<K, V> implements MapIterator<[K, V]> {
  private readonly baseIt: MapIterator<[K, V]>;
  private topIt: MapIterator<[K, V]> | undefined;
  constructor(private readonly base: Map<K, V>, private readonly top: Map<K, V>) {
    this.baseIt = base.entries();
  }
  next(): IteratorResult<[K, V], undefined> {
    if (!this.topIt) {
      const r = this.baseIt.next();
      if (!r.done) {
        const t = this.top.size ? this.top.get(r.value[0]) : undefined;
        if (t !== undefined) r.value[1] = t;
        return r;
      }
      this.topIt = this.top.entries();
    }
    for (;;) {
      const r = this.topIt.next();
      if (r.done || !this.base.has(r.value[0])) return r;
    }
  }
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this;
  }
}

const SEED_A = 0x811c9dc5;
const SEED_B = 0x050c5d1f;

/** FNV-1a steps over a string's characters. */
function fold(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** murmur3's finaliser: XOR-combined hashes of similar entries stay independent. */
function finish(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A string's hash from a seed (one half of a two-seed hash). */
export const textHash = (seed: number, text: string) => finish(fold(seed, text));
export { SEED_A, SEED_B, combine as combineHalves };

const factHash = (seed: number, key: string, value: boolean) => finish(fold(Math.imul(seed ^ (value ? 43 : 45), 0x01000193), key));
export const varHash = (seed: number, loc: string, v: Val) => {
  let h = Math.imul(fold(seed, loc) ^ 61, 0x01000193);
  for (const t of v) h = Math.imul(fold(h, t) ^ 44, 0x01000193);
  return finish(h);
};
const statusEntryHash = (seed: number, target: string, s: Status) => finish(Math.imul(fold(seed, target) ^ (s.bits & ~NONNULL), 0x01000193));

/** The two halves as one exact integer (53 bits: equal sets give equal numbers; others collide with odds of 2^-53). */
function combine(a: number, b: number): number {
  return (a >>> 0) * 2_097_152 + ((b >>> 0) >>> 11);
}

/** A hash of a state's facts, kept as they are set (equal fact sets, equal numbers). */
export function factsHash(facts: { readonly hashA: number; readonly hashB: number }): number {
  return combine(facts.hashA, facts.hashB);
}

/** The hash factsHash would give a state holding exactly these facts. */
export function factsHashOf(facts: Iterable<readonly [string, boolean]>): number {
  let a = 0;
  let b = 0;
  for (const [k, v] of facts) {
    a ^= factHash(SEED_A, k, v);
    b ^= factHash(SEED_B, k, v);
  }
  return combine(a, b);
}

/** A hash of a state's values (equal maps, equal numbers). */
export function varsHash(vars: LayeredMap<string, Val>): number {
  return combine(vars.entryHash(varHashA, varBases[0]), vars.entryHash(varHashB, varBases[1]));
}
// the hash of each base, per seed (a base is shared by many maps and never changes)
const varBases = [new WeakMap<object, number>(), new WeakMap<object, number>()];
const statusBases = [new WeakMap<object, number>(), new WeakMap<object, number>()];
const varHashA = (k: string, v: Val) => varHash(SEED_A, k, v);
const varHashB = (k: string, v: Val) => varHash(SEED_B, k, v);
const statusHashA = (k: string, s: Status) => statusEntryHash(SEED_A, k, s);
const statusHashB = (k: string, s: Status) => statusEntryHash(SEED_B, k, s);

/** A hash of the states of a state's blocks, NONNULL aside. */
export function statusHash(status: LayeredMap<string, Status>): number {
  return combine(status.entryHash(statusHashA, statusBases[0]), status.entryHash(statusHashB, statusBases[1]));
}

export class State {
  // copy-on-write: a copied state shares its parent's maps until it first writes to them
  private _vars: LayeredMap<string, Val>;
  private _status: LayeredMap<string, Status>;
  private _facts: CountingMap<string, boolean>;
  private _factDeps: Map<string, readonly string[]>;
  private owned = 0; // bit 1 vars, 2 status, 4 facts
  private key: string | undefined;
  /** Bumped by every change of vars, status or facts: derived keys are cached per version. */
  version = 0;
  /** The analysis's path key for this state at a node, while its version is unchanged (not copied). */
  keyNode = -1;
  keyVersion = -1;
  keyId = 0;
  /** The version this state had when the analysis last transferred it (not copied). */
  doneVersion = -1;
  /** What that transfer reported (not copied): the reporting pass replays it instead of transferring again. */
  recorded: FlowEvent[] | undefined;
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
      this._vars = new LayeredMap();
      this._status = new LayeredMap();
      this._facts = new CountingMap();
      this._factDeps = new Map();
      this.owned = 7;
      this.gil = GIL_HELD;
      this.noMem = NO_FAILURE;
      this.ret = undefined;
      this.retSite = -1;
    }
  }

  get vars(): LayeredMap<string, Val> {
    return this._vars;
  }

  get status(): LayeredMap<string, Status> {
    return this._status;
  }

  get facts(): ReadonlyMap<string, boolean> & Pick<CountingMap<string, boolean>, 'writes' | 'hashA' | 'hashB' | 'keyMemo' | 'prefixMemo'> {
    return this._facts;
  }

  get factDeps(): ReadonlyMap<string, readonly string[]> {
    return this._factDeps;
  }

  setVar(loc: string, v: Val): void {
    if (!(this.owned & 1)) {
      this._vars = new LayeredMap(this._vars);
      this.owned |= 1;
    }
    this._vars.set(loc, v);
    this._vars.writes++;
    this.version++;
  }

  setStatus(target: string, s: Status): void {
    if (!(this.owned & 2)) {
      this._status = new LayeredMap(this._status);
      this.owned |= 2;
    }
    this._status.set(target, s);
    this._status.writes++;
    this.version++;
  }

  private ownFacts(): void {
    if (!(this.owned & 4)) {
      this._facts = new CountingMap(this._facts);
      this._factDeps = copyOf(this._factDeps);
      this.owned |= 4;
    }
    this.key = undefined;
    this.version++;
  }

  setFact(key: string, value: boolean, deps: readonly string[]): void {
    this.ownFacts();
    const old = this._facts.get(key);
    if (old !== undefined) this.toggleFact(key, old);
    this.toggleFact(key, value);
    this._facts.set(key, value);
    this._facts.writes++;
    this._factDeps.set(key, deps);
  }

  deleteFact(key: string): void {
    this.ownFacts();
    const old = this._facts.get(key);
    if (old === undefined) return;
    this.toggleFact(key, old);
    this._facts.delete(key);
    this._facts.writes++;
    this._factDeps.delete(key);
  }

  private toggleFact(key: string, value: boolean): void {
    this._facts.hashA ^= factHash(SEED_A, key, value);
    this._facts.hashB ^= factHash(SEED_B, key, value);
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
  return out ? sortSmall(out) : a;
}

/** Array.prototype.sort's order, in place and without its scratch allocation (values hold a few targets). */
function sortSmall(list: string[]): string[] {
  for (let i = 1; i < list.length; i++) {
    const x = list[i];
    let j = i - 1;
    while (j >= 0 && list[j] > x) {
      list[j + 1] = list[j];
      j--;
    }
    list[j + 1] = x;
  }
  return list;
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
/** A block's state bits where two paths meet: NONNULL must hold on both, anything else on either. */
export function joinBits(a: number, b: number): number {
  return ((a | b) & ~NONNULL) | (a & b & NONNULL);
}

export function joinInto(into: State, from: State, implicit: (loc: string) => Val): boolean {
  let changed = false;
  const sameVars = into.vars === from.vars;
  const sameStatus = into.status === from.status;
  if (!sameVars) changed = joinVars(into, from, implicit) || changed;
  if (!sameStatus) changed = joinStatus(into, from) || changed;
  return joinRest(into, from) || changed;
}

function joinVars(into: State, from: State, implicit: (loc: string) => Val): boolean {
  if (into.vars.sharesBase(from.vars)) return joinOwnVars(into, from, implicit);
  let changed = false;
  from.vars.forEach((v, k) => {
    const cur = into.vars.get(k);
    const base = cur ?? implicit(k);
    const next = union(base, v);
    if (!sameVal(cur, next)) {
      into.setVar(k, next);
      changed = true;
    }
  });
  const theirs = from.vars;
  into.vars.forEach((cur, k) => {
    if (theirs.has(k)) return;
    const next = union(cur, implicit(k));
    if (!sameVal(cur, next)) {
      into.setVar(k, next);
      changed = true;
    }
  });
  return changed;
}

/** joinVars for maps on one base: only the keys either side wrote since can differ. */
function joinOwnVars(into: State, from: State, implicit: (loc: string) => Val): boolean {
  let changed = false;
  const theirs = from.vars.own();
  // taken first: a write may copy into's map, and the copy may fold its top into a new base
  const mine: string[] = [];
  into.vars.own().forEach((_v, k) => {
    if (!theirs.has(k)) mine.push(k);
  });
  theirs.forEach((v, k) => {
    const cur = into.vars.get(k);
    const next = union(cur ?? implicit(k), v);
    if (!sameVal(cur, next)) {
      into.setVar(k, next);
      changed = true;
    }
  });
  for (const k of mine) {
    const cur = into.vars.get(k)!;
    const next = union(cur, from.vars.get(k) ?? implicit(k));
    if (!sameVal(cur, next)) {
      into.setVar(k, next);
      changed = true;
    }
  }
  return changed;
}

function joinStatus(into: State, from: State): boolean {
  if (into.status.sharesBase(from.status)) return joinOwnStatus(into, from);
  let changed = false;
  from.status.forEach((s, k) => {
    const cur = into.status.get(k);
    const curBits = cur?.bits ?? defaultBits(k);
    const bits = joinBits(curBits, s.bits);
    const freedAt = cur?.freedAt ?? s.freedAt;
    const movedTo = cur?.movedTo ?? s.movedTo;
    if (!cur || bits !== cur.bits || freedAt !== cur.freedAt || movedTo !== cur.movedTo) {
      into.setStatus(k, { bits, freedAt, movedTo });
      changed = true;
    }
  });
  const theirs = from.status;
  into.status.forEach((cur, k) => {
    if (theirs.has(k)) return;
    const d = defaultBits(k);
    const next = (cur.bits | d) & ~NONNULL;
    if (next !== cur.bits) {
      into.setStatus(k, { ...cur, bits: next });
      changed = true;
    }
  });
  return changed;
}

/** joinStatus for maps on one base. */
function joinOwnStatus(into: State, from: State): boolean {
  let changed = false;
  const theirs = from.status.own();
  const both = (k: string, cur: Status | undefined, s: Status | undefined) => {
    const curBits = cur?.bits ?? defaultBits(k);
    const sBits = s?.bits ?? defaultBits(k);
    const bits = joinBits(curBits, sBits);
    const freedAt = cur?.freedAt ?? s?.freedAt;
    const movedTo = cur?.movedTo ?? s?.movedTo;
    if (!cur || bits !== cur.bits || freedAt !== cur.freedAt || movedTo !== cur.movedTo) {
      into.setStatus(k, { ...cur, bits, freedAt, movedTo });
      changed = true;
    }
  };
  const mine: string[] = [];
  into.status.own().forEach((_s, k) => {
    if (!theirs.has(k)) mine.push(k);
  });
  theirs.forEach((s, k) => both(k, into.status.get(k), s));
  for (const k of mine) both(k, into.status.get(k), from.status.get(k));
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
  if (into.facts.size === 0) return changed;
  let gone: string[] | undefined;
  const theirs = from.facts;
  into.facts.forEach((v, k) => {
    if (theirs.get(k) !== v) (gone ??= []).push(k);
  });
  if (gone) {
    for (const k of gone) into.deleteFact(k);
    changed = true;
  }
  return changed;
}
