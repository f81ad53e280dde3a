/** Riding out a short Redis outage (a failover, a dropped connection) for writes that must land. */
import { setTimeout as delay } from "node:timers/promises";

/** Waits between the tries of a write, in milliseconds: about 3.3 s in all. */
export const WRITE_RETRY_DELAYS_MS = [100, 300, 900, 2_000];

/**
 * Runs `write`, and again after each wait in `delaysMs` while it throws; the last try's error is
 * thrown. `onRetry` is told about each failed try (for a log line).
 * @param delaysMs @defaultValue WRITE_RETRY_DELAYS_MS
 */
export async function steadily<T>(
  write: () => Promise<T>,
  delaysMs: readonly number[] = WRITE_RETRY_DELAYS_MS,
  onRetry?: (error: unknown, attempt: number) => void,
): Promise<T> {
  for (const [attempt, wait] of delaysMs.entries()) {
    try {
      return await write();
    } catch (error) {
      onRetry?.(error, attempt + 1);
      await delay(wait);
    }
  }
  return write();
}
