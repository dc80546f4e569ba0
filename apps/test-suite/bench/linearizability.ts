/**
 * How long the linearizability checker takes on realistic kv histories (clients issue
 * operations back to back with random latencies, ~2% of them time out): 1000 operations, and
 * 80 000 (what a 60 s chaos run records).
 * Prints one JSON line per scenario, then a table.
 *
 *   npx tsx --conditions=@raftkit/source bench/linearizability.ts
 */
import { createRng, type Rng } from '@raftkit/raft-core'
import {
  checkOperations,
  kvModel,
  type KvInput,
  type KvOutput,
  type Operation,
} from '@raftkit/linearizability'

interface Scenario {
  readonly name: string
  readonly clients: number
  readonly ops: number
  readonly keys: number
  readonly seed: number
}

const SCENARIOS: Scenario[] = [
  { name: '5 clients, 1000 ops, 5 keys', clients: 5, ops: 1000, keys: 5, seed: 1 },
  { name: '5 clients, 1000 ops, 1 key', clients: 5, ops: 1000, keys: 1, seed: 2 },
  // The size of a 60 s `raftkit chaos` run's history (4 clients, 4 keys).
  { name: '4 clients, 80000 ops, 4 keys', clients: 4, ops: 80_000, keys: 4, seed: 3 },
]
const RUNS = 5

interface Planned {
  clientId: number
  input: KvInput
  call: number
  at: number
  ret: number
}

/** Plans each client's sequential operations, then executes them in linearization order. */
function generate(s: Scenario, rng: Rng): Operation<KvInput, KvOutput>[] {
  const planned: Planned[] = []
  const clock = new Array<number>(s.clients).fill(0)
  for (let i = 0; i < s.ops; i++) {
    const clientId = i % s.clients
    const call = clock[clientId]! + rng.int(3)
    const latency = 1 + rng.int(20)
    const key = `k${rng.int(s.keys)}`
    const roll = rng.next()
    const input: KvInput =
      roll < 0.5
        ? { op: 'append', key, value: `x ${clientId} ${i} y` }
        : roll < 0.6
          ? { op: 'put', key, value: `p${i}` }
          : { op: 'get', key }
    const lost = rng.next() < 0.02
    planned.push({
      clientId,
      input,
      call,
      at: call + rng.next() * latency,
      ret: lost ? Infinity : call + latency,
    })
    clock[clientId] = call + latency + (lost ? 30 : 0)
  }
  const store = new Map<string, string>()
  const outputs = new Map<Planned, KvOutput>()
  for (const p of [...planned].sort((a, b) => a.at - b.at)) {
    const cur = store.get(p.input.key) ?? ''
    if (p.input.op === 'get') outputs.set(p, { value: cur })
    else {
      store.set(p.input.key, p.input.op === 'put' ? p.input.value! : cur + p.input.value!)
      outputs.set(p, {})
    }
  }
  return planned.map((p) => ({
    clientId: p.clientId,
    input: p.input,
    output: p.ret === Infinity ? undefined : outputs.get(p),
    call: p.call,
    return: p.ret,
  }))
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const rows = SCENARIOS.map((s) => {
  const history = generate(s, createRng(s.seed))
  const times: number[] = []
  let result = ''
  let steps = 0
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    const r = checkOperations(kvModel, history, { timeoutMs: 60_000 })
    times.push(performance.now() - t0)
    result = r.result
    steps = r.partitions.reduce((n, p) => n + (p.stats?.steps ?? 0), 0)
  }
  const row = {
    bench: 'linearizability',
    scenario: s.name,
    clients: s.clients,
    ops: s.ops,
    keys: s.keys,
    result,
    runs: RUNS,
    medianMs: Number(median(times).toFixed(2)),
    minMs: Number(Math.min(...times).toFixed(2)),
    steps,
  }
  console.log(JSON.stringify(row))
  return row
})

console.table(
  rows.map((r) => ({
    scenario: r.scenario,
    result: r.result,
    'median ms': r.medianMs,
    'min ms': r.minMs,
    'search steps': r.steps,
  })),
)
