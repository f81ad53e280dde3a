/**
 * The composition root: builds the web role (Bolt app, producer) and/or the worker role (BullMQ
 * worker, notifier) from the parsed config, and stops them gracefully. The CLI's `start`, the
 * offline demo and the end-to-end tests all run the bot through here.
 */
import { WebClient } from "@slack/web-api";
import { isTransient, runCheck, tooManyFailuresResult } from "./autotask/check.js";
import { type AutotaskClient, createAutotaskClient } from "./autotask/client.js";
import type { RetryPolicy } from "./autotask/retry.js";
import type { Config, Role } from "./config.js";
import { type OpsServer, opsRoutes, type ReadinessCheck, startOpsServer } from "./ops/http.js";
import { type Logger, toSlackLogger } from "./ops/logger.js";
import { createMetrics, type Metrics } from "./ops/metrics.js";
import { createLockoutGuard } from "./queue/lockout.js";
import { createCheckProcessor } from "./queue/process-check.js";
import { type CheckProducer, createCheckProducer } from "./queue/producer.js";
import { connectRedis, pingRedis, type RedisClient } from "./queue/redis.js";
import { createCheckWorker } from "./queue/worker.js";
import { openSecret, sealSecret } from "./security/envelope.js";
import { processScrubber, type SecretScrubber } from "./security/redact.js";
import { createAdmissions } from "./slack/admission.js";
import { createSlackApp, type SlackApp } from "./slack/app.js";
import { createAuthorizer } from "./slack/authorize.js";
import { createCommandHandler } from "./slack/command.js";
import { createNotifier, slackErrorCode } from "./slack/notifier.js";
import { createResponseUrlPoster, responseUrlHosts } from "./slack/response-url.js";
import { createRetryActionHandler } from "./slack/retry-action.js";
import { createSubmissionHandler } from "./slack/submission.js";
import { createRecentResults } from "./state/recent-results.js";
import { createRetryPrefills } from "./state/retry-prefill.js";
import { createSlidingWindow } from "./state/sliding-window.js";
import { createThreadStore } from "./state/thread-state.js";
import { USER_AGENT } from "./version.js";

export type RuntimeOptions = {
  config: Config;
  role: Role;
  logger: Logger;
  /** AES-256-GCM key for secrets in job data (config's, or one generated for single-process mode). */
  credentialsKey: Buffer;
  scrubber?: SecretScrubber;
  /** Test hook: faster stalled-job takeover. */
  stall?: { lockDurationMs: number; stalledIntervalMs: number };
  /**
   * Test hook: faster retries of transient Autotask failures. `jobBackoffMs` is the wait before a
   * job's first retry (@defaultValue 5_000); `autotask` the retry policy of each request inside a check.
   */
  retry?: { jobBackoffMs?: number; autotask?: Partial<RetryPolicy> };
};

