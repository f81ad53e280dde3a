/**
 * The lockout guard. Autotask locks an API user after repeated failed logins, so after
 * `maxFailures` invalid_credentials for one username within `windowMs` the bot stops trying.
 */
import { createHash } from "node:crypto";
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
  now = Date.now,
}: LockoutOptions): LockoutGuard {
  // Autotask usernames are case-insensitive; hashing keeps arbitrary text out of key names.
  const keyOf = (username: string) =>
    `${prefix}:lockout:${createHash("sha256").update(username.trim().toLowerCase()).digest("hex").slice(0, 32)}`;

  return {
    async blockedUntil(username) {
      const key = keyOf(username);
      const since = now() - windowMs;
      const recent = await redis.zrangebyscore(key, since, "+inf", "WITHSCORES");
      const failures = recent.length / 2;
      if (failures < maxFailures) return null;
      // Tried again once the oldest failure that still counts leaves the window.
      const scores = recent.filter((_, index) => index % 2 === 1).map(Number);
      const oldestCounting = scores[scores.length - maxFailures] as number;
      return new Date(oldestCounting + windowMs);
    },
    async recordFailure(username) {
      const key = keyOf(username);
      const at = now();
      await redis
        .multi()
        .zadd(key, at, `${at}-${Math.random().toString(36).slice(2, 8)}`)
        .zremrangebyscore(key, "-inf", at - windowMs)
        .pexpire(key, windowMs)
        .exec();
    },
  };
}
