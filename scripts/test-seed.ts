/**
 * Seeds for property-based tests: `SSEC_SEED=<n>` replays a run exactly; otherwise a fresh seed
 * is drawn. Either way it is printed, so any failure can be replayed with the same command.
 */
export function testSeed(suite: string): number {
  const fromEnv = process.env.SSEC_SEED;
  let seed: number;
  if (fromEnv !== undefined && fromEnv !== '') {
    seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed)) throw new Error(`SSEC_SEED must be an integer, got ${JSON.stringify(fromEnv)}`);
  } else {
    seed = Math.floor(Math.random() * 0x7fffffff);
  }
  process.stdout.write(`[${suite}] fast-check seed ${seed} (replay: SSEC_SEED=${seed} npx vitest run ${suite})\n`);
  return seed;
}

/** Mulberry32: a tiny seeded PRNG (uniform in [0, 1)), so a seed replays the same choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
