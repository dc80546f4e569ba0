/**
 * A min-heap of timed events for the election simulation: pops in (time, insertion order).
 * Pure leaf.
 */
interface Slot<T> {
  readonly at: number
  readonly seq: number
  readonly value: T
}

export class EventQueue<T> {
  private readonly heap: Slot<T>[] = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  push(at: number, value: T): void {
    const heap = this.heap
    heap.push({ at, seq: this.seq++, value })
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!less(heap[i]!, heap[parent]!)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  /** Time of the earliest event; Infinity when empty. */
  peekTime(): number {
    return this.heap[0]?.at ?? Infinity
  }

  pop(): T | undefined {
    const heap = this.heap
    const top = heap[0]
    if (!top) return undefined
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r
        if (m === i) break
        ;[heap[i], heap[m]] = [heap[m]!, heap[i]!]
        i = m
      }
    }
    return top.value
  }
}

function less<T>(a: Slot<T>, b: Slot<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}
