/**
 * The lockout guard. Autotask locks an API user after repeated failed logins, so after
 * `maxFailures` invalid_credentials for one username within `windowMs` the bot stops trying.
 */
import { createSlidingWindow } from "../state/sliding-window.js";
import type { RedisClient } from "./redis.js";

export type LockoutGuard = {
  /** The time the username may be tried again, or null when it may be tried now. */
  blockedUntil(username: string): Promise<Date | null>;
  recordFailure(username: string): Promise<void>;
};

export type LockoutOptions = {
  redis: RedisClient;
  prefix: string;
  /** @defaultValue 3 */
  maxFailures?: number;
  /** @defaultValue 15 minutes */
  windowMs?: number;
  now?: () => number;
};

export function createLockoutGuard({
  redis,
  prefix,
  maxFailures = 3,
  windowMs = 15 * 60_000,
  now,
}: LockoutOptions): LockoutGuard {
  const failures = createSlidingWindow({ redis, prefix, name: "lockout", limit: maxFailures, windowMs, now });
  // Autotask usernames are case-insensitive.
  const idOf = (username: string) => username.trim().toLowerCase();
  return {
    async blockedUntil(username) {
      const verdict = await failures.peek(idOf(username));
      return verdict.ok ? null : verdict.retryAt;
    },
    recordFailure: (username) => failures.record(idOf(username)),
  };
}
