/**
 * Log replication (§5.3): the leader's AppendEntries sending and reply handling, and the
 * AppendEntries receiver. Functions over the node (NodeView, node-view.ts; RaftCore owns the state).
 */
import type { NodeView } from './node-view.js'
import type { AppendEntries, AppendEntriesReply } from './messages.js'
import type { Progress } from './progress.js'
import type { NodeId } from './types.js'
import { startSnapshotTransfer } from './snapshot-transfer.js'
import { appendedConfigs, decodeConfigs } from './membership-change.js'
import { maybeSendTimeoutNow } from './leadership-transfer.js'

// -----------------------------------------------------------------------------------------------
// Leader: sending

/**
 * Sends one AppendEntries to `to` with every pending entry (up to maxBytesPerAppend), unless flow
 * control pauses the follower. Switches the follower to snapshot state when the entries it needs
 * are compacted. Returns true if something was sent.
 */
export function sendAppend(core: NodeView, to: NodeId, sendIfEmpty: boolean): boolean {
  const pr = core.progress.get(to)
  if (pr === undefined || pr.isPaused(core.config.maxInflightAppends)) return false
  const { log } = core
  const prevLogIndex = pr.next - 1
  const prevLogTerm = log.term(prevLogIndex)
  if (prevLogTerm === undefined) {
    startSnapshotTransfer(core, to, pr)
    return true
  }
  const last = log.lastIndex()
  const entries = pr.next <= last ? log.slice(pr.next, last + 1, core.config.maxBytesPerAppend) : []
  if (entries.length === 0 && !sendIfEmpty) return false
  core.send({
    type: 'AppendEntries',
    to,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: log.committed,
  })
  pr.sentAppend(prevLogIndex + entries.length, entries.length)
  return true
}

/** Sends as much as flow control allows: several batches in replicate state, one in probe. */
export function maybeSendAppends(core: NodeView, to: NodeId, sendIfEmpty: boolean): boolean {
  let sent = false
  while (sendAppend(core, to, sendIfEmpty && !sent)) {
    sent = true
    if (core.progress.get(to)?.state !== 'replicate') break
  }
  return sent
}

/**
 * Called once per Ready: one AppendEntries per follower carrying all entries proposed since the
 * last Ready (the lab's RPC-count bound), or an empty one when `commitMoved` (the commit index
 * moved and is due). True when every follower was sent an AppendEntries.
 */
export function flushAppends(core: NodeView, commitMoved: boolean): boolean {
  let all = true
  for (const peer of core.others) {
    if (maybeSendAppends(core, peer, false)) continue
    if (!(commitMoved && sendAppend(core, peer, true))) all = false
  }
  return all
}

/**
 * A heartbeat is an empty AppendEntries at the follower's next index carrying
 * commit = min(leader commit, follower match) and the ReadIndex round id.
 */
export function broadcastHeartbeat(core: NodeView, round: number): void {
  const { log } = core
  for (const [to, pr] of core.progress) {
    pr.heartbeatRound = round
    let prevLogIndex = pr.next - 1
    let prevLogTerm = log.term(prevLogIndex)
    if (prevLogTerm === undefined) {
      prevLogIndex = log.snapshotIndex
      prevLogTerm = log.snapshotTerm
    }
    core.send({
      type: 'AppendEntries',
      to,
      prevLogIndex,
      prevLogTerm,
      entries: [],
      leaderCommit: Math.min(log.committed, pr.match),
      readContext: round,
    })
  }
}

// -----------------------------------------------------------------------------------------------
// Leader: replies

export function handleAppendEntriesReply(core: NodeView, m: AppendEntriesReply): void {
  const pr = core.progress.get(m.from)
  if (pr === undefined) return
  pr.recentActive = true
  if (m.readContext !== undefined && m.readContext > pr.readAck) {
    pr.readAck = m.readContext
    core.checkReads()
  }
  if (m.success) {
    const moved = pr.maybeUpdate(m.matchIndex)
    // A successful probe (even one that matched nothing new) locates the follower's log.
    if (pr.state === 'probe' && m.matchIndex >= pr.match) pr.becomeReplicate()
    if (moved) core.maybeCommit()
    // Leadership transfer: the target just caught up.
    if (m.from === core.leadTransferee && maybeSendTimeoutNow(core)) return
  } else if (!isStaleReject(pr, m.matchIndex)) {
    // On reject, matchIndex carries the prevLogIndex that was rejected.
    pr.becomeProbe(Math.min(nextFromHint(core, m, m.matchIndex), m.matchIndex))
  }
  // A lost probe is retried when a heartbeat sent after it is answered. Not on every answer: a
  // restarted follower answers everything that queued up for it while it was down (transport-ws
  // holds it), and each answer would resend the same catch-up batch (the leader stalled for
  // ~1 s in the rolling-restart bench, BENCHMARKS.md issue 13).
  if (pr.state === 'probe' && m.readContext !== undefined && m.readContext > pr.probeRound)
    pr.probeSent = false
  maybeSendAppends(core, m.from, false)
}

