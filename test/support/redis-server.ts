/**
 * Finds the Redis the tests use (DESIGN.md Part B, "Commands"): REDIS_URL when set; else
 * 127.0.0.1:6379 when something answers; else a private redis-server from PATH on a free port.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REDIS_INSTALL_HINT, redisAnswers, startEmbeddedRedis } from "../../src/ops/embedded-redis.js";

export type PrivateRedis = { url: string; port: number; stop: () => Promise<void> };

/** Starts a throw-away redis-server in a temporary folder; `args` adds options. */
export async function startPrivateRedis(
  options: { args?: string[]; port?: number; appendOnly?: boolean; dir?: string } = {},
): Promise<PrivateRedis> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "autotask-connect-redis-"));
  try {
    const redis = await startEmbeddedRedis({
      dir,
      port: options.port,
      appendOnly: options.appendOnly ?? false,
      args: options.args,
    });
    return {
      url: redis.url,
      port: redis.port,
      stop: async () => {
        await redis.stop();
        if (!options.dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${REDIS_INSTALL_HINT}`);
  }
}

/** The Redis URL tests should use, and how to stop what was started for them. */
export async function findTestRedis(env = process.env): Promise<{ url: string; stop: () => Promise<void> }> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, stop: async () => {} };
  if (await redisAnswers("127.0.0.1", 6379)) return { url: "redis://127.0.0.1:6379", stop: async () => {} };
  const redis = await startPrivateRedis();
  return { url: redis.url, stop: redis.stop };
}
