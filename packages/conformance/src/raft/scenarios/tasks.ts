/**
 * Concurrent helpers for scenarios (the lab's goroutines). A task that fails has already
 * recorded its failure with the cluster, which aborts the run; the no-op catch only keeps
 * Node from reporting the rejection as unhandled before the scenario joins the task.
 */
export function spawn<T>(task: () => Promise<T>): Promise<T> {
  const p = task()
  p.catch(() => undefined)
  return p
}

/** A random string of `n` characters from the harness's Rng (the lab's randstring). */
export function randomString(n: number, int: (max: number) => number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  let s = ''
  for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)]
  return s
}
