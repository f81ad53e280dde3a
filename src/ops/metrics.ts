/**
 * Prometheus metrics of one process, on its own registry (not prom-client's global one), so
 * tests and embedded uses can create as many as they like.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { rejectAfter } from "./deadline.js";

export type QueueCounts = { waiting: number; active: number; delayed: number; failed: number };

export type Metrics = {
  registry: Registry;
  /** Finished checks, by outcome (ok, warning, failed) and result code. */
  checksTotal: Counter<"outcome" | "code">;
  /** Seconds from a worker starting a check to its result, by outcome. */
  checkDuration: Histogram<"outcome">;
  /** Jobs in the queue by state (waiting, active, delayed, failed), read at scrape time. */
  queueJobs: Gauge<"state">;
  /** Slack Web API calls that failed, by method and Slack error code. */
  slackCallErrors: Counter<"method" | "error">;
  /** Autotask calls that failed, by kind (timeout, network, http_5xx, ...). */
  autotaskCallErrors: Counter<"kind">;
  /** Submissions that could not be queued (Redis unreachable). */
  enqueueFailures: Counter;
};

export type MetricsOptions = {
  /** Also collect Node.js process metrics (heap, event loop lag, ...). @defaultValue false */
  collectDefault?: boolean;
  /**
   * Reads the queue's job counts on each scrape. Without it, `queueJobs` has no samples (a
   * web-only process may not know the queue). A failing read leaves the gauge empty for that scrape.
   */
  queueCounts?: () => Promise<QueueCounts>;
};

/** A scrape must not hang on a Redis that does not answer. */
const QUEUE_COUNTS_DEADLINE_MS = 1_000;

/** Creates the metrics of one process. Names are prefixed `autotask_connect_`. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.collectDefault) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const queueCounts = options.queueCounts;
  return {
    registry,
    checksTotal: new Counter({
      name: "autotask_connect_checks_total",
      help: "Credential checks finished, by outcome and result code.",
      labelNames: ["outcome", "code"] as const,
      registers,
    }),
    checkDuration: new Histogram({
      name: "autotask_connect_check_duration_seconds",
      help: "Duration of one credential check in seconds, by outcome.",
      labelNames: ["outcome"] as const,
      // Autotask answers in about a second; each request has a 10 s deadline and a check makes a few.
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers,
    }),
    queueJobs: new Gauge({
      name: "autotask_connect_queue_jobs",
      help: "Validation jobs in the queue, by state, read at scrape time.",
      labelNames: ["state"] as const,
      registers,
      async collect() {
        if (!queueCounts) return;
        this.reset();
        try {
          const counts = await rejectAfter(queueCounts(), QUEUE_COUNTS_DEADLINE_MS, "queue counts");
          for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
        } catch {
          // Redis unreachable: no samples rather than a failed scrape; /readyz reports the cause.
        }
      },
    }),
    slackCallErrors: new Counter({
      name: "autotask_connect_slack_call_errors_total",
      help: "Slack Web API calls that failed, by method and error.",
      labelNames: ["method", "error"] as const,
      registers,
    }),
    autotaskCallErrors: new Counter({
      name: "autotask_connect_autotask_call_errors_total",
      help: "Autotask REST calls that failed, by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    enqueueFailures: new Counter({
      name: "autotask_connect_enqueue_failures_total",
      help: "Submissions that could not be queued.",
      registers,
    }),
  };
}
