/**
 * Memory of one KvStateMachine holding 1 M keys (16-byte keys, 128-byte values: 144 MB of raw
 * data), filled through its apply path (one session, one put command per key). Measures heap
 * used and RSS after a full GC, before and after, and reports them against the raw data size
 * (the aim is at most 2.5×). Needs --expose-gc:
 *
 *   node --expose-gc --import tsx --conditions=@raftkit/source bench/kv-memory.ts [--keys 1000000]
 */
import { parseArgs } from 'node:util'
import { KvStateMachine, encodeCommand } from '@raftkit/kv-service'

const { values } = parseArgs({ options: { keys: { type: 'string', default: '1000000' } } })
const keys = Number(values.keys)
if (!(Number.isSafeInteger(keys) && keys > 0))
  throw new RangeError('--keys must be a positive integer')

const KEY_BYTES = 16
const VALUE_BYTES = 128
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) {
  console.error('kv-memory: run with node --expose-gc (see the header of this file)')
  process.exit(2)
}

function collect(): { heap: number; rss: number } {
  for (let i = 0; i < 3; i++) gc!()
  const m = process.memoryUsage()
  return { heap: m.heapUsed + m.external + m.arrayBuffers, rss: m.rss }
}

function main(): void {
  const sm = new KvStateMachine()
  const before = collect()
  let index = 1
  sm.apply(encodeCommand({ op: 'open', clientId: 'bench' }), index++)
  const t0 = performance.now()
  for (let i = 0; i < keys; i++) {
    const key = `k${String(i).padStart(KEY_BYTES - 1, '0')}`
    // Distinct values, so that no two entries can share one string.
    const value = `${String(i).padStart(12, '0')}${'v'.repeat(VALUE_BYTES - 12)}`
    const cmd = encodeCommand({ op: 'put', key, value, clientId: 'bench', seq: i + 1 })
    sm.apply(cmd, index++)
  }
  const fillMs = performance.now() - t0
  const after = collect()
  if (sm.keyCount !== keys) throw new Error(`expected ${keys} keys, got ${sm.keyCount}`)
  const raw = keys * (KEY_BYTES + VALUE_BYTES)
  const heap = after.heap - before.heap
  const rss = after.rss - before.rss
  const row = {
    bench: 'kv-memory',
    keys,
    rawBytes: raw,
    heapBytes: heap,
    rssBytes: rss,
    heapPerKey: Math.round(heap / keys),
    heapRatio: Number((heap / raw).toFixed(2)),
    rssRatio: Number((rss / raw).toFixed(2)),
    fillSeconds: Number((fillMs / 1000).toFixed(1)),
  }
  console.log(JSON.stringify(row))
  const mb = (b: number) => (b / 1e6).toFixed(1)
  console.table([
    {
      keys,
      'raw MB': mb(raw),
      'heap MB': mb(heap),
      'heap ×raw': row.heapRatio,
      'RSS MB': mb(rss),
      'RSS ×raw': row.rssRatio,
      'bytes/key (heap)': row.heapPerKey,
    },
  ])
  // Keep the state machine alive until after the measurement.
  if (sm.get('k000000000000000') === 'never') console.log('')
}

main()
