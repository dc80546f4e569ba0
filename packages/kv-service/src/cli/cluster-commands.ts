/**
 * The commands that set up and run nodes on this machine: `raftkit init` (the cluster file),
 * `raftkit serve` (one node, until a signal), and `raftkit cluster` / `raftkit demo` (N local
 * node processes with a live status table; the demo also runs a short visible workload).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { SystemClock } from '@raftkit/raft-core'
import { KvClient } from '../client.js'
import type { ClusterConfig } from '../config/cluster-config.js'
import { formatHostPort, loadClusterConfig } from '../config/cluster-config.js'
import { initCluster } from '../config/init.js'
import type { Io } from './args.js'
import { intFlag, logLevel, parse, required } from './args.js'
import { clientRpc } from './client-commands.js'
import { LocalCluster, renderTable, sleep } from './local-cluster.js'
import type { NodeView } from './local-cluster.js'
import { createPinoLogger } from './logging.js'
import { startNode } from './node.js'
import { stopRequested } from './stop-request.js'

// ---- init / serve ----------------------------------------------------------------------------

export async function cmdInit(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(
    argv,
    {
      nodes: { type: 'string' },
      dir: { type: 'string' },
      host: { type: 'string' },
      tls: { type: 'boolean' },
    },
    0,
  )
  const { file, config } = await initCluster({
    nodes: intFlag(values, 'nodes'),
    dir: required(values, 'dir'),
    ...(typeof values.host === 'string' ? { host: values.host } : {}),
    tls: values.tls === true,
  })
  io.out(`wrote ${file}\n`)
  const scheme = config.tls ? 'https' : 'http'
  for (const n of config.nodes)
    io.out(
      `  ${n.id}: peer ${formatHostPort(n.peer)}  ${scheme} ${formatHostPort(n.http)}  data ${n.dataDir}\n`,
    )
  if (config.tls?.caFile !== undefined)
    io.out(
      `TLS: CA ${config.tls.caFile} (clients: --config ${file}, or --ca ${config.tls.caFile})\n`,
    )
  return 0
}

export async function cmdServe(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(
    argv,
    {
      config: { type: 'string' },
      id: { type: 'string' },
      'log-level': { type: 'string' },
      set: { type: 'string', multiple: true },
    },
    0,
  )
  const signalled = stopRequested(io)
  const config = await loadClusterConfig(
    required(values, 'config'),
    (values.set as string[] | undefined) ?? [],
  )
  const id = required(values, 'id')
  const logger = createPinoLogger(logLevel(values, config.logLevel), { node: id })
  if (signalled()) {
    // A signal before start-up (e.g. while the CLI was loading): nothing started, nothing to stop.
    logger.info('stopping on signal before start-up', { id })
    return 0
  }
  // A signal during start-up is honoured at once: whatever start-up is doing, the command
  // ends (a node that finishes starting later is stopped).
  const starting = startNode(config, id, logger)
  const first = await Promise.race([
    starting.then((n) => ({ node: n })),
    io.interrupted.then(() => 'interrupted' as const),
  ])
  if (first === 'interrupted') {
    logger.info('stopping on signal during start-up', { id })
    void starting.then(
      (n) => n.stop(),
      () => undefined,
    )
    return 0
  }
  const node = first.node
  await io.interrupted
  logger.info('stopping on signal', { id })
  await node.stop()
  return 0
}

// ---- cluster / demo --------------------------------------------------------------------------

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

export async function cmdCluster(argv: readonly string[], io: Io, demo: boolean): Promise<number> {
  const { values } = parse(
    argv,
    {
      nodes: { type: 'string' },
      dir: { type: 'string' },
      'log-level': { type: 'string' },
      tls: { type: 'boolean' },
    },
    0,
  )
  const n = intFlag(values, 'nodes', demo ? 3 : undefined)
  const temporary = demo && values.dir === undefined
  const dir = temporary
    ? await mkdtemp(join(tmpdir(), 'raftkit-demo-'))
    : resolve(required(values, 'dir'))
  const file = join(dir, 'cluster.json')
  try {
    let config: ClusterConfig
    if (await exists(file)) {
      config = await loadClusterConfig(file)
      io.out(`using ${file} (${config.nodes.length} nodes)\n`)
    } else {
      config = (await initCluster({ nodes: n, dir, tls: values.tls === true })).config
      io.out(`wrote ${file}\n`)
    }
    const level = logLevel(values, config.logLevel)
    const logDir = join(dir, 'logs')
    const cluster = LocalCluster.start({
      configFile: file,
      config,
      logDir,
      serveArgs: ['--log-level', level],
    })
    io.out(`started ${config.nodes.length} nodes; logs in ${logDir}\n`)
    try {
      const interrupted = io.interrupted.then(() => 'interrupted' as const)
      const leader = await Promise.race([cluster.waitForLeader(30_000), interrupted])
      if (leader !== 'interrupted') {
        io.out(`leader: ${leader}\n`)
        if (demo) await Promise.race([workload(config, io), interrupted])
        await liveStatus(cluster, io, interrupted)
      }
    } finally {
      io.out('\nstopping the nodes...\n')
      const codes = await cluster.stop()
      for (const [id, code] of codes) io.out(`  ${id} exited with ${String(code)}\n`)
      if ([...codes.values()].some((c) => c !== 0)) return 1
    }
    return 0
  } finally {
    if (temporary) await rm(dir, { recursive: true, force: true })
  }
}

async function liveStatus(
  cluster: LocalCluster,
  io: Io,
  interrupted: Promise<'interrupted'>,
): Promise<void> {
  const tty = process.stdout.isTTY
  let last = ''
  let lastPrinted = 0
  let stop = false
  void interrupted.then(() => (stop = true))
  io.out(tty ? '' : 'live status (printed when it changes; Ctrl-C to stop)\n')
  while (!stop) {
    const views: NodeView[] = await cluster.views()
    const table = renderTable(views)
    if (tty) {
      io.out(
        `\x1b[H\x1b[2J raftkit local cluster — ${new Date().toLocaleTimeString()} — Ctrl-C to stop\n\n${table}\n`,
      )
    } else if (table !== last && Date.now() - lastPrinted >= 2000) {
      io.out(`\n${table}\n`)
      last = table
      lastPrinted = Date.now()
    }
    await Promise.race([sleep(500), interrupted])
  }
}

/** The demo's visible workload: a few writes and reads through the HTTP API. */
async function workload(config: ClusterConfig, io: Io): Promise<void> {
  const rpc = clientRpc(config)
  const clock = new SystemClock()
  const client = new KvClient({
    servers: rpc.servers,
    rpc,
    clock,
    requestTimeoutMs: config.client.requestTimeoutMs,
    deadlineMs: config.client.deadlineMs,
    backoff: config.client.backoff,
  })
  const t0 = Date.now()
  const show = (line: string): void =>
    io.out(`[${((Date.now() - t0) / 1000).toFixed(3).padStart(7)} s] ${line}\n`)
  try {
    io.out('\nworkload (through the HTTP API, leader found by following redirects):\n')
    await client.put('greeting', 'hello')
    show(`put    greeting = "hello"            (leader ${client.knownLeader ?? '?'})`)
    await client.append('greeting', ', world')
    show('append greeting += ", world"')
    show(`get    greeting -> ${JSON.stringify(await client.get('greeting'))}`)
    for (let i = 1; i <= 5; i++) {
      await client.put(`counter`, String(i))
      await client.append('history', `${i};`)
      show(`put    counter = ${i}; append history += "${i};"`)
    }
    show(`get    counter -> ${JSON.stringify(await client.get('counter'))}`)
    show(`get    history -> ${JSON.stringify(await client.get('history'))}`)
    show(
      `get    missing -> ${JSON.stringify(await client.get('missing'))} (missing keys read as "")`,
    )
    io.out('\n')
    await sleep(1000)
  } finally {
    client.close()
    rpc.close()
  }
}
