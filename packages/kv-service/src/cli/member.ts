/**
 * `raftkit member list|add|promote|remove`, `raftkit transfer-leader` and `raftkit serve --join`:
 * membership changes of a running cluster over the authenticated admin endpoints
 * (http/members.ts), and a new node that starts empty and catches up once added.
 */
import { resolve } from 'node:path'
import type { ClusterConfig, NodeSpec } from '../config/cluster-config.js'
import { formatHostPort, loadClusterConfig, parseHostPort } from '../config/cluster-config.js'
import { readClientTls } from '../config/tls.js'
import { KvConfigError } from '../errors.js'
import { MembersClient, MembersError } from '../http/members-client.js'
import type { MembersView } from '../http/members-protocol.js'
import type { MemberAddress } from '../state-machine.js'
import type { Io, Values } from './args.js'
import { UsageError, intFlag, logLevel, parse, required } from './args.js'
import { createPinoLogger } from './logging.js'
import { startNode } from './node.js'
import { stopRequested } from './stop-request.js'

export const MEMBER_USAGE = `  raftkit member list                          --config F [--timeout MS]
  raftkit member add ID --peer H:P --http H:P  --config F    records the addresses, adds ID as a learner
  raftkit member promote ID                    --config F    waits until learner ID caught up, makes it a voter
  raftkit member remove ID                     --config F    removes a voter or learner (it may be down)
  raftkit transfer-leader --to ID              --config F    hands leadership to voter ID
  raftkit serve --join --config F --id ID --peer H:P --http H:P --data-dir DIR [--log-level L]
                                an empty new node (not in F) that waits to be added; restart it
                                with the same command line`

/** A MembersClient for the nodes of the cluster file. */
export function membersClient(config: ClusterConfig, deadlineMs?: number): MembersClient {
  const tls = readClientTls(config)
  return new MembersClient({
    endpoints: config.nodes.map((n) => formatHostPort(n.http)),
    secret: config.secret,
    ...(tls ? { tls } : {}),
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  })
}

export function renderMembers(v: MembersView): string {
  const state = v.joint
    ? `joint: new voters [${v.voters.join(' ')}], old voters [${v.outgoing.join(' ')}]`
    : `voters [${v.voters.join(' ')}]`
  const lines = [
    `leader ${v.leader ?? '(none known)'}  term ${v.term}  (answered by ${v.node})`,
    `${state}  learners [${v.learners.join(' ')}]  config index ${v.configIndex}${v.committed ? '' : ' (not yet committed)'}${v.leadTransferee ? `  transferring to ${v.leadTransferee}` : ''}`,
    '',
    'ID        ROLE      PEER                   HTTP                   MATCH     STATE',
  ]
  for (const m of v.members)
    lines.push(
      [
        m.id.padEnd(9),
        (m.id === v.leader ? 'leader' : m.role).padEnd(9),
        (m.peer ?? '?').padEnd(22),
        (m.http ?? '?').padEnd(22),
        String(m.progress?.match ?? (m.id === v.leader ? '-' : '')).padEnd(9),
        m.progress?.state ?? '',
      ].join(' '),
    )
  return lines.join('\n') + '\n'
}

