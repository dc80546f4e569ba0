/**
 * `npm start`: a 3-node raftkit cluster in this process (transport-memory + MemoryStorage,
 * real clock). It prints elections and commits, crashes the leader, shows the failover, and
 * restarts the crashed node from its persisted state so it catches up. Runs about 10 seconds.
 */
import {
  MemoryStorage,
  Raft,
  SystemClock,
  packValue,
  unpackValue,
  createRng,
} from '@raftkit/raft-core'
import type { ApplyMsg, NodeId } from '@raftkit/raft-core'
import { createMemoryNetwork } from '@raftkit/transport-memory'

const ids: NodeId[] = ['n1', 'n2', 'n3']
const clock = new SystemClock()
const network = createMemoryNetwork({ seed: 7, clock })
const storages = new Map<NodeId, MemoryStorage>()
const nodes = new Map<NodeId, Raft>()
const t0 = clock.now()
const log = (line: string): void =>
  console.log(`[${((clock.now() - t0) / 1000).toFixed(2).padStart(6)} s] ${line}`)

async function boot(id: NodeId, storage: MemoryStorage, incarnation: number): Promise<void> {
  storages.set(id, storage)
  const raft = await Raft.create({
    id,
    peers: ids,
    transport: network.endpoint(id),
    storage,
    clock,
    rng: createRng(incarnation * 100 + ids.indexOf(id)),
  })
  raft.onApply((msg: ApplyMsg) => {
    if (msg.kind === 'command')
      log(`${id} applied #${msg.index} (term ${msg.term}): ${String(unpackValue(msg.command))}`)
  })
  nodes.set(id, raft)
}

function leader(): Raft | undefined {
  return [...nodes.values()].find((n) => n.getState().isLeader)
}

async function waitForLeader(): Promise<Raft> {
  for (let i = 0; i < 100; i++) {
    const l = leader()
    if (l) return l
    await clock.sleep(50)
  }
  throw new Error('no leader elected within 5 s')
}

async function propose(text: string): Promise<void> {
  const l = await waitForLeader()
  const r = l.start(packValue(text))
  log(`${l.id} (leader, term ${r.term}) accepted "${text}" at index ${r.index}`)
  await clock.sleep(150)
}

async function main(): Promise<void> {
  log('starting n1, n2, n3 (election timeout 300–600 ms, heartbeat 100 ms)')
  for (const id of ids) await boot(id, new MemoryStorage(), 1)
  const first = await waitForLeader()
  log(`${first.id} is leader for term ${first.getState().term}`)
  for (const word of ['alpha', 'beta', 'gamma']) await propose(word)

  log(`crashing the leader ${first.id}`)
  const crashed = first.id
  const saved = (storages.get(crashed) as MemoryStorage).clone()
  network.disconnect(crashed)
  await first.kill()
  nodes.delete(crashed)
  const second = await waitForLeader()
  log(`${second.id} took over as leader for term ${second.getState().term}`)
  for (const word of ['delta', 'epsilon']) await propose(word)

  log(`restarting ${crashed} from its persisted state`)
  network.connect(crashed)
  await boot(crashed, saved, 2)
  await propose('zeta')
  await clock.sleep(500)
  for (const n of nodes.values()) {
    const s = n.status()
    log(
      `${s.id}: ${s.role.padEnd(9)} term ${s.term}  commit ${s.commitIndex}  applied ${s.appliedIndex}`,
    )
  }
  for (const n of nodes.values()) await n.kill()
  await network.close()
  log('done')
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
