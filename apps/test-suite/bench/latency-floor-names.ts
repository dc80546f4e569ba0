/**
 * The names of bench/latency-floor.ts's measurements, both ways: latency-floor.ts builds each
 * JSON line's `name` with `floorRowName`, and the report (report/sections/floor.ts) turns the
 * name back into what was measured with `parseFloorRowName`. One module for both, so that the
 * printed names and the report's reading of them cannot drift apart. Pure.
 */

/**
 * fdatasync on the main thread (sync), on the thread pool (pool), or on the main thread into a
 * file zero-filled beforehand (zeroed: the appends overwrite allocated blocks, so the file's size
 * and extents do not change and fdatasync has no metadata to journal).
 */
export type FloorSyncMode = 'sync' | 'pool' | 'zeroed'

/** CPU µs per round trip of each process of the commit skeleton (NaN where not readable). */
export interface FloorCpu {
  readonly client: number
  readonly leader: number
  readonly followers: readonly number[]
}

/** What one of latency-floor.ts's rows measured. */
export type FloorMeasurement =
  | { readonly kind: 'rtt'; readonly transport: 'ws' | 'tcp'; readonly bytes: number }
  | {
      readonly kind: 'fsync'
      readonly sync: FloorSyncMode
      readonly writers: number
      readonly bytes: number
    }
  | {
      readonly kind: 'commit'
      readonly sync: FloorSyncMode
      readonly burnUs: number
      readonly cpuUsPerRound: FloorCpu
    }

export function floorRowName(m: FloorMeasurement): string {
  switch (m.kind) {
    case 'rtt':
      return m.transport === 'ws'
        ? `ws round trip, ${m.bytes}-byte frames`
        : `tcp round trip, ${m.bytes} bytes`
    case 'fsync':
      return `write+fdatasync (${m.sync}), ${m.writers} at once, ${m.bytes} bytes`
    case 'commit': {
      const c = m.cpuUsPerRound
      return `commit skeleton (fdatasync ${m.sync}, ${m.burnUs} µs of work per step); CPU µs per round: client ${c.client}, leader ${c.leader}, followers ${c.followers.join(' ')}`
    }
  }
}

const NUM = '(-?\\d+(?:\\.\\d+)?|NaN)'
const SYNC = '(sync|pool|zeroed)'
const WS = new RegExp(`^ws round trip, ${NUM}-byte frames$`)
const TCP = new RegExp(`^tcp round trip, ${NUM} bytes$`)
const FSYNC = new RegExp(`^write\\+fdatasync \\(${SYNC}\\), ${NUM} at once, ${NUM} bytes$`)
const COMMIT = new RegExp(
  `^commit skeleton \\(fdatasync ${SYNC}, ${NUM} µs of work per step\\); CPU µs per round: client ${NUM}, leader ${NUM}, followers ((?:${NUM} ?)*)$`,
)

/** The measurement a row's name describes; undefined for a name of no known shape. */
export function parseFloorRowName(name: string): FloorMeasurement | undefined {
  let g = WS.exec(name)
  if (g) return { kind: 'rtt', transport: 'ws', bytes: Number(g[1]) }
  g = TCP.exec(name)
  if (g) return { kind: 'rtt', transport: 'tcp', bytes: Number(g[1]) }
  g = FSYNC.exec(name)
  if (g)
    return {
      kind: 'fsync',
      sync: g[1] as FloorSyncMode,
      writers: Number(g[2]),
      bytes: Number(g[3]),
    }
  g = COMMIT.exec(name)
  if (g)
    return {
      kind: 'commit',
      sync: g[1] as FloorSyncMode,
      burnUs: Number(g[2]),
      cpuUsPerRound: {
        client: Number(g[3]),
        leader: Number(g[4]),
        followers: (g[5] ?? '').split(' ').filter(Boolean).map(Number),
      },
    }
  return undefined
}
