/**
 * Seeded randomness, injected everywhere randomness is needed (election timeouts, network
 * faults), so that a run replays from its seed. Built on pure-rand's xoroshiro128+.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus'
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** An independent generator derived from this one (for a sub-component). */
  fork(): Rng
}

class XoroshiroRng implements Rng {
  constructor(private readonly gen: ReturnType<typeof xoroshiro128plus>) {}
  next(): number {
    return uniformFloat64(this.gen)
  }
  int(maxExclusive: number): number {
    if (!(maxExclusive >= 1)) return 0
    return uniformInt(this.gen, 0, Math.floor(maxExclusive) - 1)
  }
  fork(): Rng {
    return createRng(uniformInt(this.gen, 0, 0x7fffffff))
  }
}

/** A deterministic generator: the same seed gives the same sequence. */
export function createRng(seed: number): Rng {
  return new XoroshiroRng(xoroshiro128plus(seed | 0))
}

/** A generator seeded from the system (for production use where replay is not needed). */
export function randomRng(): Rng {
  return createRng(Math.floor(Math.random() * 0x7fffffff))
}

/** A stable 32-bit seed from a string (e.g. a node id), for deriving per-node seeds. */
export function seedFrom(base: number, label: string): number {
  let h = (base ^ 0x811c9dc5) >>> 0
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h | 0
}
