/**
 * Polls `check` until it returns true (or a non-false value), for at most `timeoutMs`. A bound on
 * waiting, never an assertion on speed: the tests assert what happened, not how fast.
 */
export async function waitFor<T>(
  description: string,
  check: () => Promise<T | false> | T | false,
  { timeoutMs = 45_000, intervalMs = 25 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const result = await check();
      if (result !== false) return result;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Gave up waiting for ${description} after ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
