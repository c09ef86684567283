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
