/** What both roles are built from: the parsed config and the pieces shared in one process. */

import type { Dispatcher } from "undici";
import type { RetryPolicy } from "../autotask/retry.js";
import type { Config } from "../config.js";
import type { Logger } from "../ops/logger.js";
import type { Metrics } from "../ops/metrics.js";
import type { RedisClient } from "../queue/redis.js";
import type { SecretScrubber } from "../security/redact.js";
import type { SlackIdentity } from "../slack/slack-link.js";
import type { UndiciFetch } from "../slack/undici-fetch.js";
import type { RecentResults } from "../state/recent-results.js";
import type { RetryPrefills } from "../state/retry-prefill.js";

export type RoleContext = {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** The fail-fast connection: stores and the producer. */
  redis: RedisClient;
  /** AES-256-GCM key for secrets in job data. */
  credentialsKey: Buffer;
  scrubber: SecretScrubber;
  recent: RecentResults;
  prefills: RetryPrefills;
  /** Every outbound HTTP request's dispatcher (the HTTPS_PROXY proxy); undefined: undici's global one. */
  dispatcher?: Dispatcher;
  /** The Slack WebClients' fetch, through `dispatcher`. */
  slackFetch: UndiciFetch;
  /** Who the bot is in Slack, once auth.test answered at start-up. */
  slackIdentity: () => SlackIdentity | null;
  /** Test hooks, see RuntimeOptions. */
  stall?: { lockDurationMs: number; stalledIntervalMs: number };
  retry?: { jobBackoffMs?: number; autotask?: Partial<RetryPolicy> };
};
