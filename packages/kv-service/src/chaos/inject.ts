/**
 * The chaos monkey's faults as they are applied to a running cluster: each step of the seeded
 * schedule (schedule.ts) is aimed, applied, held and repaired here.
 */
import type { ClusterConfig, MembersClient } from '../index.js'
import { formatHostPort } from '../config/cluster-config.js'
import type { ClusterAdmin, LeaderInfo } from './admin.js'
import { delay } from './admin.js'
import type { NodeProcesses } from './processes.js'
import type { FaultStep } from './schedule.js'
import { pickNode, splitGroups } from './schedule.js'
import type { ShardedChaosCluster } from './sharded.js'

/** Leaders by Raft group (one group, "", for a single-group cluster). */
export type LeadersOf = (timeoutMs?: number) => Promise<Map<string, LeaderInfo>>

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

export interface FaultContext {
  readonly nodes: NodeProcesses
  readonly admin: ClusterAdmin
  readonly ids: readonly string[]
  readonly say: (line: string) => void
  readonly signal: AbortSignal | undefined
  readonly quiet: boolean
  readonly members: MembersClient
  readonly config: ClusterConfig
  readonly leaders: LeadersOf
  readonly sharded: ShardedChaosCluster | undefined
}

/** Adds back (learner, then voter) every node of the cluster file that is not a voter. */
export async function restoreMembers(
  members: MembersClient,
  config: ClusterConfig,
  ids: readonly string[],
  say: (line: string) => void,
): Promise<void> {
  for (const id of ids) {
    const view = await members.list().catch(() => undefined)
    if (!view || view.voters.includes(id)) continue
    await readd(members, config, id).catch((e: unknown) =>
      say(`could not add ${id} back: ${(e as Error).message}`),
    )
  }
}

async function readd(members: MembersClient, config: ClusterConfig, id: string): Promise<void> {
  const spec = config.nodes.find((n) => n.id === id)
  if (!spec) return
  const view = await members.list()
  if (!view.learners.includes(id) && !view.voters.includes(id))
    await members.addLearner({
      id,
      peer: formatHostPort(spec.peer),
      http: formatHostPort(spec.http),
    })
  if (!view.voters.includes(id)) await members.promote(id)
}

export async function healAll(admin: ClusterAdmin, ids: readonly string[]): Promise<void> {
  // A node just restarted may not listen yet: retry the ones that did not answer, bounded.
  let pending = [...ids]
  for (let i = 0; i < 20 && pending.length > 0; i++) {
    pending = await admin.heal(pending)
    if (pending.length > 0) await delay(250)
  }
}

/**
 * The leader a fault aims at: the one leader of a single group; in a sharded cluster the
 * leader of one of its groups, picked by the step's draw.
 */
async function aimedLeader(leaders: LeadersOf, step: FaultStep): Promise<string | undefined> {
  const all = [...(await leaders())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return all[Math.min(all.length - 1, Math.floor(step.size * all.length))]?.[1].id
}

/** Applies one fault, holds it, repairs it. */
export async function injectFault(step: FaultStep, ctx: FaultContext): Promise<void> {
  const { nodes, admin, ids, signal } = ctx
  const say = ctx.quiet ? () => undefined : ctx.say
  const running = ids.filter((id) => nodes.state(id) === 'running')
  const leader = step.atLeader ? await aimedLeader(ctx.leaders, step) : undefined
  const target = leader ?? pickNode(running, step.pick)
  const role = (id: string): string => (id === leader ? ' (the leader)' : '')
  switch (step.kind) {
    case 'kill': {
      if (target === undefined) return
      await nodes.kill(target)
      say(`kill -9 ${target}${role(target)}; restart in ${seconds(step.holdMs)}`)
      await delay(step.holdMs, signal)
      if (nodes.state(target) === 'down') nodes.start(target)
      say(`restarted ${target}`)
      return
    }
    case 'pause': {
      if (target === undefined) return
      nodes.pause(target)
      say(`SIGSTOP ${target}${role(target)} for ${seconds(step.holdMs)}`)
      await delay(step.holdMs, signal)
      nodes.resume(target)
      say(`SIGCONT ${target}`)
      return
    }
    case 'transfer': {
      const current = (await admin.leader())?.id
      const to = pickNode(
        running.filter((id) => id !== current),
        step.pick,
      )
      if (current === undefined || to === undefined) return
      try {
        await ctx.members.transferLeader(to)
        say(`transfer-leader ${current} -> ${to}`)
      } catch (e) {
        say(`transfer-leader ${current} -> ${to} failed: ${(e as Error).message}`)
      }
      await delay(step.holdMs, signal)
      return
    }
    case 'member': {
      if (target === undefined) return
      try {
        await ctx.members.remove(target)
        say(`member remove ${target}${role(target)}; add back in ${seconds(step.holdMs)}`)
        await delay(step.holdMs, signal)
        await readd(ctx.members, ctx.config, target)
        say(`member add + promote ${target}`)
      } catch (e) {
        say(`membership change of ${target} failed: ${(e as Error).message}`)
      }
      return
    }
    case 'migrate': {
      if (!ctx.sharded) return
      say(await ctx.sharded.migrate(step))
      return
    }
    case 'partition': {
      const { minority, majority } = splitGroups(ids, step, leader)
      const failed = await admin.partition([minority, majority])
      say(
        `partition {${minority.join(',')}}${leader ? ' (with the leader)' : ''} | {${majority.join(',')}} for ${seconds(step.holdMs)}` +
          (failed.length > 0 ? ` (not told: ${failed.join(',')})` : ''),
      )
      await delay(step.holdMs, signal)
      await healAll(admin, ids)
      say('healed')
      return
    }
  }
}
