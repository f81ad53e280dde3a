/** Enqueues checks. Fails fast when Redis is down so the modal can say so inside Slack's 3 s. */
import { Queue } from "bullmq";
import { withDeadline } from "../ops/deadline.js";
import { CHECK_JOB, CHECK_QUEUE, type CheckJob, checkJobId, checkJobOptions } from "./jobs.js";
import type { RedisClient } from "./redis.js";

/**
 * What an enqueue did. `duplicate`: a job for this view existed already (this add created
 * nothing). `unavailable`: nothing reached Redis, so nothing was queued. `unconfirmed`: the add
 * may have reached Redis and may still land; the job id is the view's, so submitting the same
 * form again queues it at most once and says which.
 */
export type EnqueueResult =
  | { ok: true; jobId: string; duplicate: boolean }
  | { ok: false; reason: "unavailable" | "unconfirmed"; detail: string };

export type CheckProducer = {
  /**
   * Adds the job unless one for the same view exists. Resolves within `deadlineMs`. With
   * `firstSubmission` (the abuse limits counted this form just now, so no earlier submission of
   * it was enqueued) the add is not read back.
   */
  enqueue(job: CheckJob, options?: { firstSubmission?: boolean }): Promise<EnqueueResult>;
  /** Jobs by state, for /metrics. */
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number }>;
  close(): Promise<void>;
};

export type ProducerOptions = {
  connection: RedisClient;
  prefix: string;
  /** Longest an enqueue may take before the modal is told the queue is unavailable. @defaultValue 1_500 */
  deadlineMs?: number;
  /** Wait before a transient failure's first retry, doubled for each further one. @defaultValue 5_000 */
  backoffDelayMs?: number;
};

/**
 * Whether a Redis error means the command never left this process: with the offline queue off,
 * ioredis refuses a command at once while the connection is down. Anything else (a reset or a
 * timeout after sending) may have run in Redis.
 */
function notSent(error: unknown): boolean {
  return /enableOfflineQueue options is false/.test((error as Error).message ?? "");
}

function requestIdOf(data: string): unknown {
  try {
    return (JSON.parse(data) as { requestId?: unknown }).requestId;
  } catch {
    return undefined;
  }
}

export function createCheckProducer({
  connection,
  prefix,
  deadlineMs = 1_500,
  backoffDelayMs,
}: ProducerOptions): CheckProducer {
  const queue = new Queue<CheckJob, unknown, string>(CHECK_QUEUE, {
    connection,
    prefix,
    defaultJobOptions: checkJobOptions(backoffDelayMs),
  });
  // The queue re-emits connection errors; without a listener Node would treat them as fatal.
  queue.on("error", () => {});

  return {
    async enqueue(job, { firstSubmission = false } = {}) {
      const jobId = checkJobId(job.viewId);
      // BullMQ answers an add whose job id exists with that id, as if it had added it: the job's
      // own request id, read back, says whether this add created it. A job already finished and
      // removed was not created by this add either.
      const addAndRead = async () => {
        await queue.add(CHECK_JOB, job, { jobId });
        if (firstSubmission) return "added";
        // Only the job's data field (BullMQ keeps it as JSON in the job's hash), not the whole job.
        const stored = await connection.hget(queue.toKey(jobId), "data");
        return stored !== null && requestIdOf(stored) === job.requestId ? "added" : "duplicate";
      };
      try {
        const added = await withDeadline(addAndRead(), deadlineMs, () => null);
        if (added === null)
          return { ok: false, reason: "unconfirmed", detail: `no answer within ${deadlineMs} ms` };
        return { ok: true, jobId, duplicate: added === "duplicate" };
      } catch (error) {
        const detail = (error as Error).message;
        return { ok: false, reason: notSent(error) ? "unavailable" : "unconfirmed", detail };
      }
    },
    async counts() {
      const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed");
      return {
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        failed: counts.failed ?? 0,
      };
    },
    close: () => queue.close(),
  };
}
