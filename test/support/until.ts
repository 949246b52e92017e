/**
 * The one polling wait for tests (imported by tests and test helpers only): real sockets,
 * processes and files settle on their own time, so a test waits for the state it needs and
 * fails, naming what it waited for, after a bound. `intervalMs` spaces out costly checks
 * (re-reading a file).
 */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000, intervalMs = 5): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
