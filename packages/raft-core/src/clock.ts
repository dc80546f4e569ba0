/**
 * Time, injected. `SystemClock` is the real one; `SimulatedClock` is a deterministic event
 * loop: simulated time advances only when every piece of async work has settled, to the next
 * timer, so a whole cluster run replays identically from a seed.
 */
export type TimerHandle = { readonly id: number }

export interface Clock {
  /** Milliseconds (monotonic for SystemClock; simulated for SimulatedClock). */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle | undefined): void
  /** Resolves after `ms` of this clock's time. */
  sleep(ms: number): Promise<void>
  /**
   * Optional (SimulatedClock has it): takes the place in the firing order that a 0-ms timer
   * created now would take, without creating a timer. Undefined when the clock has no such
   * order. With `setTimeoutInSlot`, a caller that might need a 0-ms timer can decide later and
   * still fire where the timer would have fired (the runtime's idle ticks: see armTick).
   */
  reserveSlot?(): ClockSlot | undefined
  /**
   * Creates a 0-ms timer in `slot` (from this clock's `reserveSlot`), or an ordinary 0-ms timer
   * when the slot's place has passed already.
   */
  setTimeoutInSlot?(slot: ClockSlot, fn: () => void): TimerHandle
}

/** A place in a deterministic clock's firing order (see `Clock.reserveSlot`). */
export interface ClockSlot {
  readonly at: number
  readonly seq: number
}

/**
 * The real clock. A timer of 0 ms (or less) does not become a Node timer (those wait at least
 * 1 ms): it joins a FIFO queue that one `setImmediate` drains, so an in-process hop or a
 * deferral costs microseconds instead of a millisecond. Each drain runs only the 0-ms timers
 * queued before it began (timers they queue wait for the next turn of the event loop, so I/O
 * is never starved). Timers with a positive delay are plain Node timers.
 */
export class SystemClock implements Clock {
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>()
  /** 0-ms timers not fired or cleared yet, in creation (= id) order. */
  private readonly immediate = new Map<number, () => void>()
  private drainScheduled = false
  private nextId = 1

  now(): number {
    return performance.now()
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    if (!(ms > 0)) {
      this.immediate.set(id, fn)
      this.scheduleDrain()
      return { id }
    }
    const t = setTimeout(() => {
      this.timers.delete(id)
      fn()
    }, ms)
    this.timers.set(id, t)
    return { id }
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return
    if (this.immediate.delete(handle.id)) return
    const t = this.timers.get(handle.id)
    if (t !== undefined) {
      clearTimeout(t)
      this.timers.delete(handle.id)
    }
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }

  /**
   * Runs `fn` and returns its result. Real time needs no driving; this exists so that code
   * written as `clock.run(async () => ...)` for a `SimulatedClock` runs unchanged on this one.
   * (`limitMs` is accepted for the same reason and ignored.)
   */
  async run<T>(fn: () => Promise<T>, _limitMs?: number): Promise<T> {
    return fn()
  }

  /** Timers created through this clock that have not fired or been cleared. */
  pending(): number {
    return this.timers.size + this.immediate.size
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return
    this.drainScheduled = true
    setImmediate(this.drain)
  }

  /** Fires the 0-ms timers queued so far, oldest first (a cleared one is gone from the map). */
  private readonly drain = (): void => {
    this.drainScheduled = false
    const last = this.nextId - 1
    try {
      for (const [id, fn] of this.immediate) {
        if (id > last) break
        this.immediate.delete(id)
        fn()
      }
    } finally {
      // Timers queued meanwhile (or left behind by a callback that threw) run on the next turn.
      if (this.immediate.size > 0) this.scheduleDrain()
    }
  }
}

/**
 * A pending timer of a SimulatedClock; it is also the handle setTimeout returns, so clearing a
 * timer is a flag on it (the heap drops a cleared timer when it reaches the top).
 */
class SimTimer implements TimerHandle {
  /** Pending, fired or cleared. */
  done = false
  constructor(
    readonly owner: SimulatedClock,
    readonly id: number,
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
}

/** Thrown by SimulatedClock.run when nothing is left to do but the scenario has not finished. */
export class SimulationStalledError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SimulationStalledError'
  }
}

/** Yields to the host event loop: every queued microtask has run when this resolves. */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * A deterministic clock. Timers fire in (time, creation order). Drive it with `run(fn)`: it
 * starts `fn`, and whenever all pending microtasks have settled it moves time to the next timer
 * and fires it, until `fn`'s promise settles.
 */
export class SimulatedClock implements Clock {
  private time: number
  private seq = 0
  private nextId = 1
  /** Binary min-heap of timers ordered by (at, seq); cleared ones stay until they reach the top. */
  private readonly heap: SimTimer[] = []
  private live = 0
  /** (at, seq) of the last timer fired. */
  private firedAt = Number.NEGATIVE_INFINITY
  private firedSeq = -1
  private idleHook: (() => Promise<void> | undefined) | null = null
  /** Number of timers fired so far (a cheap progress measure). */
  fired = 0

