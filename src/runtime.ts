/**
 * The composition root: starts the web role (Bolt app, producer) and/or the worker role (BullMQ
 * worker, notifier) from the parsed config, and stops them gracefully. The CLI's `start`, the
 * offline demo and the end-to-end tests all run the bot through here.
 */
import type { Config, Role } from "./config.js";
import { rejectAfter } from "./ops/deadline.js";
import { type OpsServer, opsRoutes, type ReadinessCheck, startOpsServer } from "./ops/http.js";
import type { Logger } from "./ops/logger.js";
import { createMetrics, type Metrics } from "./ops/metrics.js";
import { createOutboundDispatcher } from "./ops/proxy.js";
import { createCheckProducer } from "./queue/producer.js";
import { connectRedis, pingRedis } from "./queue/redis.js";
import type { RoleContext } from "./roles/context.js";
import { startWebRole } from "./roles/web-role.js";
import { startWorkerRole, type WorkerRole } from "./roles/worker-role.js";
import { processScrubber, type SecretScrubber } from "./security/redact.js";
import type { SlackApp } from "./slack/app.js";
import { slackErrorCode } from "./slack/notifier.js";
import {
  createSlackLink,
  createSlackLinkClient,
  rejectedTokenLine,
  SLACK_API_URL,
} from "./slack/slack-link.js";
import { createUndiciFetch } from "./slack/undici-fetch.js";
import { createRecentResults } from "./state/recent-results.js";
import { createRetryPrefills } from "./state/retry-prefill.js";

export type RuntimeOptions = {
  config: Config;
  role: Role;
  logger: Logger;
  /** AES-256-GCM key for secrets in job data (config's, or one generated for single-process mode). */
  credentialsKey: Buffer;
  scrubber?: SecretScrubber;
  /** Test hook: faster stalled-job takeover. */
  stall?: RoleContext["stall"];
  /**
   * Test hook: faster retries of transient Autotask failures. `jobBackoffMs` is the wait before a
   * job's first retry (@defaultValue 5_000); `autotask` the retry policy of each request inside a check.
   */
  retry?: RoleContext["retry"];
};

/** Slack refused the bot token at start-up: nothing was started. `message` is the line to show. */
export class SlackTokenRejectedError extends Error {
  constructor(readonly slackError: string) {
    super(rejectedTokenLine(slackError));
    this.name = "SlackTokenRejectedError";
  }
}

export type Runtime = {
  /** The HTTP port of /slack/events and the ops endpoints, when listening. */
  port: number | null;
  metrics: Metrics;
  /**
   * Resolves with one line saying why, when the process must stop on its own (Slack refused the
   * token on a retry after start-up). Never rejects; stays pending otherwise.
   */
  fatal: Promise<string>;
  /** Stops taking requests, lets active checks finish within `graceMs`, then closes Redis. */
  stop(graceMs?: number): Promise<void>;
};

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const { config, role, logger } = options;
  const prefix = config.queuePrefix;

  // One dispatcher for every outbound request: the proxy of HTTPS_PROXY / NO_PROXY, if any.
  const dispatcher = createOutboundDispatcher(config.proxy);
  const slackFetch = createUndiciFetch(dispatcher);
  // The token is checked before anything starts: a refused token stops start-up with one line;
  // an unreachable Slack is retried in the background while /readyz says so.
  let reportFatal: (line: string) => void = () => {};
  const fatal = new Promise<string>((resolve) => {
    reportFatal = resolve;
  });
  const slackLink = createSlackLink({
    client: createSlackLinkClient(config.slack, slackFetch, logger),
    host: new URL(config.slack.apiUrl ?? SLACK_API_URL).host,
    logger,
    onRejected: (error) => reportFatal(rejectedTokenLine(error)),
  });
  const firstProbe = await slackLink.connect();
  if (firstProbe.kind === "rejected") {
    slackLink.stop();
    await dispatcher?.close();
    throw new SlackTokenRejectedError(firstProbe.error);
  }

  const redis = connectRedis(config.redis, "fail-fast", logger);
  const producer = createCheckProducer({
    connection: redis,
    prefix,
    backoffDelayMs: options.retry?.jobBackoffMs,
  });
  const metrics = createMetrics({ collectDefault: true, queueCounts: () => producer.counts() });
  const context: RoleContext = {
    config,
    logger,
    metrics,
    redis,
    credentialsKey: options.credentialsKey,
    scrubber: options.scrubber ?? processScrubber,
    recent: createRecentResults(redis, prefix),
    prefills: createRetryPrefills(redis, prefix),
    stall: options.stall,
    retry: options.retry,
    dispatcher,
    slackFetch,
    slackIdentity: () => slackLink.identity(),
  };

  const readiness: ReadinessCheck[] = [
    slackLink.readiness,
    {
      name: "redis",
      check: async () =>
        (await pingRedis(redis)) ? { ok: true } : { ok: false, detail: "Redis does not answer PING" },
    },
  ];
  const worker: WorkerRole | null = role === "web" ? null : await startWorkerRole(context);
  if (worker) readiness.push(worker.readiness);

  // Ops endpoints share the Slack receiver's port in HTTP mode; otherwise they get a server of their own.
  const routes = opsRoutes({ metrics, readiness });
  let web: { app: SlackApp; port: number | null } | null = null;
  let opsServer: OpsServer | null = null;
  // Without the HTTP receiver the ops endpoints get their own server, first: a Socket Mode start
  // waits for Slack, and /readyz must say why meanwhile.
  if (role === "worker" || config.slack.appToken) opsServer = await startOpsServer(config.port, routes);
  if (role !== "worker") web = await startWebRole({ ...context, producer, opsRoutes: routes });
  const port = opsServer?.port ?? web?.port ?? null;
  logger.info({ role, port, mode: web?.app.mode ?? "worker-only", prefix }, "autotask-connect started");

  return {
    port,
    metrics,
    fatal,
    async stop(graceMs = 20_000) {
      slackLink.stop();
      // 1. Stop taking requests. 2. Let active checks finish (bounded). 3. Close Redis. Each step
      // is bounded too: a shutdown with Redis gone must not hang.
      if (web) {
        await rejectAfter(web.app.stop(), 5_000).catch((error: unknown) =>
          logger.warn({ error: slackErrorCode(error) }, "stopping the Slack app failed"),
        );
      }
      await worker?.stop(graceMs);
      if (opsServer) await rejectAfter(opsServer.close(), 2_000).catch(() => {});
      await rejectAfter(producer.close(), 2_000).catch(() => {});
      await rejectAfter(redis.quit(), 1_000).catch(() => redis.disconnect());
      if (dispatcher) await rejectAfter(dispatcher.close(), 1_000).catch(() => {});
    },
  };
}
