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
   * stalled-job sweep runs (stalledInterval): at most about 7 s after the death, plus the re-run,
   * inside the contract's 10 s. The lock is renewed every lockDuration / 2 (2.5 s), so a check
   * that is merely slow, or an event loop busy for up to about 2.5 s, keeps its job.
   * @defaultValue STALL_DEFAULTS
   */
  stall?: { lockDurationMs: number; stalledIntervalMs: number };
  /**
   * Told once, on the one worker that failed it for good, about a job that will not run again:
   * attempts used up, or stalled more than maxStalledCount times (BullMQ then fails it on the next
   * worker that fetches it, without running it, and `failed` fires there, not on the worker that
   * died). `stalled` says which.
   */
  onGaveUp?: (job: Job<CheckJob>, stalled: boolean) => Promise<void>;
};

/** Lock and stalled-sweep timing of the check worker, in milliseconds. */
export const STALL_DEFAULTS = { lockDurationMs: 5_000, stalledIntervalMs: 2_000 } as const;

/** BullMQ's failedReason for a job stalled more than maxStalledCount times. */
const STALLED_TOO_OFTEN = "job stalled more than allowable limit";

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
  const stall = options.stall ?? STALL_DEFAULTS;
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
    if (!final) return;
    // A job that will not run again has no use for its ciphertext.
    if (job.data.sealedSecret) job.updateData({ ...job.data, sealedSecret: "" }).catch(() => {});
    options
      .onGaveUp?.(job, error.message === STALLED_TOO_OFTEN)
      ?.catch((failure: unknown) =>
        logger.error(
          { jobId: job.id, err: sanitized(failure, scrubber).message },
          "could not report a check the queue gave up on",
        ),
      );
  });
  return worker;
}
