/**
 * The login budget in Redis: a sliding log per API username (a sorted set of units scored by the
 * time they were taken), shared by every worker process, job attempt and retry.
 *
 * Why not `rate-limiter-flexible` (consume before, reward on success): its Redis limiter keeps a
 * counter whose key expires `duration` after the first consume, a fixed window that starts at the
 * first event (animir/node-rate-limiter-flexible#80, #99). Three failures at the end of one such
 * window and three at the start of the next are six in a few seconds, while the contract says "in
 * ANY 15 minutes". Its `reward` decrements that counter, which may go negative (#254): a give-back
 * after the window rolled over would credit a unit never spent in the new one. A sliding log has
 * neither problem, and lets a refusal say what the units went to.
 */
import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import {
  type BudgetTake,
  budgetId,
  type KeptAs,
  type LoginBudget,
  type LoginUnit,
  type SpentOn,
} from "../autotask/budget.js";
import { steadily, WRITE_RETRY_DELAYS_MS } from "../ops/steadily.js";
import type { RedisClient } from "../queue/redis.js";
import { defineScript } from "./redis-script.js";
import { uniqueSuffixes } from "./unique-suffix.js";

export type RedisLoginBudgetOptions = {
  redis: RedisClient;
  /** The queue prefix: keys share its Redis Cluster hash tag. */
  prefix: string;
  /** Units per window. @defaultValue 3 */
  units?: number;
  /** @defaultValue 15 minutes */
  windowMs?: number;
  /** Milliseconds since the epoch. @defaultValue Date.now */
  now?: () => number;
  /** Waits between tries of `spend` when Redis fails, in milliseconds. @defaultValue [100, 300, 900, 2000] */
  spendRetryDelaysMs?: readonly number[];
  /** Waits between tries of `take` when Redis fails, in milliseconds (then nothing is sent). @defaultValue [100, 300, 900, 2000] */
  takeRetryDelaysMs?: readonly number[];
  /**
   * A unit whose outcome is not written yet and that is younger than this is taken to be in
   * flight; an older one belongs to a dead worker and counts as an unknown outcome. In
   * milliseconds: give it the Autotask request deadline plus a margin. @defaultValue 15_000
   */
  inFlightMs?: number;
  /**
   * How long `take` waits, when the budget is spent only because logins are in flight,
   * for one of them to come back on proof (concurrent checks of good credentials all pass, one
   * after another). In milliseconds; 0 refuses at once. @defaultValue 60_000
   */
  waitForInFlightMs?: number;
  /** Between two tries of a waiting `take`, in milliseconds. @defaultValue 100 */
  pollMs?: number;
  /** Told about Redis failures (never with the username). */
  onError?: (operation: "take" | "giveBack" | "keep" | "spend", error: unknown) => void;
};

// Members are "<state>:<taken at>:<random>", state p (pending: sent, outcome not written yet),
// r (rejected login) or u (unknown outcome). A pending unit of a killed worker counts as unknown.
//
// TAKE. KEYS[1] the log; ARGV: now, windowMs, units, member, inFlightMs.
// Returns {1} when a unit fits (and was added), else {0, score of the unit whose expiry
// frees one, rejected units, other units, pending units younger than inFlightMs}.
const TAKE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local log = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #log / 2
local units = tonumber(ARGV[3])
if count >= units then
  local rejected = 0
  local inFlight = 0
  for i = 1, #log, 2 do
    local state = string.sub(log[i], 1, 2)
    if state == 'r:' then rejected = rejected + 1 end
    if state == 'p:' and tonumber(log[i + 1]) > now - tonumber(ARGV[5]) then inFlight = inFlight + 1 end
  end
  return {0, log[(count - units) * 2 + 2], rejected, count - rejected, inFlight}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1}
`;

// KEEP. KEYS[1] the log; ARGV: the pending member, the same member with its outcome. Keeps the score.
const KEEP = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('ZADD', KEYS[1], score, ARGV[2])
end
return 0
`;

