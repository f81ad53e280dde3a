/**
 * Where each check's Slack thread lives and what has been posted in it, kept in Redis so a job
 * re-run on another worker after a crash continues the same thread instead of starting a new one.
 */
import type { CheckResult } from "../autotask/result.js";
import type { RedisClient } from "../queue/redis.js";
import { PUSH_RECENT_LUA, type RecentPush } from "./recent-results.js";
import { defineScript } from "./redis-script.js";

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

/** The state of a check whose job has not run before: nothing posted, nothing known. */
export function freshThreadState(): ThreadState {
  return { location: null, posted: new Set(), result: null, retryId: null };
}

export type ThreadStore = {
  get(requestId: string): Promise<ThreadState>;
  setLocation(requestId: string, location: ThreadLocation): Promise<void>;
  /** Records marks as posted, in one command (replies of one message share it). */
  markPosted(requestId: string, ...marks: string[]): Promise<void>;
  /**
   * Records the check's result with its entry in the workspace's recent results and, with
   * `jobData`, drops the secret's ciphertext from the check's job, in one atomic step.
   */
  saveResult(requestId: string, result: CheckResult, also: SavedWithResult): Promise<void>;
};

/** What `saveResult` writes beside the result. */
export type SavedWithResult = {
  /** Opaque id of the "Fix and retry" prefill of a failed check. */
  retryId: string | null;
  recent: RecentPush;
  /**
   * The check's BullMQ job hash and its data without the ciphertext, written over the job's `data`
   * field (as BullMQ's updateData does) unless the job is gone. Once the result is saved no run of
   * the job needs the secret again.
   */
  jobData?: { key: string; data: string };
};

// KEYS[1] the thread's hash; ARGV: TTL in seconds, then field, value, field, value...
const SET_FIELDS = `
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 0
`;

// KEYS[1] the thread's hash, KEYS[2] the workspace's recent results, KEYS[3] (optional) the
// check's job hash; ARGV: TTL in seconds, the result (JSON), the retry id, the recent entry, its
// request id, how many to keep, the list's TTL, then (with KEYS[3]) the job's new data.
const SAVE_RESULT = `${PUSH_RECENT_LUA}
redis.call('HSET', KEYS[1], 'result', ARGV[2], 'retryId', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[1])
pushRecent(KEYS[2], ARGV[4], ARGV[5], ARGV[6], ARGV[7])
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HSET', KEYS[3], 'data', ARGV[8]) end
return 0
`;

/** @param ttlSeconds how long a thread's state is kept. @defaultValue one day */
export function createThreadStore(redis: RedisClient, prefix: string, ttlSeconds = 24 * 3600): ThreadStore {
  const keyOf = (requestId: string) => `${prefix}:thread:${requestId}`;
  const setFieldsScript = defineScript(redis, "atcThreadSetFields", SET_FIELDS);
  const saveResultScript = defineScript(redis, "atcThreadSaveResult", SAVE_RESULT);
  /** Sets fields and renews the expiry in one atomic step (one round trip instead of MULTI/EXEC). */
  const setFields = (requestId: string, fields: Record<string, string>) =>
    setFieldsScript([keyOf(requestId)], [ttlSeconds, ...Object.entries(fields).flat()]);
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
      await setFields(requestId, location);
    },
    async saveResult(requestId, result, { retryId, recent, jobData }) {
      const keys = [keyOf(requestId), recent.key];
      const args = [ttlSeconds, JSON.stringify(result), retryId ?? ""];
      args.push(recent.entry, recent.requestId, recent.keep, recent.ttlSeconds);
      if (jobData) {
        keys.push(jobData.key);
        args.push(jobData.data);
      }
      await saveResultScript(keys, args);
    },
    async markPosted(requestId, ...marks) {
      if (marks.length === 0) return;
      // Marks follow setLocation, which gave the key its expiry: one command per reply.
      await redis.hset(keyOf(requestId), Object.fromEntries(marks.map((mark) => [`posted:${mark}`, "1"])));
    },
  };
}
