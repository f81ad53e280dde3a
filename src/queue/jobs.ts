/** The check job: its payload schema, queue name, id and options. Shared by producer and worker. */
import type { DefaultJobOptions } from "bullmq";
import { z } from "zod";

export const CHECK_QUEUE = "checks";
export const CHECK_JOB = "check";

/**
 * The job payload. It crosses a process boundary through Redis, so it is parsed on both sides.
 * The secret travels only as AES-256-GCM ciphertext bound to the request id.
 */
export const checkJobSchema = z.object({
  requestId: z.uuid(),
  viewId: z.string().min(1).max(255),
  teamId: z.string().min(1).max(64),
  channelId: z.string().min(1).max(64),
  requesterId: z.string().min(1).max(64),
  responseUrl: z.url().optional(),
  portalUrl: z.string().max(3_000),
  username: z.string().min(1).max(256),
  trackingId: z.string().min(1).max(256),
  /** Empty once the job has finished for good: ciphertext is kept only while the job is pending. */
  sealedSecret: z.string(),
  requestedAt: z.number().int(),
  /** "Watch this connection" was ticked: an ok or warning result starts a credentials watch. */
  watch: z.boolean().optional(),
});

export type CheckJob = z.infer<typeof checkJobSchema>;

/** What a completed job stores in Redis: enough to tell what happened, nothing secret. */
export type CheckJobReturn = { requestId: string; outcome: string; code: string };

/**
 * One job per modal submission: Slack may deliver the same `view.id` twice (retries, double
 * clicks), and BullMQ ignores an add whose job id exists. Ids may not contain ":" nor be all digits.
 */
export function checkJobId(viewId: string): string {
  return `view-${viewId.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * Retries are for transient Autotask trouble only (the processor throws UnrecoverableError for
 * everything else). Completed and failed jobs are removed after a day so ciphertext and
 * results do not pile up in Redis.
 * @param backoffDelayMs wait before the first retry, doubled for each further one. @defaultValue 5_000
 */
export function checkJobOptions(backoffDelayMs = 5_000): DefaultJobOptions {
  return {
    attempts: 3,
    backoff: { type: "exponential", delay: backoffDelayMs, jitter: 0.5 },
    removeOnComplete: { age: 24 * 3600, count: 1_000 },
    removeOnFail: { age: 24 * 3600, count: 1_000 },
  };
}
