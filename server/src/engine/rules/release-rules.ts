/**
 * Rules that judge one release (or resize) call. They are tried in order and the first that matches
 * owns the finding, so one wrong release is one finding.
 */
import type { FlowEvent, Released } from '../flow/events';
import type { Rule, RuleContext, Verdict } from './rule';

type ReleaseEvent = Extract<FlowEvent, { kind: 'release' }>;

function rel(e: FlowEvent): ReleaseEvent | undefined {
  return e.kind === 'release' ? e : undefined;
}

function familyOf(r: Released): string | undefined {
  if (r.what === 'block') return r.alloc.family;
  if (r.what === 'typed-self') return r.family;
  return undefined;
}

function isGcInvolved(e: ReleaseEvent, r: Released): boolean {
  if (r.what === 'typed-self') return true;
  if (r.what !== 'block') return false;
  return !!r.alloc.typed || r.alloc.family === 'gc-object' || e.family === 'gc-object';
}

function mismatch(e: ReleaseEvent): boolean {
  const f = familyOf(e.released);
  return !!f && e.family !== '*' && f !== '?' && e.family !== '?' && f !== e.family;
}

function fixFor(e: ReleaseEvent, ctx: RuleContext): string | undefined {
  const f = familyOf(e.released);
  return e.via.length === 0 && f && !e.resize ? ctx.releaseOf(f) : undefined;
}

function wrongFamilyVerdict(e: ReleaseEvent, ctx: RuleContext): Verdict {
  const r = e.released;
  const f = familyOf(r)!;
  const by = ctx.describeRelease(e.api, e.via);
  const right = ctx.releaseOf(f);
  if (r.what === 'typed-self') {
    return {
      site: e.site,
      message: `'${r.typeName}' objects are ${f === 'gc-object' ? 'GC objects (Py_TPFLAGS_HAVE_GC)' : 'not GC objects'} but tp_dealloc releases self with ${by}; release it with ${right ?? 'the matching deallocator'}() or Py_TYPE(self)->tp_free()`,
      related: [],
      fixWith: fixFor(e, ctx),
    };
  }
  if (r.what !== 'block') throw new Error('unreachable');
  const what = e.resize ? 'resized' : 'released';
  return {
    site: e.site,
    message: `memory allocated by ${ctx.describeAlloc(r.alloc)} at line ${ctx.line(r.allocSite) + 1} is ${what} by ${by}; ${e.resize ? 'resize' : 'release'} it with ${e.resize ? resizeOf(f, ctx) : right ?? 'its own deallocator'}()`,
    related: [{ site: r.allocSite, message: `allocated here by ${ctx.describeAlloc(r.alloc)} (${ctx.familyLabel(f)})` }],
    fixWith: fixFor(e, ctx),
  };
}

function resizeOf(family: string, ctx: RuleContext): string {
  for (const a of ctx.model.apis.values()) if (a.kind === 'realloc' && a.family === family && !a.macro) return a.name;
  return 'its own reallocator';
}

export const doubleFree: Rule = {
  id: 'double-free', title: 'Block released twice', severity: 'error', pathDependent: true, on: ['release'],
  match(ev, ctx) {
    const e = rel(ev);
    if (!e || e.resize) return undefined;
    const r = e.released;
    if (!('freed' in r) || !r.freed) return undefined;
    const first = r.freedAt;
    const what = r.what === 'block' ? `memory allocated by ${ctx.describeAlloc(r.alloc)}` : r.what === 'param' ? 'the pointer passed in' : r.what === 'typed-self' ? 'self' : 'this pointer';
    const moved = r.what === 'block' && r.moved;
    return {
      site: e.site,
      message: `${what} is released again by ${ctx.describeRelease(e.api, e.via)}${first !== undefined ? `; it was already ${moved ? 'moved by a realloc' : 'released'} at line ${ctx.line(first) + 1}` : ''}`,
      related: [
        ...(r.what === 'block' ? [{ site: r.allocSite, message: 'allocated here' }] : []),
        ...(first !== undefined ? [{ site: first, message: moved ? 'moved by realloc here' : 'first released here' }] : []),
      ],
      flow: [
        ...(r.what === 'block' ? [{ site: r.allocSite, message: 'allocated' }] : []),
        ...(first !== undefined ? [{ site: first, message: 'released' }] : []),
        { site: e.site, message: 'released again' },
      ],
    };
  },
};