function isStaleReject(pr: Progress, rejected: number): boolean {
  switch (pr.state) {
    case 'snapshot':
      return true // the transfer decides; rejections of heartbeats are expected meanwhile
    case 'replicate':
      return rejected <= pr.match // overtaken by a later acknowledgement
    case 'probe':
      return rejected !== pr.next - 1 // not an answer to our latest probe
  }
}

/**
 * Fast back-up (§5.3, the lab's TestBackup2B): skip a whole term per round trip. If we have
 * entries of the follower's conflicting term, resume after our last one; otherwise from the
 * first index the follower holds of that term (or its log end).
 */
function nextFromHint(core: NodeView, m: AppendEntriesReply, rejected: number): number {
  if (m.conflictTerm !== undefined) {
    const last = core.log.lastIndexOfTerm(m.conflictTerm)
    if (last !== undefined) return last + 1
  }
  return m.conflictIndex ?? rejected
}

// -----------------------------------------------------------------------------------------------
// Follower: the AppendEntries receiver

export function handleAppendEntries(core: NodeView, m: AppendEntries): void {
  const { log } = core
  const reply = (
    r: Pick<AppendEntriesReply, 'success' | 'matchIndex' | 'conflictIndex' | 'conflictTerm'>,
  ): void =>
    core.send({
      type: 'AppendEntriesReply',
      to: m.from,
      ...r,
      ...(m.readContext !== undefined ? { readContext: m.readContext } : {}),
    })

  let prevIndex = m.prevLogIndex
  let prevTerm = m.prevLogTerm
  let entries = m.entries
  if (prevIndex < log.snapshotIndex) {
    // Our snapshot covers committed entries, which every leader holds: skip what it covers.
    const skip = log.snapshotIndex - prevIndex
    const atSnapshot = entries[skip - 1]
    if (atSnapshot === undefined) return reply({ success: true, matchIndex: log.snapshotIndex })
    prevIndex = atSnapshot.index
    prevTerm = atSnapshot.term
    entries = entries.slice(skip)
  }

  if (!log.matchTerm(prevIndex, prevTerm))
    return reply({ success: false, matchIndex: m.prevLogIndex, ...conflictHint(core, prevIndex) })

  const firstNew = log.firstNew(entries)
  const conflict = entries[firstNew]
  if (conflict !== undefined && conflict.index <= log.committed) {
    core.logger.error(
      'AppendEntries conflicts with committed entries: ignoring it',
      core.fields({ from: m.from, index: conflict.index }),
    )
    return
  }
  // Configurations take effect on append (thesis §4.1): read them before storing the entries.
  const configs = conflict === undefined ? [] : decodeConfigs(core, entries, firstNew)
  if (configs === undefined) return
  const lastNew = log.maybeAppend(prevIndex, prevTerm, entries) ?? prevIndex
  if (conflict !== undefined) appendedConfigs(core, conflict.index, configs)
  // Figure 2, step 5: commit = min(leaderCommit, index of last new entry).
  log.commitTo(Math.min(m.leaderCommit, lastNew))
  reply({ success: true, matchIndex: lastNew })
}

/** The reject hint: the first index of the conflicting term, or our lastIndex+1 if too short. */
function conflictHint(
  core: NodeView,
  prevIndex: number,
): Pick<AppendEntriesReply, 'conflictIndex' | 'conflictTerm'> {
  const { log } = core
  if (prevIndex > log.lastIndex()) return { conflictIndex: log.lastIndex() + 1 }
  const conflictTerm = log.term(prevIndex) ?? 0
  return { conflictIndex: log.firstIndexOfTerm(prevIndex), conflictTerm }
}
