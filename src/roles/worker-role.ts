/** The worker role: a BullMQ worker running checks and reporting them to Slack. */
import { loginInFlightMs } from "../autotask/budget.js";
import { isTransient, runCheck } from "../autotask/check.js";
import { type AutotaskClient, createAutotaskClient } from "../autotask/client.js";
import { DEFAULT_RETRY } from "../autotask/retry.js";
import { rejectAfter } from "../ops/deadline.js";
import type { ReadinessCheck } from "../ops/http.js";
import type { Metrics } from "../ops/metrics.js";
import { createCheckProcessor, createGiveUpReporter, type ProcessCheckDeps } from "../queue/process-check.js";
import { connectRedis } from "../queue/redis.js";
import { createCheckWorker } from "../queue/worker.js";
import { openSecret } from "../security/envelope.js";
import { createPostingClient } from "../slack/app.js";
import { createChannelPoster } from "../slack/channel-poster.js";
import { createNotifier } from "../slack/notifier.js";
import { createResponseUrlPoster, responseUrlHosts } from "../slack/response-url.js";
import { createRedisLoginBudget } from "../state/login-budget.js";
import { createThreadStore } from "../state/thread-state.js";
import { USER_AGENT } from "../version.js";
import { startWatchWorkerPart } from "../watch/worker-part.js";
import type { RoleContext } from "./context.js";

export type WorkerRole = {
  readiness: ReadinessCheck;
  /** Lets active checks finish within `graceMs`; past it their locks lapse and another worker takes over. */
  stop(graceMs: number): Promise<void>;
};

/** A client that counts failed Autotask calls by kind, for /metrics. */
function countingFailures(client: AutotaskClient, metrics: Metrics): AutotaskClient {
  const count = <T extends { kind: string; status?: number; failure?: string }>(reply: T): T => {
    if (reply.kind === "network") metrics.autotaskCallErrors.inc({ kind: reply.failure ?? "network" });
    else if (reply.kind === "blocked") metrics.autotaskCallErrors.inc({ kind: "blocked" });
    else if (reply.status !== undefined && reply.status >= 400)
      metrics.autotaskCallErrors.inc({ kind: `http_${reply.status}` });
    return reply;
  };
  return {
    zoneInformation: (...args) => client.zoneInformation(...args).then(count),
    thresholdInformation: (...args) => client.thresholdInformation(...args).then(count),
    queryEntity: (...args) => client.queryEntity(...args).then(count),
  };
}

export async function startWorkerRole(context: RoleContext): Promise<WorkerRole> {
  const { config, logger, metrics, redis, scrubber } = context;
  const prefix = config.queuePrefix;
  const slackClient = createPostingClient(config.slack, logger, context.dispatcher);
  const threads = createThreadStore(redis, prefix);
  // One lane per channel for every post of this process: check threads and watch alerts alike.
  const poster = createChannelPoster({
    onRateLimited: (method) => metrics.slackCallErrors.inc({ method, error: "ratelimited" }),
  });
  const notifier = createNotifier({
    client: slackClient,
    poster,
    threads,
    respond: createResponseUrlPoster({
      allowedHosts: responseUrlHosts(config.slack.apiUrl),
      dispatcher: context.dispatcher,
    }),
    logger,
    onSlackError: (method, error) => metrics.slackCallErrors.inc({ method, error }),
  });
  const autotask = countingFailures(
    createAutotaskClient({
      timeoutMs: config.autotask.timeoutMs,
      originOverride: config.autotask.originOverride,
      userAgent: USER_AGENT,
      dispatcher: context.dispatcher,
    }),
    metrics,
  );
  // Shared by every check, job attempt and worker process of this deployment, through Redis.
  const budget = createRedisLoginBudget({
    redis,
    prefix,
    inFlightMs: loginInFlightMs(config.autotask.timeoutMs, { ...DEFAULT_RETRY, ...context.retry?.autotask }),
    onError: (operation, error) =>
      logger.warn(
        { operation, err: error instanceof Error ? error.message : String(error) },
        "login budget: Redis failed",
      ),
  });
  // The composed check: the check worker and watch runs both go through it (and its login budget).
  const composedRunCheck: ProcessCheckDeps["runCheck"] = (input, hooks) =>
    runCheck(input, {
      client: autotask,
      budget,
      requiredEntities: config.autotask.requiredEntities,
      retry: context.retry?.autotask,
      ...hooks,
    });
  const openJobSecret: ProcessCheckDeps["openSecret"] = (sealed, requestId) =>
    openSecret(sealed, context.credentialsKey, requestId);
  const watches = startWatchWorkerPart({
    config,
    redis,
    slack: slackClient,
    poster,
    runCheck: composedRunCheck,
    autotask,
    credentialsKey: context.credentialsKey,
    openJobSecret,
    scrubber,
    logger,
    retry: context.retry?.autotask,
  });
  const processor = createCheckProcessor({
    runCheck: composedRunCheck,
    isTransient,
    openSecret: openJobSecret,
    notifier,
    threads,
    retryPrefills: context.prefills,
    recent: context.recent,
    scrubber,
    logger,
    onResult: (result, durationMs) => {
      metrics.checksTotal.inc({ outcome: result.outcome, code: result.code });
      metrics.checkDuration.observe({ outcome: result.outcome }, durationMs / 1_000);
      logger.info(
        { requestId: result.requestId, outcome: result.outcome, code: result.code, durationMs },
        "check finished",
      );
    },
    afterResult: watches.afterResult,
  });

  // BullMQ workers block on Redis: a connection of their own that never gives up on a command.
  const connection = connectRedis(config.redis, "worker", logger);
  const worker = createCheckWorker({
    connection,
    prefix,
    concurrency: config.workerConcurrency,
    processor,
    scrubber,
    logger,
    stall: context.stall,
    onGaveUp: createGiveUpReporter({ notifier, threads, logger }),
  });
  await rejectAfter(worker.waitUntilReady(), 5_000, "connecting the worker").catch(() => {
    logger.warn("the worker is not connected to Redis yet; it keeps trying");
  });

  return {
    readiness: {
      name: "worker",
      check: async () =>
        worker.isRunning() && !worker.closing
          ? { ok: true }
          : { ok: false, detail: "the worker is not running" },
    },
    async stop(graceMs) {
      // Watch runs stop alongside the checks, not after them.
      const watchesStopped = watches.stop(graceMs);
      const finished = await rejectAfter(worker.close(), graceMs).then(
        () => true,
        () => false,
      );
      if (!finished) {
        // Past the grace period, cancel the checks still running: each goes back to the queue at
        // once, unreported, for another worker. Without this the process lingers until their
        // Autotask requests time out, and a job left active waits for its lock to lapse.
        worker.cancelAllJobs("shutdown");
        const requeued = await rejectAfter(worker.close(), 2_000).then(
          () => true,
          () => false,
        );
        if (!requeued) await rejectAfter(worker.close(true), 2_000).catch(() => {});
      }
      await watchesStopped;
      await rejectAfter(connection.quit(), 1_000).catch(() => connection.disconnect());
    },
  };
}