export type Runtime = {
  /** The HTTP port of /slack/events and the ops endpoints, when listening. */
  port: number | null;
  metrics: Metrics;
  /** Stops taking requests, lets active checks finish within `graceMs`, then closes Redis. */
  stop(graceMs?: number): Promise<void>;
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

/** Resolves with the promise, or rejects once `ms` have passed. */
function within<T>(ms: number, promise: Promise<T> | undefined): Promise<T | undefined> {
  if (!promise) return Promise.resolve(undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, role, logger, credentialsKey } = options;
  const scrubber = options.scrubber ?? processScrubber;
  const prefix = config.queuePrefix;
  const runsWeb = role !== "worker";
  const runsWorker = role !== "web";

  const redis: RedisClient = connectRedis(config.redis, "fail-fast");
  redis.on("error", (error: Error) => logger.debug({ err: error.message }, "redis connection error"));
  const closers: Array<() => Promise<unknown>> = [];
  let producer: CheckProducer | null = null;
  const metrics = createMetrics({
    collectDefault: true,
    queueCounts: () =>
      producer ? producer.counts() : Promise.resolve({ waiting: 0, active: 0, delayed: 0, failed: 0 }),
  });
  producer = createCheckProducer({ connection: redis, prefix, backoffDelayMs: options.retry?.jobBackoffMs });

  const readiness: ReadinessCheck[] = [
    {
      name: "redis",
      check: async () =>
        (await pingRedis(redis)) ? { ok: true } : { ok: false, detail: "Redis does not answer PING" },
    },
  ];
  const recent = createRecentResults(redis, prefix);
  const prefills = createRetryPrefills(redis, prefix);
  const hourlyWindow = (name: string, limit: number) =>
    createSlidingWindow({ redis, prefix, name, limit, windowMs: 3_600_000 });
  const admissions = createAdmissions({
    perUser: hourlyWindow("user-checks", config.limits.checksPerUserPerHour),
    perWorkspace: hourlyWindow("workspace-checks", config.limits.checksPerWorkspacePerHour),
    limits: config.limits,
  });

  // Worker role.
  let worker: ReturnType<typeof createCheckWorker> | null = null;
  let workerConnection: RedisClient | null = null;
  if (runsWorker) {
    const slackClient = new WebClient(config.slack.botToken, {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      logger: toSlackLogger(logger, "web-api"),
      timeout: 10_000,
      retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 5_000, randomize: true },
    });
    const threads = createThreadStore(redis, prefix);
    const notifier = createNotifier({
      client: slackClient,
      threads,
      respond: createResponseUrlPoster({ allowedHosts: responseUrlHosts(config.slack.apiUrl) }),
      logger,
      onSlackError: (method, error) => metrics.slackCallErrors.inc({ method, error }),
    });
    const autotask = countingFailures(
      createAutotaskClient({
        timeoutMs: config.autotask.timeoutMs,
        originOverride: config.autotask.originOverride,
        userAgent: USER_AGENT,
      }),
      metrics,
    );
    const processor = createCheckProcessor({
      runCheck: (input, hooks) =>
        runCheck(input, {
          client: autotask,
          requiredEntities: config.autotask.requiredEntities,
          retry: options.retry?.autotask,
          ...hooks,
        }),
      tooManyFailures: tooManyFailuresResult,
      isTransient,
      openSecret: (sealed, requestId) => openSecret(sealed, credentialsKey, requestId),
      notifier,
      threads,
      lockout: createLockoutGuard({ redis, prefix }),
      retryPrefills: prefills,
      recent,
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
    });
    workerConnection = connectRedis(config.redis, "worker");
    workerConnection.on("error", (error: Error) =>
      logger.debug({ err: error.message }, "redis connection error"),
    );
    worker = createCheckWorker({
      connection: workerConnection,
      prefix,
      concurrency: config.workerConcurrency,
      processor,
      scrubber,
      logger,
      stall: options.stall,
    });
    await within(5_000, worker.waitUntilReady()).catch(() => {
      logger.warn("the worker is not connected to Redis yet; it keeps trying");
    });
    const running = worker;
    readiness.push({
      name: "worker",
      check: async () =>
        running.isRunning() && !running.closing
          ? { ok: true }
          : { ok: false, detail: "the worker is not running" },
    });
  }

  // Web role.
  let slackApp: SlackApp | null = null;
  let opsServer: OpsServer | null = null;
  const routes = opsRoutes({ metrics, readiness });
  let port: number | null = null;
  if (runsWeb) {
    const queue = producer;
    let webClient: WebClient | null = null;
    const authorize = createAuthorizer(config.authorizedUsers, {
      lookupRoles: async (userId) => {
        const reply = await (webClient as WebClient).users.info({ user: userId });
        return {
          isAdmin: Boolean(reply.user?.is_admin),
          isOwner: Boolean(reply.user?.is_owner || reply.user?.is_primary_owner),
        };
      },
    });
    slackApp = createSlackApp({
      slack: config.slack,
      logger,
      opsRoutes: routes,
      handlers: {
        command: createCommandHandler({
          authorize,
          policy: config.authorizedUsers,
          recent,
          checkAdmission: admissions.check,
        }),
        submission: createSubmissionHandler({
          enqueue: async (job) => {
            const queued = await queue.enqueue(job);
            if (!queued.ok) metrics.enqueueFailures.inc();
            return queued;
          },
          sealSecret: (secret, requestId) => sealSecret(secret, credentialsKey, requestId),
          authorize,
          admit: admissions.admit,
          logger,
        }),
        retry: createRetryActionHandler({ authorize, policy: config.authorizedUsers, prefills }),
      },
    });
    webClient = slackApp.app.client;
    port = await slackApp.start(config.port);
    if (slackApp.mode === "socket") {
      opsServer = await startOpsServer(config.port, routes);
      port = opsServer.port;
    }
  } else {
    opsServer = await startOpsServer(config.port, routes);
    port = opsServer.port;
  }
  logger.info({ role, port, mode: slackApp?.mode ?? "worker-only", prefix }, "autotask-connect started");

  return {
    port,
    metrics,
    async stop(graceMs = 20_000) {
      // 1. Stop taking requests. 2. Let active checks finish (bounded). 3. Close Redis. Each step
      // is bounded too: a shutdown with Redis gone must not hang.
      await within(5_000, slackApp?.stop()).catch((error: unknown) =>
        logger.warn({ error: slackErrorCode(error) }, "stopping the Slack app failed"),
      );
      if (worker) {
        const finished = await within(graceMs, worker.close()).then(
          () => true,
          () => false,
        );
        // Past the grace period the job's lock lapses and another worker takes it over.
        if (!finished) await within(2_000, worker.close(true)).catch(() => {});
      }
      await within(2_000, opsServer?.close()).catch(() => {});
      await within(2_000, producer?.close()).catch(() => {});
      for (const close of closers) await within(2_000, close()).catch(() => {});
      for (const connection of [workerConnection, redis]) {
        await within(1_000, connection?.quit()).catch(() => connection?.disconnect());
      }
    },
  };
}
