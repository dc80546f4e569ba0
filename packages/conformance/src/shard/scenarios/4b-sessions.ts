/**
 * Session expiry around shard migration (raftkit's own 4B scenario; not in the lab). The groups'
 * and the controller's at-most-once tables are bounded by expiry decided in the log
 * (`sessionExpiryEntries`, here a few entries): a write retried after its session expired may
 * have run already, so it must be refused (SESSION_EXPIRED, outcome unknown) and never run
 * again — whether the session expired at the shard's old owner (only the table's horizon
 * travels with the shard) or at its new owner (the session travelled, then expired there), and
 * for the controller's Join/Leave/Move too. Retries are sent by hand with the original
 * (client id, seq, stamp), as a clerk whose replies were lost would; then seeded clerks append
 * unique tokens with idle pauses long enough for their sessions to expire while shards move.
 * Every token must appear at most once in the final values, every acknowledged one exactly
 * once, and the history must be linearizable.
 */
import { NSHARDS, ShardKvRequestError } from '@raftkit/shardkv'
import type { ShardKvReply } from '@raftkit/shardkv'
import { ScenarioFailure } from '../../raft/failure.js'
import type { ShardCluster } from '../harness.js'
import { shardScenario } from '../scenario.js'
import { checkLinearizable } from './helpers.js'

/** Idle entries after which a session is dropped, in the groups and in the controller. */
const WINDOW = 12

/** A key of `shard` (key2shard: the first character's code mod 10; 'd' is 100). */
function keyIn(shard: number, suffix: string): string {
  return `${String.fromCharCode(100 + shard)}${suffix}`
}

/** The session stamp a clerk created now would take (ShardKvClient's default). */
function stampNow(c: ShardCluster): number {
  return Math.floor(performance.timeOrigin + c.clock.now())
}

type Answer = { ok: true } | { ok: false; error: string }

/**
 * Sends `request` to `servers` until one gives a final answer (ok, or a refusal other than
 * wrong leader / wrong group / timeout), as a clerk retrying the same request would. Bounded.
 */
async function sendUntilAnswered(
  c: ShardCluster,
  servers: readonly string[],
  request: Record<string, unknown>,
  what: string,
): Promise<Answer> {
  const transient = new Set(['WRONG_LEADER', 'WRONG_GROUP', 'TIMEOUT', 'STOPPED', 'NOT_READY'])
  for (let round = 0; round < 300 && !c.stopped; round++) {
    for (const to of servers) {
      let reply: ShardKvReply
      try {
        reply = (await c.rpc.call('manual', to, request, 500)) as ShardKvReply
      } catch {
        continue
      }
      if (reply.ok) return { ok: true }
      if (!transient.has(reply.error)) return { ok: false, error: reply.error }
    }
    await c.sleep(100)
  }
  throw c.fail(new ScenarioFailure(`${what}: no final answer after 300 rounds`))
}

/** The group index serving `shard` in the controller's latest configuration. */
async function ownerOf(c: ShardCluster, shard: number): Promise<number> {
  const config = await c.groups.query()
  return c.groups.gids.indexOf(config.shards[shard]!)
}

/**
 * One append by hand, recorded in the history (client `clientNo`): sent until answered; the
 * first answer must be ok (the session is fresh). Returns the request for later retries.
 */
async function manualAppend(
  c: ShardCluster,
  clientNo: number,
  key: string,
  token: string,
): Promise<Record<string, unknown>> {
  const request = {
    type: 'op',
    op: 'append',
    key,
    value: token,
    clientId: `manual-${clientNo}`,
    seq: 1,
    since: stampNow(c),
  }
  const t = c.groups.history.begin(clientNo, { op: 'append', key, value: token })
  const owner = await ownerOf(c, Number(key.charCodeAt(0) % NSHARDS))
  const answer = await sendUntilAnswered(c, c.groups.names(owner), request, `append ${token}`)
  c.check(answer.ok, `append ${token} of a fresh session was refused: ${JSON.stringify(answer)}`)
  c.groups.history.end(t, {})
  return request
}

/** Retries `request` at the shard's current owner: must be refused as SESSION_EXPIRED. */
async function expectRefusedRetry(
  c: ShardCluster,
  request: Record<string, unknown>,
  what: string,
): Promise<void> {
  const key = request.key as string
  const owner = await ownerOf(c, key.charCodeAt(0) % NSHARDS)
  const answer = await sendUntilAnswered(c, c.groups.names(owner), request, what)
  c.check(
    !answer.ok && answer.error === 'SESSION_EXPIRED',
    `${what}: a retry of a write whose session expired must be refused as SESSION_EXPIRED (outcome unknown), got ${JSON.stringify(answer)}`,
  )
}

/** How many times `token` occurs in `value`. */
function occurrences(value: string, token: string): number {
  return value.split(token).length - 1
}

/** Waits (bounded by the scenario's budget) until shard's new owner serves `key`. */
async function waitServed(c: ShardCluster, key: string): Promise<string> {
  return c.groups.makeClient().get(key)
}

/** `n` appends through fresh clerks to keys of `shard`, pushing its group's log forward. */
async function fill(c: ShardCluster, shard: number, n: number, tokens: Map<string, string>) {
  const ck = c.groups.makeClient()
  for (let i = 0; i < n; i++) {
    const key = keyIn(shard, `fill${i % 3}`)
    const token = `<f${shard}.${tokens.size}>`
    tokens.set(token, key)
    try {
      await ck.append(key, token)
    } catch (e) {
      if (!(e instanceof ShardKvRequestError && e.code === 'SESSION_EXPIRED')) throw e
    }
  }
}