  constructor(startMs = 0) {
    this.time = startMs
  }

  now(): number {
    return this.time
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0
    const t = new SimTimer(this, this.nextId++, this.time + delay, this.seq++, fn)
    this.push(t)
    this.live++
    return t
  }

  reserveSlot(): ClockSlot {
    return { at: this.time, seq: this.seq++ }
  }

  setTimeoutInSlot(slot: ClockSlot, fn: () => void): TimerHandle {
    // Still ahead: at the current time and after the last timer fired (timers fire in
    // increasing (at, seq) order, so nothing placed after it has fired yet).
    const ahead =
      slot.at === this.time &&
      (slot.at > this.firedAt || (slot.at === this.firedAt && slot.seq > this.firedSeq))
    if (!ahead) return this.setTimeout(fn, 0)
    const t = new SimTimer(this, this.nextId++, slot.at, slot.seq, fn)
    this.push(t)
    this.live++
    return t
  }

  /** Clears a pending timer of this clock; anything else (fired, cleared, foreign) is ignored. */
  clearTimeout(handle: TimerHandle | undefined): void {
    if (!(handle instanceof SimTimer) || handle.owner !== this || handle.done) return
    handle.done = true
    this.live--
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms))
  }

  /** Timers pending (not fired, not cleared). */
  pending(): number {
    return this.live
  }

  /**
   * Work outside this clock that must finish before time moves (e.g. real file I/O under a
   * simulated run). Whenever the microtasks have settled, `run` and `advance` call `hook`; while
   * it returns a promise they wait for it (and let its continuations settle) before firing the
   * next timer, so that work takes no simulated time. null removes the hook.
   */
  waitBeforeAdvancing(hook: (() => Promise<void> | undefined) | null): void {
    this.idleHook = hook
  }

  /**
   * Fires every timer due at or before now+ms, in order, letting async work settle between
   * firings; time ends at now+ms.
   */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms
    await this.settle()
    for (;;) {
      const next = this.peek()
      if (!next || next.at > until) break
      this.fireNext()
      await this.settle()
    }
    this.time = Math.max(this.time, until)
  }

  /**
   * Runs `fn` to completion in simulated time. Fails with SimulationStalledError if no timer
   * is left while `fn` is still pending, or if simulated time passes `limitMs`.
   */
  async run<T>(fn: () => Promise<T>, limitMs = Number.POSITIVE_INFINITY): Promise<T> {
    let settled = false
    let value: T | undefined
    let error: unknown
    let failed = false
    const deadline = this.time + limitMs
    fn().then(
      (v) => {
        settled = true
        value = v
      },
      (e: unknown) => {
        settled = true
        failed = true
        error = e
      },
    )
    for (;;) {
      await this.settle()
      if (settled) break
      const next = this.peek()
      if (!next)
        throw new SimulationStalledError(
          'simulation stalled: no timers pending and the run has not finished',
        )
      if (next.at > deadline)
        throw new SimulationStalledError(
          `simulation passed its limit of ${limitMs} ms of simulated time`,
        )
      this.fireNext()
    }
    if (failed) throw error
    return value as T
  }

  /** Drains microtasks, then waits for the hook's outside work (if any) the same way. */
  private async settle(): Promise<void> {
    await drainMicrotasks()
    for (let busy = this.idleHook?.(); busy; busy = this.idleHook?.()) {
      await busy
      await drainMicrotasks()
    }
  }

  private fireNext(): void {
    const t = this.popLive()
    if (!t) return
    this.time = Math.max(this.time, t.at)
    this.firedAt = t.at
    this.firedSeq = t.seq
    this.fired++
    t.fn()
  }

  private peek(): SimTimer | undefined {
    const h = this.heap
    while (h.length > 0) {
      const top = h[0] as SimTimer
      if (!top.done) return top
      this.pop()
    }
    return undefined
  }

  private popLive(): SimTimer | undefined {
    const t = this.peek()
    if (!t) return undefined
    this.pop()
    t.done = true
    this.live--
    return t
  }

  // binary heap ordered by (at, seq): seq is unique, so the order is total and any correct
  // heap fires timers in the same order
  private push(t: SimTimer): void {
    const h = this.heap
    let i = h.length
    h.push(t)
    while (i > 0) {
      const p = (i - 1) >> 1
      const parent = h[p] as SimTimer
      if (!(t.at < parent.at || (t.at === parent.at && t.seq < parent.seq))) break
      h[i] = parent
      i = p
    }
    h[i] = t
  }
  private pop(): void {
    const h = this.heap
    const last = h.pop()
    const n = h.length
    if (n === 0 || !last) return
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      let m = l
      let child = h[l] as SimTimer
      const r = l + 1
      if (r < n) {
        const right = h[r] as SimTimer
        if (right.at < child.at || (right.at === child.at && right.seq < child.seq)) {
          m = r
          child = right
        }
      }
      if (!(child.at < last.at || (child.at === last.at && child.seq < last.seq))) break
      h[i] = child
      i = m
    }
    h[i] = last
  }
}
