/** What both roles are built from: the parsed config and the pieces shared in one process. */
import type { RetryPolicy } from "../autotask/retry.js";
import type { Config } from "../config.js";
import type { Logger } from "../ops/logger.js";
import type { Metrics } from "../ops/metrics.js";
import type { RedisClient } from "../queue/redis.js";
import type { SecretScrubber } from "../security/redact.js";
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
  /** Test hooks, see RuntimeOptions. */
  stall?: { lockDurationMs: number; stalledIntervalMs: number };
  retry?: { jobBackoffMs?: number; autotask?: Partial<RetryPolicy> };
};