/** `raftkit member ...` */
export async function cmdMember(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      config: { type: 'string' },
      peer: { type: 'string' },
      http: { type: 'string' },
      timeout: { type: 'string' },
    },
    'any',
  )
  const [sub, id, ...extra] = positionals
  if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0] ?? ''}`)
  const needsId = sub === 'add' || sub === 'promote' || sub === 'remove'
  if (sub !== 'list' && !needsId)
    throw new UsageError('expected member list | add ID | promote ID | remove ID')
  if (needsId && (id === undefined || id.length === 0))
    throw new UsageError(`member ${sub} needs a node id`)
  if (sub === 'list' && id !== undefined) throw new UsageError('member list takes no id')
  const config = await loadClusterConfig(required(values, 'config'))
  const client = membersClient(config, timeoutFlag(values))
  return run(io, `member ${sub}`, async () => {
    switch (sub) {
      case 'add': {
        const peer = formatHostPort(parseHostPort('--peer', required(values, 'peer')))
        const http = formatHostPort(parseHostPort('--http', required(values, 'http')))
        return client.addLearner({ id: id as string, peer, http })
      }
      case 'promote':
        return client.promote(id as string)
      case 'remove':
        return client.remove(id as string)
      case 'list':
      case undefined:
        return client.list()
    }
  })
}

/** `raftkit transfer-leader --to ID --config F` */
export async function cmdTransferLeader(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      config: { type: 'string' },
      to: { type: 'string' },
      timeout: { type: 'string' },
    },
    'any',
  )
  if (positionals.length > 0) throw new UsageError('transfer-leader takes no arguments')
  const to = required(values, 'to')
  const config = await loadClusterConfig(required(values, 'config'))
  const client = membersClient(config, timeoutFlag(values))
  return run(io, 'transfer-leader', () => client.transferLeader(to))
}

async function run(io: Io, name: string, action: () => Promise<MembersView>): Promise<number> {
  try {
    io.out(renderMembers(await action()))
    return 0
  } catch (e) {
    if (!(e instanceof MembersError)) throw e
    io.err(`raftkit ${name}: ${e.code}: ${e.message}\n`)
    return 1
  }
}

/** `--timeout MS`, if given: the members client's deadline (else its own default). */
function timeoutFlag(values: Values): number | undefined {
  return values.timeout === undefined ? undefined : intFlag(values, 'timeout')
}

/**
 * `raftkit serve --join ...`: the node is not in the cluster file; it asks the cluster for the
 * addresses of members added since (best effort), starts empty with Raft's `join`, and waits to
 * be added (`raftkit member add`) and promoted. Returns the running node.
 */
export async function startJoiningNode(
  argv: readonly string[],
  io: Io,
): Promise<{ stop(): Promise<void> } | 'interrupted'> {
  const { values, positionals } = parse(
    argv,
    {
      join: { type: 'boolean' },
      config: { type: 'string' },
      id: { type: 'string' },
      peer: { type: 'string' },
      http: { type: 'string' },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string' },
    },
    'any',
  )
  if (positionals.length > 0) throw new UsageError('serve takes no arguments')
  const signalled = stopRequested(io)
  const config = await loadClusterConfig(required(values, 'config'))
  const id = required(values, 'id')
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id))
    throw new KvConfigError('--id', 'must be 1-64 of A-Z a-z 0-9 _ . -')
  if (config.nodes.some((n) => n.id === id))
    throw new KvConfigError(
      '--id',
      `${id} is in the cluster file: start it with raftkit serve --config F --id ${id}`,
    )
  const level = logLevel(values, config.logLevel)
  const spec: NodeSpec = {
    id,
    peer: parseHostPort('--peer', required(values, 'peer')),
    http: parseHostPort('--http', required(values, 'http')),
    dataDir: resolve(required(values, 'data-dir')),
  }
  const logger = createPinoLogger(level, { node: id })
  const addresses = new Map<string, MemberAddress>()
  try {
    const view = await membersClient(config, 5_000).list()
    for (const m of view.members)
      if (m.peer !== null && m.http !== null && m.id !== id)
        addresses.set(m.id, { peer: m.peer, http: m.http })
  } catch (e) {
    logger.warn('could not ask the cluster for its members; using the cluster file', {
      error: (e as Error).message,
    })
  }
  if (signalled()) {
    // A signal before start-up (e.g. while the CLI was loading): nothing started, nothing to stop.
    logger.info('stopping on signal before start-up', { id })
    return 'interrupted'
  }
  const starting = startNode({ ...config, nodes: [...config.nodes, spec] }, id, logger, {
    join: true,
    addresses,
  })
  const first = await Promise.race([
    starting.then((n) => ({ node: n })),
    io.interrupted.then(() => 'interrupted' as const),
  ])
  if (first === 'interrupted') {
    void starting.then(
      (n) => n.stop(),
      () => undefined,
    )
    return 'interrupted'
  }
  logger.info('joining node started: add it with raftkit member add, then promote it', { id })
  return first.node
}