// SPEND. KEYS[1] the log; ARGV: now, windowMs, member. Adds whatever the log holds.
const SPEND = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 0
`;

const STATE: Record<KeptAs, string> = { rejected: "r", unknown: "u" };

/** The login budget on Redis. Every operation is one atomic script or command on one key. */
export function createRedisLoginBudget(options: RedisLoginBudgetOptions): LoginBudget {
  const { redis, prefix, units = 3, windowMs = 15 * 60_000, now = Date.now } = options;
  const { inFlightMs = 15_000, waitForInFlightMs = 60_000, pollMs = 100 } = options;
  const spendDelays = options.spendRetryDelaysMs ?? WRITE_RETRY_DELAYS_MS;
  const takeDelays = options.takeRetryDelaysMs ?? WRITE_RETRY_DELAYS_MS;
  const report = options.onError ?? (() => {});
  // Usernames are hashed: arbitrary text stays out of key names.
  const keys = new Map<string, string>();
  const keyOf = (id: string) => {
    let key = keys.get(id);
    if (key === undefined) {
      key = `${prefix}:login-budget:${createHash("sha256").update(id).digest("hex").slice(0, 32)}`;
      // A check hashes its username once, not at each take, give-back and keep.
      if (keys.size >= 1_000) keys.clear();
      keys.set(id, key);
    }
    return key;
  };
  const suffix = uniqueSuffixes();
  const member = (state: string, at: number) => `${state}:${at}:${suffix()}`;
  const takeScript = defineScript<(number | string)[]>(redis, "atcLoginBudgetTake", TAKE);
  const keepScript = defineScript(redis, "atcLoginBudgetKeep", KEEP);
  const spendScript = defineScript(redis, "atcLoginBudgetSpend", SPEND);

  /** Takes a unit, waiting while the budget is spent only by logins in flight. */
  async function take(username: string, signal?: AbortSignal): Promise<BudgetTake> {
    const id = budgetId(username);
    const key = keyOf(id);
    // Real time, not the injected clock: this bounds how long a check waits.
    const waitUntil = Date.now() + waitForInFlightMs;
    for (;;) {
      const at = now();
      const unit = member("p", at);
      let answer: (number | string)[];
      try {
        // A short Redis outage (a failover, a dropped connection) is ridden out rather than failing
        // the check. Retrying is safe: a try whose reply was lost may have added its unit, which then
        // stays spent (pending) for the window, so the budget only gets smaller, never larger.
        answer = await steadily(() => takeScript([key], [at, windowMs, units, unit, inFlightMs]), takeDelays);
      } catch (error) {
        report("take", error);
        return { ok: false, kind: "unavailable" };
      }
      if (Number(answer[0]) === 1) return { ok: true, unit: { id: unit, username: id } };
      const inFlight = Number(answer[4]);
      if (inFlight > 0 && Date.now() + pollMs <= waitUntil && !signal?.aborted) {
        // Spent only by logins still in flight: one may come back on proof. Wait for it.
        await delay(pollMs, undefined, { signal }).catch(() => {});
        continue;
      }
      const spentOn: SpentOn = { rejections: Number(answer[2]), unknown: Number(answer[3]) };
      return { ok: false, kind: "spent", retryAt: new Date(Number(answer[1]) + windowMs), spentOn };
    }
  }

  return {
    take,
    async giveBack(unit: LoginUnit) {
      try {
        await redis.zrem(keyOf(unit.username), unit.id);
      } catch (error) {
        // The unit stays spent: safe, only the budget is smaller until it expires.
        report("giveBack", error);
      }
    },
    async keep(unit: LoginUnit, as: KeptAs) {
      try {
        await keepScript([keyOf(unit.username)], [unit.id, `${STATE[as]}${unit.id.slice(1)}`]);
      } catch (error) {
        // The unit stays spent as "pending", which reads as an unknown outcome.
        report("keep", error);
      }
    },
    async spend(username, as) {
      const key = keyOf(budgetId(username));
      for (let tries = 0; ; tries++) {
        const at = now();
        try {
          await spendScript([key], [at, windowMs, member(STATE[as], at)]);
          return;
        } catch (error) {
          const wait = spendDelays[tries];
          if (wait === undefined) {
            report("spend", error);
            return;
          }
          await delay(wait);
        }
      }
    },
  };
}
