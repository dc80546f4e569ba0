/** The checker's time budget, shared by every partition of one check. */
export class Budget {
  private readonly deadline: number

  constructor(
    private readonly now: () => number,
    timeoutMs: number,
  ) {
    this.deadline = now() + timeoutMs
  }

  expired(): boolean {
    return this.deadline !== Infinity && this.now() >= this.deadline
  }
}

/** How many search steps run between two looks at the clock (reading it is not free). */
export const STEPS_PER_CLOCK_CHECK = 256
