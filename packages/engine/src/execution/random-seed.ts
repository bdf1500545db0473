/**
 * The random seed sent with each Check (providers derive generated names and passwords from it).
 * Drawn from one CSPRNG buffer refilled every 256 seeds: a `randomBytes` call per resource costs
 * more than the seed is worth on the registration path.
 */
import { randomBytes } from "node:crypto";

const SEED_BYTES = 32;
const SEEDS_PER_FILL = 256;

let pool = Buffer.alloc(0);
let offset = 0;

export function randomSeed(): Buffer {
  if (offset + SEED_BYTES > pool.length) {
    pool = randomBytes(SEED_BYTES * SEEDS_PER_FILL);
    offset = 0;
  }
  const seed = pool.subarray(offset, offset + SEED_BYTES);
  offset += SEED_BYTES;
  return seed;
}
