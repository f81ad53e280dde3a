/**
 * The watch part of a worker process: runs scheduled watches (their own BullMQ worker on the
 * `watches` queue) and starts credentials watches when a check with "Watch this connection" ends
 * ok or warning (the check processor's `afterResult` hook).
 */
import type { WebClient } from "@slack/web-api";
import type { Config } from "../config.js";
import { rejectAfter } from "../ops/deadline.js";
import type { Logger } from "../ops/logger.js";
import type { ProcessCheckDeps } from "../queue/process-check.js";
import { connectRedis, type RedisClient } from "../queue/redis.js";
import type { SecretScrubber } from "../security/redact.js";
import type { ChannelPoster } from "../slack/channel-poster.js";
import { createWatchPoster } from "./alert.js";
import { createWatchRunner, type WatchRunDeps } from "./run.js";
import { createWatchScheduler } from "./scheduler.js";
import { createWatchService } from "./service.js";
import { createWatchStore } from "./store.js";
import { createWatchWorker } from "./worker.js";

export type WatchWorkerPartDeps = {
  config: Config;
  /** The fail-fast connection (stores, the scheduler's queue). */
  redis: RedisClient;
  slack: WebClient;
  /** The worker's per-channel posting lanes, shared with the check notifier. */
  poster: ChannelPoster;
  runCheck: WatchRunDeps["runCheck"];
  autotask: WatchRunDeps["autotask"];
  credentialsKey: Buffer;
  /** Opens a check job's ciphertext (bound to its request id). */
  openJobSecret: ProcessCheckDeps["openSecret"];
  scrubber: SecretScrubber;
  logger: Logger;
  retry?: WatchRunDeps["retry"];
};

export type WatchWorkerPart = {
  afterResult: NonNullable<ProcessCheckDeps["afterResult"]>;
  stop(graceMs: number): Promise<void>;
};

export function startWatchWorkerPart(deps: WatchWorkerPartDeps): WatchWorkerPart {
  const { config, logger } = deps;
  const prefix = config.queuePrefix;
  const store = createWatchStore(deps.redis, prefix);
  const scheduler = createWatchScheduler({
    connection: deps.redis,
    prefix,
    intervalSeconds: config.watch.intervalSeconds,
  });
  const poster = createWatchPoster(deps.slack, deps.poster);
  const service = createWatchService({
    store,
    scheduler,
    poster,
    limit: config.watch.perWorkspace,
    intervalSeconds: config.watch.intervalSeconds,
    credentialsKey: deps.credentialsKey,
    logger,
  });
  const run = createWatchRunner({
    store,
    scheduler,
    poster,
    runCheck: deps.runCheck,
    autotask: deps.autotask,
    keys: { current: deps.credentialsKey, previous: config.credentialsKeyPrevious },
    scrubber: deps.scrubber,
    logger,
    intervalSeconds: config.watch.intervalSeconds,
    retry: deps.retry,
  });
  const connection = connectRedis(config.redis, "worker", logger);
  const worker = createWatchWorker({
    connection,
    prefix,
    concurrency: config.workerConcurrency,
    run,
    scrubber: deps.scrubber,
    logger,
  });

  return {
    async afterResult(data, result, location) {
      if (!data.watch || !location) return;
      if (result.outcome === "failed") {
        if (data.sealedSecret === "") return; // a crash re-run: said already
        await poster
          .reply(
            { channelId: location.channelId, threadTs: location.parentTs },
            {
              text: "Not watched: a watch starts only from a check that works. Fix what the result says, then check again with Watch this connection ticked.",
              blocks: [],
            },
          )
          .catch(() => {});
        return;
      }
      if (!data.sealedSecret) return;
      const opened = deps.openJobSecret(data.sealedSecret, data.requestId);
      if (!opened.ok) return;
      const forget = deps.scrubber.add(opened.secret);
      try {
        await service.watchConnection({
          requestId: data.requestId,
          teamId: data.teamId,
          thread: { channelId: location.channelId, threadTs: location.parentTs },
          username: data.username,
          portalUrl: data.portalUrl,
          trackingId: data.trackingId,
          secret: opened.secret,
          createdBy: data.requesterId,
          result,
        });
      } finally {
        forget();
      }
    },
    async stop(graceMs) {
      // Every step bounded: a shutdown with Redis gone must not hang.
      const closed = await rejectAfter(worker.close(), graceMs).then(
        () => true,
        () => false,
      );
      if (!closed) await rejectAfter(worker.close(true), 2_000).catch(() => {});
      await rejectAfter(scheduler.close(), 2_000).catch(() => {});
      await rejectAfter(connection.quit(), 1_000).catch(() => connection.disconnect());
    },
  };
}
