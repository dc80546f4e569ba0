/**
 * Snapshot transfer (Figure 13, chunked): the leader streams its snapshot to a follower whose
 * needed entries were compacted, one chunk in flight, resuming from the offset the follower
 * reports (bug #19: the transfer is tracked explicitly and resumable). The follower reassembles
 * (snapshot-receiver.ts) and installs it into its log.
 */
import type { NodeView } from './node-view.js'
import type { InstallSnapshot, InstallSnapshotReply } from './messages.js'
import type { Progress, SnapshotTransfer } from './progress.js'
import type { NodeId } from './types.js'
import { restoredSnapshot } from './membership-change.js'

export function startSnapshotTransfer(core: NodeView, to: NodeId, pr: Progress): void {
  const snapshot = core.log.snapshot
  if (snapshot === undefined)
    throw new Error(`invariant: entries for ${to} are compacted but there is no snapshot`)
  core.logger.info('sending snapshot', core.fields({ to, index: snapshot.meta.index }))
  sendChunk(core, to, pr.becomeSnapshot(snapshot))
}

function sendChunk(core: NodeView, to: NodeId, t: SnapshotTransfer): void {
  const { data, meta } = t.snapshot
  const chunk = data.slice(t.offset, t.offset + core.config.snapshotChunkBytes)
  core.send({
    type: 'InstallSnapshot',
    to,
    lastIncludedIndex: meta.index,
    lastIncludedTerm: meta.term,
    offset: t.offset,
    data: chunk,
    totalBytes: data.byteLength,
    done: t.offset + chunk.byteLength >= data.byteLength,
    ...(meta.membership ? { membership: meta.membership } : {}),
  })
  t.ticksSinceSend = 0
}

/** Resends the current chunk to followers that did not answer within a heartbeat interval. */
export function tickSnapshotTransfers(core: NodeView): void {
  for (const [to, pr] of core.progress) {
    const t = pr.transfer
    if (t === undefined) continue
    t.ticksSinceSend++
    if (t.ticksSinceSend >= core.config.heartbeatTicks) sendChunk(core, to, t)
  }
}

export function handleInstallSnapshotReply(core: NodeView, m: InstallSnapshotReply): void {
  const pr = core.progress.get(m.from)
  if (pr === undefined) return
  pr.recentActive = true
  if (m.done) {
    // The follower holds everything up to the snapshot: resume normal replication after it.
    if (pr.maybeUpdate(m.lastIncludedIndex)) core.maybeCommit()
    if (pr.state === 'snapshot') {
      pr.becomeProbe(pr.match + 1)
      core.maybeSendAppends(m.from, true)
    }
    return
  }
  const t = pr.transfer
  if (t === undefined || t.snapshot.meta.index !== m.lastIncludedIndex) return
  t.offset = Math.min(m.nextOffset, t.snapshot.data.byteLength)
  sendChunk(core, m.from, t)
}

/** InstallSnapshot receiver. */
export function handleInstallSnapshot(core: NodeView, m: InstallSnapshot): void {
  const { log } = core
  const reply = (nextOffset: number, done: boolean): void =>
    core.send({
      type: 'InstallSnapshotReply',
      to: m.from,
      lastIncludedIndex: m.lastIncludedIndex,
      nextOffset,
      done,
    })
  // Older than what we committed: we already hold all of it.
  if (m.lastIncludedIndex <= log.committed) return reply(m.totalBytes, true)
  const result = core.receiver.accept(m)
  if (result.data === undefined) return reply(result.nextOffset, false)
  const meta = { index: m.lastIncludedIndex, term: m.lastIncludedTerm }
  const kept = log.restore({
    meta: m.membership ? { ...meta, membership: m.membership } : meta,
    data: result.data,
  })
  restoredSnapshot(core, m.lastIncludedIndex, m.membership, kept)
  core.logger.info('installed snapshot', core.fields({ index: m.lastIncludedIndex }))
  reply(result.nextOffset, true)
}
