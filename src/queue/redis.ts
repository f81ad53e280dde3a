/** Redis connections for one role: a single server or a Redis Cluster, per the parsed config. */
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config.js";
import { withDeadline } from "../ops/deadline.js";
import type { Logger } from "../ops/logger.js";

export type RedisClient = Redis | Cluster;

/**
 * What a connection is for. Workers block on Redis and must never give up on a command
 * (BullMQ requires `maxRetriesPerRequest: null`); producers and stores must fail fast so a
 * Slack request gets an answer inside its 3 s budget when Redis is down.
 */
export type ConnectionPurpose = "worker" | "fail-fast";

/**
 * Where a connection's errors go: ioredis reconnects by itself and reports each failed attempt,
 * so a role logs them at debug level (readiness and metrics tell the operator that Redis is down);
 * a CLI command, which reports Redis trouble on its own, ignores them.
 */
export type RedisErrors = Logger | "ignore";

/**
 * Opens a connection (lazily: ioredis connects in the background and reconnects forever).
 * @param errors where its connection errors go; ioredis would print them as unhandled otherwise.
 */
export function connectRedis(
  redis: Config["redis"],
  purpose: ConnectionPurpose,
  errors: RedisErrors,
): RedisClient {
  const client = openClient(redis, purpose);
  client.on(
    "error",
    errors === "ignore"
      ? () => {}
      : (error: Error) => errors.debug({ err: error.message }, "redis connection error"),
  );
  return client;
}

function openClient(redis: Config["redis"], purpose: ConnectionPurpose): RedisClient {
  const options: RedisOptions = {
    connectionName: `autotask-connect:${purpose}`,
    maxRetriesPerRequest: purpose === "worker" ? null : 1,
    enableOfflineQueue: purpose === "worker",
    connectTimeout: 2_000,
    // Keep retrying, with a ceiling, so the process recovers once Redis is back without a restart.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), 2_000),
  };
  if (redis.clusterNodes && redis.clusterNodes.length > 0) {
    const nodes = redis.clusterNodes.map((node) => {
      const [host, port] = node.split(":");
      return { host: host as string, port: Number(port) };
    });
    return new Cluster(nodes, {
      redisOptions: options,
      enableOfflineQueue: options.enableOfflineQueue,
      clusterRetryStrategy: options.retryStrategy,
    });
  }
  return new Redis(redis.url, options);
}

/** Resolves when the connection answers PING within the deadline, else false. Never throws. */
export async function pingRedis(client: RedisClient, timeoutMs = 1_000): Promise<boolean> {
  try {
    return (await withDeadline(client.ping(), timeoutMs, () => "no answer")) === "PONG";
  } catch {
    return false;
  }
}
