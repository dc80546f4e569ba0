/**
 * Hostile configuration: a node whose data directory cannot be used — it cannot be created
 * (under /proc), a part of its path is a file, or it is a file — ends promptly with exit code 2
 * and a message naming `nodes[i].dataDir`, instead of hanging or exiting 1 with a raw errno.
 * (The run is bounded: a node that hangs is killed, which fails the exit-code check.)
 */
import { expect } from 'chai'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { initClusterDir, runRaftkit } from '@raftkit/kv-service/chaos'

describe('hostile: a data directory that cannot be used', function () {
  this.timeout(120_000)
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftkit-hostile-datadir-'))
  })
  after(async () => rm(dir, { recursive: true, force: true }))

  it('raftkit serve exits 2 naming nodes[1].dataDir, for each way the directory is unusable', async () => {
    const file = await initClusterDir(dir, 3)
    const config = JSON.parse(await readFile(file, 'utf8')) as {
      nodes: { id: string; dataDir: string }[]
    }
    const plain = join(dir, 'a-file')
    await writeFile(plain, 'not a directory')
    // One cluster file per case, so the three nodes start side by side.
    const runs = await Promise.all(
      ['/proc/raftkit-nope', join(plain, 'sub'), plain].map(async (bad, i) => {
        const nodes = config.nodes.map((n, j) => (j === 1 ? { ...n, dataDir: bad } : n))
        const caseFile = join(dir, `cluster-${i}.json`)
        await writeFile(caseFile, JSON.stringify({ ...config, nodes }, null, 2))
        const args = ['serve', '--config', caseFile, '--id', config.nodes[1]!.id]
        return { bad, run: await runRaftkit(args, 30_000) }
      }),
    )
    for (const { bad, run } of runs) {
      expect(run.code, `${bad}: ${run.stderr}`).to.equal(2)
      expect(run.stderr, bad).to.include('nodes[1].dataDir')
    }
  })
})
