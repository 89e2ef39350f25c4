/**
 * Waits until `check` holds, polling: for what happens off the event loop (zlib's thread pool)
 * and takes longer on a loaded machine, where a fixed sleep makes a test flaky.
 */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not true after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
