/**
 * Progress on the terminal (stderr): which section runs, how far along the matrix is, and the
 * time spent. Lines, not a redrawn bar, so that a CI log reads the same.
 */
export class Progress {
  private readonly t0 = performance.now()
  private done = 0

  constructor(
    private readonly total: number,
    private readonly write: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  ) {}

  /** One step of the matrix starts. */
  step(what: string): void {
    this.done++
    this.write(`[report ${this.elapsed()}] (${this.done}/${this.total}) ${what}`)
  }

  /** A detail within the current step. */
  info(what: string): void {
    this.write(`[report ${this.elapsed()}]     ${what}`)
  }

  private elapsed(): string {
    const s = Math.round((performance.now() - this.t0) / 1000)
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
  }
}
