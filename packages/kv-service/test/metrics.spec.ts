import { expect } from 'chai'
import type { Status } from '@raftkit/raft-core'
import { NodeMetrics } from '../src/http/metrics.js'
import type { StorageCounters, TransportCounters } from '../src/http/metrics.js'

// `as`: only the fields the metrics read (raft-core's Status may grow).
const STATUS = {
  id: 'n1',
  role: 'follower',
  term: 3,
  leader: 'n2',
  votedFor: 'n2',
  commitIndex: 7,
  appliedIndex: 7,
  firstIndex: 1,
  lastIndex: 7,
  snapshotIndex: 0,
  snapshotTerm: 0,
} as Status

/** The value of an unlabelled sample in Prometheus text. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? undefined : Number(line.slice(name.length + 1))
}

describe('NodeMetrics: transport and storage counters', () => {
  it('exports the running totals of the transport and the storage as Prometheus counters', async () => {
    let transport: TransportCounters = {
      sent: 10,
      received: 12,
      bytesSent: 1000,
      bytesReceived: 1200,
      dropped: 1,
    }
    let storage: StorageCounters = { writes: 5, groups: 4, syncs: 3, inlineSyncs: 2 }
    const m = new NodeMetrics({
      status: () => STATUS,
      transport: () => transport,
      storage: () => storage,
    })
    let text = await m.metrics()
    expect(text).to.include('# TYPE raftkit_transport_messages_sent_total counter')
    expect(sample(text, 'raftkit_transport_messages_sent_total')).to.equal(10)
    expect(sample(text, 'raftkit_transport_messages_received_total')).to.equal(12)
    expect(sample(text, 'raftkit_transport_bytes_sent_total')).to.equal(1000)
    expect(sample(text, 'raftkit_transport_bytes_received_total')).to.equal(1200)
    expect(sample(text, 'raftkit_transport_messages_dropped_total')).to.equal(1)
    expect(sample(text, 'raftkit_storage_batches_total')).to.equal(5)
    expect(sample(text, 'raftkit_storage_flushes_total')).to.equal(4)
    expect(sample(text, 'raftkit_storage_syncs_total')).to.equal(3)
    expect(sample(text, 'raftkit_storage_inline_syncs_total')).to.equal(2)

    transport = { ...transport, sent: 25 }
    storage = { ...storage, syncs: 9 }
    text = await m.metrics()
    expect(sample(text, 'raftkit_transport_messages_sent_total')).to.equal(25)
    expect(sample(text, 'raftkit_storage_syncs_total')).to.equal(9)
    // A counter never goes down, even if a source restarted from zero.
    transport = { ...transport, sent: 2 }
    text = await m.metrics()
    expect(sample(text, 'raftkit_transport_messages_sent_total')).to.equal(25)
  })

  it('has no transport or storage counters when no source gives them', async () => {
    const text = await new NodeMetrics({ status: () => STATUS }).metrics()
    expect(text).to.not.include('raftkit_transport_')
    expect(text).to.not.include('raftkit_storage_')
    expect(sample(text, 'raftkit_raft_term')).to.equal(3)
  })
})
