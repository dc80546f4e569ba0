/** Random choices shared by the codec tests (append-decode, peer-codec). */
import type { Rng } from '@raftkit/raft-core'

export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)] as T

/** The fields of `o` in a random order (msgpackr writes them in property order). */
export function shuffled(rng: Rng, o: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(o)
  for (let i = keys.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[keys[i], keys[j]] = [keys[j] as string, keys[i] as string]
  }
  return Object.fromEntries(keys.map((k) => [k, o[k]]))
}

/**
 * `n` random cases scaled by CODEC_RUNS_SCALE (default 1): tools/mutation/run.mjs runs a
 * tenth, since Stryker reruns every covering test for each surviving mutant.
 */
export const runs = (n: number): number =>
  Math.max(1, Math.round(n * Number(process.env['CODEC_RUNS_SCALE'] ?? 1)))
