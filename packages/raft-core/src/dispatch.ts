/**
 * Dispatch: a message of the current term goes to its handler by type and role, after
 * RaftCore.step has handled its term (Figure 2 "All servers"); a message from an older term is
 * answered with ours. Functions over the node (NodeView, node-view.ts; RaftCore owns the state).
 */
import type { NodeView } from './node-view.js'
import type { Message } from './messages.js'
import { handleRequestVote, handleVoteReply } from './election.js'
import { handleTimeoutNow } from './leadership-transfer.js'
import { handleAppendEntries, handleAppendEntriesReply } from './replication.js'
import { handleInstallSnapshot, handleInstallSnapshotReply } from './snapshot-transfer.js'

export function dispatch(core: NodeView, m: Message): void {
  switch (m.type) {
    case 'TimeoutNow':
      return handleTimeoutNow(core, m)
    case 'RequestVote':
      return handleRequestVote(core, m)
    case 'RequestVoteReply':
      return handleVoteReply(core, m)
    case 'AppendEntries':
    case 'InstallSnapshot':
      if (core.role === 'leader') {
        core.logger.error('two leaders in one term: ignoring', core.fields({ from: m.from }))
        return
      }
      // A candidate that hears from the leader of its term returns to follower (Figure 2).
      if (core.role !== 'follower' || core.leader !== m.from) core.becomeFollower(core.term, m.from)
      core.electionElapsed = 0
      return m.type === 'AppendEntries'
        ? handleAppendEntries(core, m)
        : handleInstallSnapshot(core, m)
    case 'AppendEntriesReply':
      if (core.role === 'leader') handleAppendEntriesReply(core, m)
      return
    case 'InstallSnapshotReply':
      if (core.role === 'leader') handleInstallSnapshotReply(core, m)
      return
  }
}

/** A message from an older term: tell requesters our term (Figure 2 "reply false"). */
export function answerStale(core: NodeView, m: Message): void {
  switch (m.type) {
    case 'RequestVote':
      return core.send({
        type: 'RequestVoteReply',
        to: m.from,
        granted: false,
        preVote: m.preVote,
      })
    case 'AppendEntries':
      return core.send({
        type: 'AppendEntriesReply',
        to: m.from,
        success: false,
        matchIndex: m.prevLogIndex,
      })
    case 'InstallSnapshot':
      return core.send({
        type: 'InstallSnapshotReply',
        to: m.from,
        lastIncludedIndex: m.lastIncludedIndex,
        nextOffset: 0,
        done: false,
      })
    case 'TimeoutNow': // from a deposed leader
    case 'RequestVoteReply':
    case 'AppendEntriesReply':
    case 'InstallSnapshotReply':
      return // replies from an older term carry nothing we need
  }
}
