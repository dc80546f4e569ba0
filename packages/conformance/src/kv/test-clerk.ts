/**
 * TestClerk: a clerk of the key/value harness — a KvClient whose get, put and append go
 * through the cluster's record(), which counts each operation and (unless its client id is
 * null) records it in the history for the linearizability check.
 */
import type { KvClient } from '@raftkit/kv-service'
import type { ClientId, KvInput, KvOutput } from '@raftkit/linearizability'

/** What a TestClerk needs of its cluster (KvCluster in harness.ts). */
export interface ClerkRecorder {
  /** Runs one clerk operation, counting it and recording it in the history unless id is null. */
  record(clientId: ClientId | null, input: KvInput, run: () => Promise<KvOutput>): Promise<KvOutput>
}

/** A clerk of the test: a KvClient whose calls are counted and (by default) recorded. */
export class TestClerk {
  constructor(
    readonly name: string,
    readonly client: KvClient,
    private readonly cluster: ClerkRecorder,
  ) {}

  /** Get, recorded in the history as `clientId` (null: not recorded). */
  get(key: string, clientId: ClientId | null = this.name): Promise<string> {
    return this.cluster
      .record(clientId, { op: 'get', key }, async () => {
        const value = await this.client.get(key)
        return { value }
      })
      .then((o) => o.value ?? '')
  }

  async put(key: string, value: string, clientId: ClientId | null = this.name): Promise<void> {
    await this.cluster.record(clientId, { op: 'put', key, value }, async () => {
      await this.client.put(key, value)
      return {}
    })
  }

  async append(key: string, value: string, clientId: ClientId | null = this.name): Promise<void> {
    await this.cluster.record(clientId, { op: 'append', key, value }, async () => {
      await this.client.append(key, value)
      return {}
    })
  }
}
