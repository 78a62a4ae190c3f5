/**
 * A seedable uniform random source in [0, 1) (mulberry32): fractions at seeding and fault rates all draw from one, so
 * a test that passes `seed` sees the same operations and, for a fixed order of requests, the same faults.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
