import { MemoryStorage } from '../../src/memory-storage.js'
import type { StorageBatch } from '../../src/storage.js'

/**
 * MemoryStorage that records every batch and whose writes can be held back (a slow or stuck
 * disk): while held, write() waits; release() lets the waiting writes through.
 */
export class HeldStorage extends MemoryStorage {
  readonly batches: StorageBatch[] = []
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined
  hold(): void {
    this.gate ??= new Promise((resolve) => (this.open = resolve))
  }
  release(): void {
    this.open?.()
    this.gate = undefined
  }
  get held(): boolean {
    return this.gate !== undefined
  }
  override async write(batch: StorageBatch): Promise<void> {
    this.batches.push(batch)
    if (this.gate) await this.gate
    return super.write(batch)
  }
}
