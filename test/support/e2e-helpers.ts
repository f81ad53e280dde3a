/**
 * Helpers for the end-to-end tests: reading a thread as a person sees it, the check queue as
 * BullMQ keeps it, every Redis key of a prefix, and log capture. They only observe the stack.
 */
import { type Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import type { DestinationStream } from "pino";
import type { Credentials, Stack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import type { EmulatedMessage, EmulatedThread, RecordedCall } from "../../src/emulators/slack.js";
import { CHECK_QUEUE, type CheckJob } from "../../src/queue/jobs.js";
import { blocksToText } from "../../src/slack/blocks-to-text.js";
import type { FinalMessage } from "../../src/slack/messages.js";

/** The contract's message metadata on a final parent message. */
export type ResultMetadata = FinalMessage["metadata"];

/** The metadata of a finished thread's parent (the contract's shape). */
export function metadataOf(thread: EmulatedMessage): ResultMetadata {
  return thread.metadata as ResultMetadata;
}

/** A message (or a message body sent to Slack) as the text a person reads on screen. */
export function readable(message: { text?: string; blocks?: unknown[] }): string {
  return blocksToText(message);
}

/** The whole thread, parent first, as a person reads it. */
export function threadText(thread: EmulatedThread): string {
  return [readable(thread), ...thread.replies.map(readable)].join("\n---\n");
}

/** The values to type into the modal for an emulated API user. */
export function credentialsOf(
  user: EmulatedApiUser,
  portalUrl = `https://ww${user.zone}.autotask.net`,
): Credentials {
  return { portalUrl, username: user.username, secret: user.secret, trackingId: user.trackingId };
}

/** Top-level messages in a channel whose text names this API username (parents of its checks). */
export function parentsFor(stack: Stack, channelId: string, username: string): EmulatedThread[] {
  return stack.slack.thread(channelId).filter((thread) => thread.text.includes(username));
}

/** The views.open call made with this trigger id, if any. */
export function viewsOpenWith(stack: Stack, triggerId: string): RecordedCall | undefined {
  return stack.slack.callsOf("views.open").find((call) => call.args.trigger_id === triggerId);
}

/**
 * Polls `probe` until it returns a truthy value; rejects after `timeoutMs` with `what` in the message.
 * For state outside the Slack emulator (BullMQ, Redis), where no event says it changed.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`until: ${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The stack's check queue, read through BullMQ as an operator would. Close it after use. */
export function openCheckQueue(redisUrl: string, prefix: string) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<CheckJob>(CHECK_QUEUE, { connection, prefix });
  return {
    queue,
    /** Every job in any state. */
    async jobs(): Promise<Job<CheckJob>[]> {
      const jobs = await queue.getJobs([
        "waiting",
        "active",
        "delayed",
        "completed",
        "failed",
        "prioritized",
      ]);
      return jobs.filter((job): job is Job<CheckJob> => job !== undefined);
    },
    async close(): Promise<void> {
      await queue.close();
      await connection.quit();
    },
  };
}

/** One Redis key with its value read according to its type, serialised for scanning. */
export type DumpedKey = { key: string; type: string; value: string };

/**
 * Every key under `prefix` and its whole value (string, hash, list, set, sorted set with scores,
 * stream entries), found with SCAN so nothing is missed and nothing is flushed.
 */
export async function dumpRedis(redisUrl: string, prefix: string): Promise<DumpedKey[]> {
  const redis = new Redis(redisUrl);
  try {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      for (const key of batch) keys.add(key);
    } while (cursor !== "0");
    const dumped: DumpedKey[] = [];
    for (const key of [...keys].sort()) {
      const type = await redis.type(key);
      let value: unknown;
      switch (type) {
        case "string":
          value = await redis.get(key);
          break;
        case "hash":
          value = await redis.hgetall(key);
          break;
        case "list":
          value = await redis.lrange(key, 0, -1);
          break;
        case "set":
          value = await redis.smembers(key);
          break;
        case "zset":
          value = await redis.zrange(key, 0, -1, "WITHSCORES");
          break;
        case "stream":
          value = await redis.xrange(key, "-", "+");
          break;
        default:
          value = `(unreadable type ${type})`;
      }
      dumped.push({ key, type, value: JSON.stringify(value) });
    }
    return dumped;
  } finally {
    await redis.quit();
  }
}

/** Every way a secret may be written where it leaks: plain, URL- and form-encoded, JSON-escaped, base64. */
export function spellingsOf(secret: string): string[] {
  const utf8 = Buffer.from(secret, "utf8");
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
      utf8.toString("base64"),
      utf8.toString("base64").replace(/=+$/, ""),
      utf8.toString("base64url"),
    ]),
  ];
}

/** Where in `haystack` (name -> text) any spelling of any secret appears; empty when nowhere. */
export function findSecrets(secrets: string[], haystack: Iterable<[string, string]>): string[] {
  const needles = secrets.flatMap(spellingsOf);
  const hits: string[] = [];
  for (const [where, text] of haystack) {
    for (const needle of needles)
      if (text.includes(needle)) hits.push(`${where} contains ${JSON.stringify(needle)}`);
  }
  return hits;
}

/** A pino destination that keeps every line written to it. */
export function captureLines(): { lines: string[]; destination: DestinationStream } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}
