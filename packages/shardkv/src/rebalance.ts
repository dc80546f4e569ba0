/**
 * The controller's placement rule, a pure function: given the current shard → gid array and the
 * gids that will exist, return the new array.
 *
 * - no gids: every shard on 0;
 * - every shard on a listed gid, and shard counts differ by at most one;
 * - minimal movement: a gid keeps min(current count, target) of its shards (its lowest-numbered
 *   ones), and the gids that get the larger target (N mod n of them) are those holding the most
 *   shards now, so only the shards that must move do. On a join shards only move to new gids;
 *   on a leave only shards of leaving gids move.
 * - deterministic: the result depends on the set of gids, not on their order (sorted inside;
 *   no Map or object iteration order).
 */
import type { Gid } from './common.js'

export function rebalance(shards: readonly Gid[], gidList: readonly Gid[]): Gid[] {
  const n = shards.length
  const gids = [...new Set(gidList)].sort((a, b) => a - b)
  if (gids.length === 0) return new Array<Gid>(n).fill(0)
  const live = new Set(gids)
  const held = new Map<Gid, number[]>()
  for (const g of gids) held.set(g, [])
  for (let s = 0; s < n; s++) {
    const g = shards[s] as Gid
    if (live.has(g)) held.get(g)!.push(s)
  }
  // Targets: the N mod n larger shares go to the gids holding most now (ties: lower gid).
  const order = [...gids].sort((a, b) => held.get(b)!.length - held.get(a)!.length || a - b)
  const base = Math.floor(n / gids.length)
  const extra = n % gids.length
  const target = new Map<Gid, number>()
  order.forEach((g, i) => target.set(g, base + (i < extra ? 1 : 0)))
  const out = new Array<Gid>(n).fill(0)
  const free: number[] = []
  for (const g of gids) {
    const mine = held.get(g)!
    const keep = Math.min(mine.length, target.get(g)!)
    for (let i = 0; i < mine.length; i++) {
      const s = mine[i] as number
      if (i < keep) out[s] = g
      else free.push(s)
    }
  }
  for (let s = 0; s < n; s++) if (!live.has(shards[s] as Gid)) free.push(s)
  free.sort((a, b) => a - b)
  let next = 0
  for (const g of gids) {
    let count = Math.min(held.get(g)!.length, target.get(g)!)
    while (count < target.get(g)!) {
      out[free[next++] as number] = g
      count++
    }
  }
  return out
}
