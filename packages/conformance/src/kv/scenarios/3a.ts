/** Lab 3A: the key/value service without snapshots (kvraft test_test.go, 6.5840 Spring 2023). */
import { spawn } from '../../raft/scenarios/tasks.js'
import { check, checkConcurrentAppends, element } from '../checks.js'
import { KV_ELECTION_TIMEOUT_MS } from '../harness.js'
import type { KvCluster } from '../harness.js'
import { kvScenario } from '../scenario.js'
import type { KvScenario } from '../scenario.js'
import { genericScenario, speedScenario } from './generic.js'
import type { GenericParams } from './generic.js'

const base: GenericParams = {
  nclients: 1,
  servers: 5,
  unreliable: false,
  crash: false,
  partitions: false,
  maxRaftState: -1,
  randomKeys: false,
}

export const TestBasic3A = genericScenario('TestBasic3A', '3A', base)

export const TestSpeed3A = speedScenario('TestSpeed3A', '3A', -1)

export const TestConcurrent3A = genericScenario('TestConcurrent3A', '3A', {
  ...base,
  nclients: 5,
})

export const TestUnreliable3A = genericScenario('TestUnreliable3A', '3A', {
  ...base,
  nclients: 5,
  unreliable: true,
})

/** 5 clients each Append 10 elements to one key over a lossy network: each exactly once, in order. */
async function unreliableOneKey(c: KvCluster): Promise<void> {
  const ck = c.makeClient(c.all())
  c.begin('Test: concurrent append to same key, unreliable (3A)')
  await ck.put('k', '', null)
  const nclient = 5
  const upto = 10
  const clients: Array<Promise<void>> = []
  for (let me = 0; me < nclient; me++)
    clients.push(
      spawn(async () => {
        const myck = c.makeClient(c.all())
        try {
          for (let n = 0; n < upto; n++) await myck.append('k', element(me, n), null)
        } finally {
          c.deleteClient(myck)
        }
      }),
    )
  for (const p of clients) await p
  const counts = Array.from({ length: nclient }, () => upto)
  const vx = await ck.get('k', null)
  checkConcurrentAppends(c, vx, counts)
  c.end()
}

export const TestUnreliableOneKey3A = kvScenario({
  name: 'TestUnreliableOneKey3A',
  part: '3A',
  description: 'Test: concurrent append to same key, unreliable (3A)',
  servers: 3,
  unreliable: true,
  run: unreliableOneKey,
})

/**
 * The leader is sent to a 2-server minority: the majority makes progress, the minority answers
 * neither a Put nor a Get within 1 s, and after the heal the minority's Put completes within
 * 3 s and lands after the majority's writes.
 */
async function onePartition(c: KvCluster): Promise<void> {
  const ck = c.makeClient(c.all())
  await ck.put('1', '13', null)

  c.begin('Test: progress in majority (3A)')
  const [p1, p2] = c.makePartition()
  c.partition(p1, p2)
  const ckp1 = c.makeClient(p1) // connect ckp1 to p1
  const ckp2a = c.makeClient(p2) // connect ckp2a to p2
  const ckp2b = c.makeClient(p2) // connect ckp2b to p2
  await ckp1.put('1', '14', null)
  await check(c, ckp1, '1', '14')
  c.end()

  let done0 = false
  let done1 = false
  c.begin('Test: no progress in minority (3A)')
  const put15 = spawn(async () => {
    await ckp2a.put('1', '15', null)
    done0 = true
  })
  void spawn(async () => {
    await ckp2b.get('1', null) // different clerk in p2
    done1 = true
  })
  await c.sleep(1000)
  if (done0) throw c.fail('Put in minority completed')
  if (done1) throw c.fail('Get in minority completed')
  await check(c, ckp1, '1', '14')
  await ckp1.put('1', '16', null)
  await check(c, ckp1, '1', '16')
  c.end()

  c.begin('Test: completion after heal (3A)')
  c.connectAll()
  c.connectClient(ckp2a, c.all())
  c.connectClient(ckp2b, c.all())
  await c.sleep(KV_ELECTION_TIMEOUT_MS)
  if (!done0) await Promise.race([put15, c.sleep(3000)])
  if (!done0) throw c.fail('Put did not complete')
  await check(c, ck, '1', '15')
  c.end()
}

export const TestOnePartition3A = kvScenario({
  name: 'TestOnePartition3A',
  part: '3A',
  description: 'Test: progress in majority, no progress in minority, completion after heal (3A)',
  servers: 5,
  run: onePartition,
})

export const TestManyPartitionsOneClient3A = genericScenario(
  'TestManyPartitionsOneClient3A',
  '3A',
  { ...base, partitions: true },
)

export const TestManyPartitionsManyClients3A = genericScenario(
  'TestManyPartitionsManyClients3A',
  '3A',
  { ...base, nclients: 5, partitions: true },
)

export const TestPersistOneClient3A = genericScenario('TestPersistOneClient3A', '3A', {
  ...base,
  crash: true,
})

export const TestPersistConcurrent3A = genericScenario('TestPersistConcurrent3A', '3A', {
  ...base,
  nclients: 5,
  crash: true,
})

export const TestPersistConcurrentUnreliable3A = genericScenario(
  'TestPersistConcurrentUnreliable3A',
  '3A',
  { ...base, nclients: 5, unreliable: true, crash: true },
)

export const TestPersistPartition3A = genericScenario('TestPersistPartition3A', '3A', {
  ...base,
  nclients: 5,
  crash: true,
  partitions: true,
})

export const TestPersistPartitionUnreliable3A = genericScenario(
  'TestPersistPartitionUnreliable3A',
  '3A',
  { ...base, nclients: 5, unreliable: true, crash: true, partitions: true },
)

export const TestPersistPartitionUnreliableLinearizable3A = genericScenario(
  'TestPersistPartitionUnreliableLinearizable3A',
  '3A',
  {
    nclients: 15,
    servers: 7,
    unreliable: true,
    crash: true,
    partitions: true,
    maxRaftState: -1,
    randomKeys: true,
  },
)

export const scenarios3A: readonly KvScenario[] = Object.freeze([
  TestBasic3A,
  TestSpeed3A,
  TestConcurrent3A,
  TestUnreliable3A,
  TestUnreliableOneKey3A,
  TestOnePartition3A,
  TestManyPartitionsOneClient3A,
  TestManyPartitionsManyClients3A,
  TestPersistOneClient3A,
  TestPersistConcurrent3A,
  TestPersistConcurrentUnreliable3A,
  TestPersistPartition3A,
  TestPersistPartitionUnreliable3A,
  TestPersistPartitionUnreliableLinearizable3A,
])
