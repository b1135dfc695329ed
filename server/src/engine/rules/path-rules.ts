/** Rules about what happens along a path: use after release, leaks, realloc leaks, the GIL, exceptions. */
import type { Rule } from './rule';

export const useAfterFree: Rule = {
  id: 'use-after-free', title: 'Block used after release', severity: 'error', pathDependent: true, on: ['use'],
  match(e, ctx) {
    if (e.kind !== 'use') return undefined;
    const what = e.alloc ? `memory allocated by ${ctx.describeAlloc(e.alloc)}` : 'this pointer';
    return {
      site: e.site,
      message: `${what} is used after it was released${e.freedAt !== undefined ? ` at line ${ctx.line(e.freedAt) + 1}` : ''}`,
      related: [
        ...(e.allocSite !== undefined ? [{ site: e.allocSite, message: 'allocated here' }] : []),
        ...(e.freedAt !== undefined ? [{ site: e.freedAt, message: 'released here' }] : []),
      ],
      flow: [
        ...(e.allocSite !== undefined ? [{ site: e.allocSite, message: 'allocated' }] : []),
        ...(e.freedAt !== undefined ? [{ site: e.freedAt, message: 'released' }] : []),
        { site: e.site, message: 'used after release' },
      ],
    };
  },
};

export const leak: Rule = {
  id: 'leak', title: 'Allocation never released', severity: 'warning', pathDependent: true, on: ['leak'],
  match(e, ctx) {
    if (e.kind !== 'leak') return undefined;
    const release = ctx.releaseOf(e.alloc.family);
    const ret = e.overwritten
      ? ` before the next allocation at line ${ctx.line(e.retSite) + 1} overwrites its only pointer`
      : e.retSite >= 0 ? ` on the path returning at line ${ctx.line(e.retSite) + 1}` : ' when the function ends';
    return {
      site: e.allocSite,
      message: `memory allocated by ${ctx.describeAlloc(e.alloc)} is neither released, returned nor stored${ret}; release it with ${release ?? 'its deallocator'}()`,
      related: e.retSite >= 0 ? [{ site: e.retSite, message: 'the block is lost when the function returns here' }] : [],
      flow: [{ site: e.allocSite, message: 'allocated' }, ...(e.retSite >= 0 ? [{ site: e.retSite, message: 'returns without releasing it' }] : [])],
    };
  },
};

export const reallocLeak: Rule = {
  id: 'realloc-leak', title: 'Realloc result assigned over its own argument', severity: 'warning', pathDependent: false, on: ['realloc-leak'],
  match(e) {
    if (e.kind !== 'realloc-leak') return undefined;
    return {
      site: e.site,
      message: e.macro
        ? `${e.api}() assigns its result to its pointer argument: when it fails the old block is lost; use a temporary with PyMem_Realloc() and keep the old pointer on failure`
        : `if ${e.api}() fails it returns NULL and the only pointer to the old block is overwritten; assign the result to a temporary and keep the old pointer on failure`,
      related: [],
    };
  },
};

export const gilReleasedAlloc: Rule = {
  id: 'gil-released-alloc', title: 'Python allocator called without the GIL', severity: 'warning', pathDependent: false, on: ['gil'],
  match(e) {
    if (e.kind !== 'gil') return undefined;
    const what = e.via.length ? `${e.via[0]}() calls ${e.api}(), which needs` : `${e.api}() needs`;
    return {
      site: e.site,
      message: `${what} the GIL but is called while it is released; move the call outside the Py_BEGIN_ALLOW_THREADS region or use the PyMem_Raw* allocators`,
      related: [],
    };
  },
};

export const nomemoryNotSet: Rule = {
  id: 'nomemory-not-set', title: 'Allocation failure returned without an exception', severity: 'warning', pathDependent: true, on: ['nomem'],
  match(e, ctx) {
    if (e.kind !== 'nomem') return undefined;
    const what = e.alloc ? `${ctx.describeAlloc(e.alloc)}` : 'an allocation';
    return {
      site: e.site,
      message: `returns an error to Python after ${what} at line ${ctx.line(e.allocSite) + 1} failed, but no exception is set (allocators do not set one); call PyErr_NoMemory() first`,
      related: [{ site: e.allocSite, message: 'this allocation failed on the path' }],
      flow: [{ site: e.allocSite, message: 'allocation returns NULL' }, { site: e.site, message: 'returns without an exception' }],
    };
  },
};

export const pathRules: Rule[] = [useAfterFree, leak, reallocLeak, gilReleasedAlloc, nomemoryNotSet];