export const TestSessionExpiryAcrossMigration4B = shardScenario({
  name: 'TestSessionExpiryAcrossMigration4B',
  part: '4B',
  description: 'Test: expired sessions never re-run a write across migrations (4B)',
  unreliable: true,
  sessionExpiryEntries: WINDOW,
  async run(c) {
    c.begin('Test: session expiry across shard migrations ...')
    const g = c.groups
    await g.join(0)
    const fills = new Map<string, string>()
    // Two distinct shards, drawn from the seed.
    const s1 = c.rng.int(NSHARDS)
    const s2 = (s1 + 1 + c.rng.int(NSHARDS - 1)) % NSHARDS
    const k1 = keyIn(s1, 'x')
    const k2 = keyIn(s2, 'y')

    // (1) The session travels with its shard, then expires at the new owner.
    const w1 = await manualAppend(c, 1001, k1, '<A>')
    await g.join(1)
    await g.move(s1, 1)
    c.check(occurrences(await waitServed(c, k1), '<A>') === 1, `${k1} must hold <A> once`)
    // A retry at the new owner right away is answered from the migrated session (or, if the
    // group's log has already moved WINDOW entries past the install, refused): never run.
    const early = await sendUntilAnswered(c, g.names(1), w1, 'early retry of <A>')
    c.check(
      early.ok || early.error === 'SESSION_EXPIRED',
      `early retry of <A>: ${JSON.stringify(early)}`,
    )
    c.log(`info: early retry of <A> at the new owner: ${early.ok ? 'answered' : early.error}`)
    c.check(occurrences(await waitServed(c, k1), '<A>') === 1, `${k1}: <A> ran twice`)
    await fill(c, s1, WINDOW + 2 + c.rng.int(4), fills)
    await expectRefusedRetry(c, w1, 'retry of <A> at the new owner after expiry')

    // (2) The session expires at the old owner; only the horizon travels with the shard.
    const from2 = await ownerOf(c, s2)
    const w2 = await manualAppend(c, 1002, k2, '<B>')
    await fill(c, s2, WINDOW + 2 + c.rng.int(4), fills)
    await g.join(2)
    await g.move(s2, from2 === 2 ? 1 : 2)
    c.check(occurrences(await waitServed(c, k2), '<B>') === 1, `${k2} must hold <B> once`)
    await expectRefusedRetry(c, w2, 'retry of <B> at the new owner (expired at the old one)')

    // (3) The controller: a Move whose session expired must not run again.
    const move = {
      op: 'move',
      shard: s1,
      gid: g.gids[0]!,
      clientId: 'manual-admin',
      seq: 1,
      since: stampNow(c),
    }
    const moved = await sendUntilAnswered(c, c.ctrlerNames, move, 'manual move')
    c.check(moved.ok, `manual move: ${JSON.stringify(moved)}`)
    for (let i = 0; i < WINDOW + 1; i++) await g.move((s1 + 1 + (i % 3)) % NSHARDS, i % 3)
    await g.move(s1, 2)
    const before = await g.query()
    const retried = await sendUntilAnswered(c, c.ctrlerNames, move, 'retry of the manual move')
    c.check(
      !retried.ok && retried.error === 'SESSION_EXPIRED',
      `a retried Move whose session expired must be refused, got ${JSON.stringify(retried)}`,
    )
    const after = await g.query()
    c.check(
      after.num === before.num && after.shards[s1] === g.gids[2],
      `the refused Move changed the configuration: ${before.num} -> ${after.num}, shard ${s1} on ${after.shards[s1]}`,
    )

    // (4) Seeded clerks with idle pauses while shards move: sessions expire mid-migration.
    const keys = Array.from({ length: 5 }, (_, i) => keyIn((s1 + 2 * i) % NSHARDS, 'w'))
    const acked = new Map<string, string>()
    const unknown = new Map<string, string>()
    let done = false
    const clerks = Array.from({ length: 4 }, async (_, ci) => {
      const ck = g.makeClient()
      for (let n = 0; !done && !c.stopped; n++) {
        const key = keys[c.rng.int(keys.length)]!
        const token = `<c${ci}.${n}>`
        try {
          await ck.append(key, token)
          acked.set(token, key)
        } catch (e) {
          if (!(e instanceof ShardKvRequestError && e.code === 'SESSION_EXPIRED')) throw e
          unknown.set(token, key)
        }
        // Some pauses long enough for the session to expire while the others write.
        await c.sleep(c.rng.int(4) === 0 ? 300 + c.rng.int(700) : c.rng.int(30))
      }
    })
    for (const t of clerks) t.catch(() => undefined) // awaited below
    for (let i = 0; i < 10; i++) {
      await c.sleep(200 + c.rng.int(300))
      await g.move(c.rng.int(NSHARDS), c.rng.int(3))
    }
    done = true
    await Promise.all(clerks)

    const ck = g.makeClient()
    const finals = new Map<string, string>()
    for (const key of new Set([...keys, k1, k2, ...fills.values()]))
      finals.set(key, await ck.get(key))
    c.check(occurrences(finals.get(k1)!, '<A>') === 1, `${k1}: <A> must be there once`)
    c.check(occurrences(finals.get(k2)!, '<B>') === 1, `${k2}: <B> must be there once`)
    for (const [token, key] of [...acked, ...unknown, ...fills]) {
      const n = occurrences(finals.get(key)!, token)
      c.check(n <= 1, `${token} ran ${n} times in ${key}`)
      if (acked.has(token)) c.check(n === 1, `acknowledged ${token} is missing from ${key}`)
    }
    c.log(`info: ${acked.size} appends acknowledged, ${unknown.size} refused as SESSION_EXPIRED`)
    checkLinearizable(c)
    c.end()
  },
})
