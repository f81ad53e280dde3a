/**
 * Sliding-window event counters in Redis: "at most `limit` events per `windowMs` for one id".
 * Serves the abuse limits (checks per Slack user and per workspace); the login budget of API
 * usernames has its own log (login-budget.ts), whose units can be given back.
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "../queue/redis.js";
import { defineScript } from "./redis-script.js";
import { uniqueSuffixes } from "./unique-suffix.js";

/** `again`: the event, named by its id, was counted before (it fits without counting twice). */
export type WindowVerdict = { ok: true; again?: true } | { ok: false; retryAt: Date };

export type WindowSpec = {
  /** Names the counter in keys: "user-checks". */
  name: string;
  limit: number;
  windowMs: number;
};

/** Several windows asked together: one id per window, in the order of the specs, one verdict each. */
export type SlidingWindows = {
  /** Whether another event would fit in every window now, without counting one. */
  peek(ids: readonly string[]): Promise<WindowVerdict[]>;
  /**
   * Counts an event in every window only if it fits in all of them, atomically (a check refused by
   * the workspace's limit does not use up its user's). With `eventId`, an event already counted
   * under that id fits again without counting twice (a form submitted twice is one check).
   */
  acquire(ids: readonly string[], eventId?: string): Promise<WindowVerdict[]>;
};

export type SlidingWindowsOptions = {
  redis: RedisClient;
  prefix: string;
  windows: readonly WindowSpec[];
  now?: () => number;
};

// KEYS: the windows; ARGV: now, record ("1" to count a fitting event), idempotent ("1" when the
// member names the event: one already counted fits without counting), member, then windowMs and
// limit of each window. Returns, per window, 0 when the event fits there, -1 when it was counted
// there before, else the score of the oldest event still counting, from which the caller derives
// when the next one fits. The event is counted (if asked) only when it fits in every window.
const ACQUIRE = `
local now = tonumber(ARGV[1])
local verdicts = {}
local fits = true
for i, key in ipairs(KEYS) do
  local windowMs = tonumber(ARGV[3 + 2 * i])
  local limit = tonumber(ARGV[4 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - windowMs)
  verdicts[i] = 0
  if ARGV[3] == '1' and redis.call('ZSCORE', key, ARGV[4]) then
    verdicts[i] = -1
  else
    local count = redis.call('ZCARD', key)
    if count >= limit then
      local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
      verdicts[i] = tonumber(oldest[2])
      fits = false
    end
  end
end
if fits and ARGV[2] == '1' then
  for i, key in ipairs(KEYS) do
    redis.call('ZADD', key, 'NX', now, ARGV[4])
    redis.call('PEXPIRE', key, ARGV[3 + 2 * i])
  end
end
return verdicts
`;

export function createSlidingWindows({
  redis,
  prefix,
  windows,
  now = Date.now,
}: SlidingWindowsOptions): SlidingWindows {
  const script = defineScript<number[]>(redis, "atcSlidingWindowAcquire", ACQUIRE);
  // Ids (usernames, user ids) are hashed: arbitrary text stays out of key names.
  const keyOf = (window: WindowSpec, id: string) =>
    `${prefix}:${window.name}:${createHash("sha256").update(id).digest("hex").slice(0, 32)}`;
  const suffix = uniqueSuffixes();
  const limits = windows.flatMap((window) => [window.windowMs, window.limit]);

  async function run(ids: readonly string[], record: boolean, eventId?: string): Promise<WindowVerdict[]> {
    if (ids.length !== windows.length) throw new Error(`expected ${windows.length} ids, got ${ids.length}`);
    const at = now();
    const named = eventId !== undefined;
    const member = named ? `event:${eventId}` : `${at}-${suffix()}`;
    const keys = windows.map((window, i) => keyOf(window, ids[i] as string));
    const oldest = await script(keys, [at, record ? "1" : "0", named ? "1" : "0", member, ...limits]);
    return windows.map((window, i): WindowVerdict => {
      const score = Number(oldest[i]);
      if (score === 0) return { ok: true };
      if (score === -1) return { ok: true, again: true };
      return { ok: false, retryAt: new Date(score + window.windowMs) };
    });
  }

  return {
    peek: (ids) => run(ids, false),
    acquire: (ids, eventId) => run(ids, true, eventId),
  };
}
