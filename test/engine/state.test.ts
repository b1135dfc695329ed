import { describe, expect, it } from 'vitest';
import { seeded } from '../shared/seeded';
import { LayeredMap, State, joinInto, statusHash, varsHash, type Val } from '../../server/src/engine/flow/state';


describe('layered maps (the values and block states of a path)', () => {
  it('read, iterate and size like a plain Map after any mix of writes and copies', () => {
    const next = seeded(7);
    // each layered map has a plain Map that received the same writes
    const pairs: [LayeredMap<string, number>, Map<string, number>][] = [[new LayeredMap(), new Map()]];
    for (let step = 0; step < 5000; step++) {
      const i = Math.floor(next() * pairs.length);
      const [layered, plain] = pairs[i];
      if (next() < 0.2 && pairs.length < 64) {
        pairs.push([new LayeredMap(layered), new Map(plain)]); // a copy, maybe folding the source
      } else {
        const key = `k${Math.floor(next() * 60)}`;
        const value = Math.floor(next() * 5);
        layered.set(key, value);
        plain.set(key, value);
      }
    }
    for (const [layered, plain] of pairs) {
      expect([...layered]).toEqual([...plain]); // same entries in the same (insertion) order
      expect(layered.size).toBe(plain.size);
      for (let k = 0; k < 60; k++) {
        expect(layered.get(`k${k}`)).toBe(plain.get(`k${k}`));
        expect(layered.has(`k${k}`)).toBe(plain.has(`k${k}`));
      }
    }
  });

  it('hash equal contents equally, however their bases and tops are split', () => {
    const a = new LayeredMap<string, Val>();
    for (let i = 0; i < 40; i++) a.set(`v:x${i}`, [`o${i}`]);
    const b = new LayeredMap(new LayeredMap(a)); // copies fold the first map's writes into a base
    b.set('v:x3', ['n']);
    const c = new LayeredMap<string, Val>();
    for (let i = 0; i < 40; i++) c.set(`v:x${i}`, i === 3 ? ['n'] : [`o${i}`]);
    expect(varsHash(b)).toBe(varsHash(c));
    expect(varsHash(b)).not.toBe(varsHash(a));
    const s1 = new LayeredMap<string, { bits: number }>();
    s1.set('o1', { bits: 1 });
    const s2 = new LayeredMap<string, { bits: number }>();
    s2.set('o1', { bits: 1 | 128 }); // NONNULL does not count
    expect(statusHash(s1)).toBe(statusHash(s2));
  });

  it('join paths that share a base as they would join flat maps', () => {
    const next = seeded(11);
    const implicit = (loc: string): Val => [`f${loc}`];
    for (let round = 0; round < 200; round++) {
      const root = new State();
      for (let i = 0; i < 30; i++) root.setVar(`v:x${i}`, [`o${i % 7}`]);
      for (let i = 0; i < 10; i++) root.setStatus(`o${i}`, { bits: 1 | 128 });
      const left = new State(new State(root));
      const right = new State(root);
      for (const st of [left, right]) {
        for (let w = 0; w < 6; w++) {
          st.setVar(`v:x${Math.floor(next() * 40)}`, [`o${Math.floor(next() * 9)}`]);
          // blocks and parameters (whose implicit state differs), with and without NONNULL (128)
          const target = `${next() < 0.5 ? 'o' : 'p'}${Math.floor(next() * 12)}`;
          st.setStatus(target, { bits: [1, 3, 129, 8][Math.floor(next() * 4)], freedAt: next() < 0.5 ? 5 : undefined });
        }
      }
      // the same join, done on states rebuilt from the plain entries (no shared base)
      const flatLeft = new State();
      const flatRight = new State();
      for (const [k, v] of left.vars) flatLeft.setVar(k, v);
      for (const [k, v] of left.status) flatLeft.setStatus(k, v);
      for (const [k, v] of right.vars) flatRight.setVar(k, v);
      for (const [k, v] of right.status) flatRight.setStatus(k, v);
      expect(left.vars.sharesBase(right.vars)).toBe(true);
      expect(joinInto(left, right, implicit)).toBe(joinInto(flatLeft, flatRight, implicit));
      expect(new Map(left.vars)).toEqual(new Map(flatLeft.vars));
      expect(new Map(left.status)).toEqual(new Map(flatLeft.status));
    }
  });
});
