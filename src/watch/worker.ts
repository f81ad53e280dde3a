/** The BullMQ Worker of the `watches` queue: each job is one run of one watch. */
import { Worker } from "bullmq";
import type { Logger } from "../ops/logger.js";
import type { RedisClient } from "../queue/redis.js";
import type { SecretScrubber } from "../security/redact.js";
import type { RunOutcome } from "./run.js";
import { WATCH_QUEUE, type WatchJob } from "./scheduler.js";

export type WatchWorkerOptions = {
  connection: RedisClient;
  prefix: string;
  /** Runs at once in this process. */
  concurrency: number;
  run: (watchId: string, signal?: AbortSignal) => Promise<RunOutcome>;
  scrubber: SecretScrubber;
  logger: Logger;
};

export function createWatchWorker(options: WatchWorkerOptions): Worker<WatchJob, { status: string }> {
  const { logger, scrubber } = options;
  const worker = new Worker<WatchJob, { status: string }>(
    WATCH_QUEUE,
    async (job, _token, signal) => {
      try {
        const outcome = await options.run(job.data.watchId, signal);
        return { status: outcome.status };
      } catch (error) {
        // Stored by BullMQ in Redis: the message only, scrubbed. The next interval runs again.
        const message = scrubber.scrub(error instanceof Error ? error.message : String(error)).slice(0, 300);
        const safe = new Error(message);
        safe.stack = `Error: ${message}`;
        throw safe;
      }
    },
    { connection: options.connection, prefix: options.prefix, concurrency: options.concurrency },
  );
  worker.on("error", (error) => logger.error({ err: scrubber.scrub(error.message) }, "watch worker error"));
  worker.on("failed", (job, error) =>
    logger.warn({ watchId: job?.data.watchId, reason: error.message }, "watch run failed"),
  );
  return worker;
}
