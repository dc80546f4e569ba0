/**
 * Whether a command was asked to stop, as a synchronous check: true once `io.interrupted` (the
 * CLI's SIGINT/SIGTERM promise) has resolved. A signal that came before the command ran (while
 * the CLI was still loading, see main.ts) reads true after the command's first await, so
 * `serve` can end before it starts anything.
 */
export function stopRequested(io: { readonly interrupted: Promise<void> }): () => boolean {
  let requested = false
  void io.interrupted.then(() => (requested = true))
  return () => requested
}
