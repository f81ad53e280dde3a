/** A bounded retry budget for transient Autotask failures inside one check. */
import { setTimeout as delay } from "node:timers/promises";

export type RetryPolicy = {
  /** Tries of one request in all, the first included. @defaultValue 3 */
  attempts: number;
  /** Backoff before the second try, doubled for each further one, in milliseconds. @defaultValue 500 */
  baseDelayMs: number;
  /** Longest wait between two tries, in milliseconds; a longer Retry-After ends the retries. @defaultValue 5000 */
  maxDelayMs: number;
};

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Waits `ms`, or less when `signal` aborts (it resolves then: the next request reports the abort). */
export const sleep: Sleep = (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined);

/**
 * The wait before try number `failures + 1`: exponential backoff with "equal jitter" (half fixed,
 * half random) so that many checks failing together do not come back together. A Retry-After is
 * honoured as it is. Returns null when the wait would exceed `maxDelayMs`: better to report now.
 */
export function backoffDelay(
  failures: number,
  policy: RetryPolicy,
  random: () => number,
  retryAfterMs: number | null,
): number | null {
  if (retryAfterMs !== null) return retryAfterMs <= policy.maxDelayMs ? retryAfterMs : null;
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export type Verdict = { retry: boolean; retryAfterMs: number | null } | null;

/**
 * Runs `attempt` until `judge` says the value is final (null or `retry: false`), the budget is
 * spent, or `signal` aborts. Returns the last value.
 */
export async function retrying<T>(
  attempt: () => Promise<T>,
  judge: (value: T) => Verdict,
  options: { policy: RetryPolicy; sleep: Sleep; random: () => number; signal?: AbortSignal },
): Promise<T> {
  let value = await attempt();
  for (let failures = 1; failures < options.policy.attempts; failures++) {
    const verdict = judge(value);
    if (verdict === null || !verdict.retry || options.signal?.aborted) return value;
    const wait = backoffDelay(failures, options.policy, options.random, verdict.retryAfterMs);
    if (wait === null) return value;
    await options.sleep(wait, options.signal);
    value = await attempt();
  }
  return value;
}
