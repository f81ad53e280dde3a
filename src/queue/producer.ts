/** Enqueues checks. Fails fast when Redis is down so the modal can say so inside Slack's 3 s. */
import { Queue } from "bullmq";
import { withDeadline } from "../ops/deadline.js";
import { CHECK_JOB, CHECK_QUEUE, type CheckJob, checkJobId, checkJobOptions } from "./jobs.js";
import type { RedisClient } from "./redis.js";

export type EnqueueResult =
  | { ok: true; jobId: string; duplicate: boolean }
  | { ok: false; reason: "unavailable"; detail: string };

export type CheckProducer = {
  /** Adds the job unless one for the same view exists. Resolves within `deadlineMs`. */
  enqueue(job: CheckJob): Promise<EnqueueResult>;
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
    async enqueue(job) {
      const jobId = checkJobId(job.viewId);
      try {
        const added = await withDeadline(queue.add(CHECK_JOB, job, { jobId }), deadlineMs, () => null);
        if (added === null)
          return { ok: false, reason: "unavailable", detail: `no answer within ${deadlineMs} ms` };
        return { ok: true, jobId, duplicate: added.data.requestId !== job.requestId };
      } catch (error) {
        return { ok: false, reason: "unavailable", detail: (error as Error).message };
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