export const borrowedFree: Rule = {
  id: 'borrowed-free', title: 'Borrowed buffer released', severity: 'error', pathDependent: false, on: ['release'],
  match(ev, ctx) {
    const e = rel(ev);
    if (!e || e.released.what !== 'borrowed') return undefined;
    const owner = e.released.api;
    return {
      site: e.site,
      message: `the buffer returned by ${owner.includes('(') || owner.includes('.') ? owner : `${owner}()`} belongs to its Python object and must not be released; ${ctx.describeRelease(e.api, e.via)} corrupts the heap — drop the call (copy the data first if it must outlive the object)`,
      related: [{ site: e.released.site, message: `borrowed from ${owner}` }],
    };
  },
};

export const nonHeapFree: Rule = {
  id: 'non-heap-free', title: 'Release of memory that is not on the heap', severity: 'error', pathDependent: false, on: ['release'],
  match(ev, ctx) {
    const e = rel(ev);
    if (!e || e.released.what !== 'nonheap') return undefined;
    return {
      site: e.site,
      message: `${ctx.describeRelease(e.api, e.via)} is given ${e.released.desc}, which was never allocated on a heap; release only pointers returned by an allocator`,
      related: [],
    };
  },
};

export const objectRawFree: Rule = {
  id: 'object-raw-free', title: 'Python object released with a memory deallocator', severity: 'error', pathDependent: false, on: ['release'],
  match(ev, ctx) {
    const e = rel(ev);
    if (!e || e.released.what !== 'newref') return undefined;
    return {
      site: e.site,
      message: `the object returned by ${e.released.api}() is a new reference; ${ctx.describeRelease(e.api, e.via)} bypasses its type's deallocator — release it with Py_DECREF()`,
      related: [{ site: e.released.site, message: `new reference from ${e.released.api}()` }],
    };
  },
};

export const gcMismatch: Rule = {
  id: 'gc-mismatch', title: 'GC and non-GC object deallocators mixed', severity: 'error', pathDependent: false, on: ['release'],
  match(ev, ctx) {
    const e = rel(ev);
    if (!e || !mismatch(e) || !isGcInvolved(e, e.released)) return undefined;
    return wrongFamilyVerdict(e, ctx);
  },
};

export const mixedHeap: Rule = {
  id: 'mixed-heap', title: 'Memory released by another allocator family', severity: 'error', pathDependent: false, on: ['release'],
  match(ev, ctx) {
    const e = rel(ev);
    if (!e || !mismatch(e)) return undefined;
    return wrongFamilyVerdict(e, ctx);
  },
};

export const useAfterFreeOnResize: Rule = {
  id: 'use-after-free', title: 'Released block resized', severity: 'error', pathDependent: true, on: ['release'],
  match(ev, ctx) {
    const e = rel(ev);
    if (!e || !e.resize || !('freed' in e.released) || !e.released.freed) return undefined;
    const first = e.released.freedAt;
    return {
      site: e.site,
      message: `${ctx.describeRelease(e.api, e.via)} resizes a block that was already released${first !== undefined ? ` at line ${ctx.line(first) + 1}` : ''}`,
      related: first !== undefined ? [{ site: first, message: 'released here' }] : [],
    };
  },
};

/** Order matters: the first rule that matches a release owns it. */
export const releaseRules: Rule[] = [doubleFree, useAfterFreeOnResize, borrowedFree, nonHeapFree, objectRawFree, gcMismatch, mixedHeap];
