/**
 * The memory an unauthenticated flood can make a listener spend, measured in a child process:
 * as many connections as the caps admit (64, from four loopback addresses) each upgrade and start
 * a 15 MiB frame they never finish. The listener refuses each frame from its header, so the
 * child's resident set grows by less than PRE_AUTH_FLOOD_RSS_BOUND (documented in the README),
 * where the old listener buffered every byte (30 such connections: +436 MB).
 */
import { expect } from 'chai'
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  CloseCode,
  MAX_UNAUTHENTICATED_CONNECTIONS,
  MAX_UNAUTHENTICATED_PER_ADDRESS,
} from '../src/index.js'
import type { WsTransportStats } from '../src/index.js'
import { RawPeer } from './helpers.js'
import { closeCode, frameHeader, rawUpgrade, writeUntilClosed } from './raw-socket.js'
import type { RawSocket } from './raw-socket.js'

const here = dirname(fileURLToPath(import.meta.url))
const MiB = 1024 * 1024
/** Resident-set growth allowed for the whole flood (measured: see the README). */
const PRE_AUTH_FLOOD_RSS_BOUND = 32 * MiB

type Reply =
  | { kind: 'ready'; port: number }
  | { kind: 'baseline'; rss: number }
  | { kind: 'report'; rss: number; peak: number; stats: WsTransportStats }

class Child {
  private readonly replies: Reply[] = []
  private waiting: (() => void) | null = null
  constructor(readonly process: ChildProcess) {
    process.on('message', (m: Reply) => {
      this.replies.push(m)
      this.waiting?.()
    })
  }

  async next<K extends Reply['kind']>(kind: K): Promise<Extract<Reply, { kind: K }>> {
    for (;;) {
      const i = this.replies.findIndex((r) => r.kind === kind)
      if (i >= 0) return this.replies.splice(i, 1)[0] as Extract<Reply, { kind: K }>
      await new Promise<void>((resolve) => (this.waiting = resolve))
    }
  }

  async ask<K extends 'baseline' | 'report'>(kind: K): Promise<Extract<Reply, { kind: K }>> {
    this.process.send(kind)
    return this.next(kind)
  }
}

/** Waits (bounded) until the child holds no unauthenticated connection. */
async function released(child: Child, what: string): Promise<void> {
  const deadline = Date.now() + 20_000
  while ((await child.ask('report')).stats.unauthenticated > 0) {
    if (Date.now() > deadline) throw new Error(`${what} were not released within 20 s`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('ws listener: memory of an unauthenticated flood', function () {
  this.timeout(120_000)
  let child: Child | undefined
  const raws: RawSocket[] = []
  afterEach(() => {
    for (const r of raws.splice(0)) r.socket.destroy()
    child?.process.kill('SIGKILL')
    child = undefined
  })

  it(`${MAX_UNAUTHENTICATED_CONNECTIONS} connections each starting a 15 MiB frame grow RSS by < ${PRE_AUTH_FLOOD_RSS_BOUND / MiB} MiB`, async () => {
    const proc = fork(join(here, 'fixtures', 'listener-child.ts'), {
      cwd: join(here, '..'),
      execArgv: ['--import', 'tsx', '--conditions=@raftkit/source', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    child = new Child(proc)
    const { port } = await child.next('ready')

    // Warm up the paths the flood takes (upgrade, refusal, close) before the baseline.
    for (let i = 0; i < 4; i++) {
      const p = await RawPeer.open(port)
      p.send(new Uint8Array(4096))
      await p.closed
    }
    await released(child, 'the warm-up connections')
    const before = await child.ask('baseline')

    const addresses = MAX_UNAUTHENTICATED_CONNECTIONS / MAX_UNAUTHENTICATED_PER_ADDRESS
    const flood: RawSocket[] = []
    for (let a = 1; a <= addresses; a++)
      for (let i = 0; i < MAX_UNAUTHENTICATED_PER_ADDRESS; i++) {
        const raw = await rawUpgrade(port, `127.0.0.${a}`)
        raws.push(raw)
        flood.push(raw)
      }
    const written = await Promise.all(
      flood.map((raw) => {
        raw.socket.write(frameHeader(15 * MiB))
        return writeUntilClosed(raw.socket, 15 * MiB - 1)
      }),
    )
    await Promise.all(flood.map((raw) => raw.closed))
    const after = await child.ask('report')

    const growth = after.peak - before.rss
    console.log(
      `      flood: ${flood.length} connections, ${(written.reduce((a, b) => a + b, 0) / MiB).toFixed(1)} MiB written by clients; ` +
        `child RSS ${(before.rss / MiB).toFixed(1)} → peak ${(after.peak / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)} MiB), ` +
        `after ${(after.rss / MiB).toFixed(1)} MiB`,
    )
    expect(growth).to.be.below(PRE_AUTH_FLOOD_RSS_BOUND)
    for (const raw of flood) expect(closeCode(raw.received())).to.equal(CloseCode.TooBig)
    expect(after.stats.refusedConnections).to.equal(0)
    // Every slot is given back (a refused socket the listener stopped reading goes within 500 ms).
    await released(child, 'the flood connections')
  })
})
