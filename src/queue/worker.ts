/** The BullMQ Worker that runs checks. Options tuned so a crashed worker's check is picked up fast. */
import { type Job, UnrecoverableError, WaitingError, Worker } from "bullmq";
import type { Logger } from "../ops/logger.js";
import type { SecretScrubber } from "../security/redact.js";
import { CHECK_QUEUE, type CheckJob, type CheckJobReturn } from "./jobs.js";
import type { RedisClient } from "./redis.js";

export type CheckWorkerOptions = {
  connection: RedisClient;
  prefix: string;
  /** Checks run at once in this process. @defaultValue 10 */
  concurrency: number;
  processor: (job: Job<CheckJob>, token?: string, signal?: AbortSignal) => Promise<CheckJobReturn>;
  scrubber: SecretScrubber;
  logger: Logger;
  /**
   * A job whose worker died is taken over once its lock expires (lockDuration) and the next
   * stalled-job sweep runs (stalledInterval): at most about 25 s, inside the contract's 60 s.
   * @defaultValue { lockDurationMs: 15_000, stalledIntervalMs: 10_000 }
   */
  stall?: { lockDurationMs: number; stalledIntervalMs: number };
};

/**
 * Errors thrown by the processor are stored by BullMQ in Redis (failedReason, stacktrace, the
 * events stream). Re-throw them scrubbed, keeping only the message, and keep their kind.
 */
function sanitized(error: unknown, scrubber: SecretScrubber): Error {
  const message = scrubber.scrub(error instanceof Error ? error.message : String(error)).slice(0, 500);
  const safe = error instanceof UnrecoverableError ? new UnrecoverableError(message) : new Error(message);
  safe.stack = `${safe.name}: ${message}`;
  return safe;
}

export function createCheckWorker(options: CheckWorkerOptions): Worker<CheckJob, CheckJobReturn> {
  const { processor, scrubber, logger } = options;
  const stall = options.stall ?? { lockDurationMs: 15_000, stalledIntervalMs: 10_000 };
  const worker = new Worker<CheckJob, CheckJobReturn>(
    CHECK_QUEUE,
    async (job, token, signal) => {
      try {
        return await processor(job, token, signal);
      } catch (error) {
        // Control flow for BullMQ (the job was moved back to the queue), not a failure.
        if (error instanceof WaitingError) throw error;
        throw sanitized(error, scrubber);
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: stall.lockDurationMs,
      stalledInterval: stall.stalledIntervalMs,
      maxStalledCount: 2,
    },
  );
  worker.on("error", (error) => logger.error({ err: sanitized(error, scrubber) }, "worker error"));
  worker.on("failed", (job, error) => {
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
    logger.warn(
      { jobId: job.id, attemptsMade: job.attemptsMade, final, reason: error.message },
      "check job failed",
    );
    // A job that will not run again has no use for its ciphertext.
    if (final && job.data.sealedSecret) {
      job.updateData({ ...job.data, sealedSecret: "" }).catch(() => {});
    }
  });
  return worker;
}
