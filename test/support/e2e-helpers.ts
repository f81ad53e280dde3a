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

/**
 * The thread's replies line by line, in order: replies of the same moment share one message
 * (one line each), so tests read lines rather than messages.
 */
export function replyLines(thread: EmulatedThread): string[] {
  return thread.replies.flatMap((reply) => reply.text.split("\n"));
}

/** True for a reply holding the final "Done: …" line. */
export function hasDoneLine(message: { text: string }): boolean {
  return /(^|\n)Done: /.test(message.text);
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

/** A pino destination that keeps every line written to it. */
export function captureLines(): { lines: string[]; destination: DestinationStream } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}
