/**
 * A sliding-window event counter in Redis: "at most `limit` events per `windowMs` for one id".
 * Serves the abuse limits (checks per Slack user and per workspace); the login budget of API
 * usernames has its own log (login-budget.ts), whose units can be given back.
 */
import { createHash, randomBytes } from "node:crypto";
import type { RedisClient } from "../queue/redis.js";

export type WindowVerdict = { ok: true } | { ok: false; retryAt: Date };

export type SlidingWindow = {
  /** Whether another event would fit now, without counting one. */
  peek(id: string): Promise<WindowVerdict>;
  /**
   * Counts an event only if it fits, atomically. With `eventId`, an event already counted under
   * that id fits again without counting twice (a form submitted twice is one check).
   */
  acquire(id: string, eventId?: string): Promise<WindowVerdict>;
};

export type SlidingWindowOptions = {
  redis: RedisClient;
  prefix: string;
  /** Names the counter in keys: "user-checks". */
  name: string;
  limit: number;
  windowMs: number;
  now?: () => number;
};

// KEYS[1] the window; ARGV: now, windowMs, limit, member, record ("1" to count a fitting event),
// idempotent ("1" when the member names the event: one already counted fits without counting).
// Returns 0 when the event fits (and was counted if asked), else the score of the oldest event
// still counting, from which the caller derives when the next one fits.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if ARGV[6] == '1' and redis.call('ZSCORE', KEYS[1], ARGV[4]) then
  return 0
end
local count = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[3])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return tonumber(oldest[2])
end
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

export function createSlidingWindow({
  redis,
  prefix,
  name,
  limit,
  windowMs,
  now = Date.now,
}: SlidingWindowOptions): SlidingWindow {
  // Ids (usernames, user ids) are hashed: arbitrary text stays out of key names.
  const keyOf = (id: string) =>
    `${prefix}:${name}:${createHash("sha256").update(id).digest("hex").slice(0, 32)}`;
  const member = (at: number) => `${at}-${randomBytes(4).toString("hex")}`;

  async function run(id: string, record: boolean, eventId?: string): Promise<WindowVerdict> {
    const at = now();
    const named = eventId !== undefined;
    const oldest = Number(
      await redis.eval(
        ACQUIRE,
        1,
        keyOf(id),
        at,
        windowMs,
        limit,
        named ? `event:${eventId}` : member(at),
        record ? "1" : "0",
        named ? "1" : "0",
      ),
    );
    return oldest === 0 ? { ok: true } : { ok: false, retryAt: new Date(oldest + windowMs) };
  }

  return {
    peek: (id) => run(id, false),
    acquire: (id, eventId) => run(id, true, eventId),
  };
}
