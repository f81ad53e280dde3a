/**
 * Where each check's Slack thread lives and what has been posted in it, kept in Redis so a job
 * re-run on another worker after a crash continues the same thread instead of starting a new one.
 */
import type { CheckResult } from "../autotask/result.js";
import type { RedisClient } from "../queue/redis.js";

export type ThreadLocation = {
  channelId: string;
  parentTs: string;
  /** "channel" when posting where the command was typed worked; "dm" for the fallback. */
  via: "channel" | "dm";
};

export type ThreadState = {
  location: ThreadLocation | null;
  /** Marks already posted: "queued", "step:zone", "final", ... */
  posted: Set<string>;
  /** The check's result once it is known, so a re-run after a crash reports it without checking again. */
  result: CheckResult | null;
  /** Opaque id of the "Fix and retry" prefill of a failed check. */
  retryId: string | null;
};

export type ThreadStore = {
  get(requestId: string): Promise<ThreadState>;
  setLocation(requestId: string, location: ThreadLocation): Promise<void>;
  /** Records marks as posted, in one command (replies of one message share it). */
  markPosted(requestId: string, ...marks: string[]): Promise<void>;
  saveResult(requestId: string, result: CheckResult, retryId: string | null): Promise<void>;
};

/** @param ttlSeconds how long a thread's state is kept. @defaultValue one day */
export function createThreadStore(redis: RedisClient, prefix: string, ttlSeconds = 24 * 3600): ThreadStore {
  const keyOf = (requestId: string) => `${prefix}:thread:${requestId}`;
  return {
    async get(requestId) {
      const fields = await redis.hgetall(keyOf(requestId));
      const { channelId, parentTs, via, result, retryId } = fields;
      const posted = new Set(
        Object.keys(fields)
          .filter((field) => field.startsWith("posted:"))
          .map((field) => field.slice("posted:".length)),
      );
      const location: ThreadLocation | null =
        channelId && parentTs && (via === "channel" || via === "dm") ? { channelId, parentTs, via } : null;
      return {
        location,
        posted,
        result: result ? (JSON.parse(result) as CheckResult) : null,
        retryId: retryId || null,
      };
    },
    async setLocation(requestId, location) {
      await redis.multi().hset(keyOf(requestId), location).expire(keyOf(requestId), ttlSeconds).exec();
    },
    async saveResult(requestId, result, retryId) {
      await redis
        .multi()
        .hset(keyOf(requestId), { result: JSON.stringify(result), retryId: retryId ?? "" })
        .expire(keyOf(requestId), ttlSeconds)
        .exec();
    },
    async markPosted(requestId, ...marks) {
      if (marks.length === 0) return;
      // Marks follow setLocation, which gave the key its expiry: one command per reply.
      await redis.hset(keyOf(requestId), Object.fromEntries(marks.map((mark) => [`posted:${mark}`, "1"])));
    },
  };
}
