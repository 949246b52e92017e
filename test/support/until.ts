/**
 * The one polling wait for tests (imported by tests and test helpers only): real sockets,
 * processes and files settle on their own time, so a test waits for the state it needs and
 * fails, naming what it waited for, after a bound. `intervalMs` spaces out costly checks
 * (re-reading a file, an HTTP request).
 */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, intervalMs = 5): Promise<void> {
  await untilValue(async () => (await cond()) || undefined, what, timeoutMs, intervalMs);
}

/** As `until`, for a probe that yields the value waited for (anything but undefined or false). */
export async function untilValue<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000, intervalMs = 5): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
