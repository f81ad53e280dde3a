/**
 * The Redis a bench run uses: REDIS_URL when set, else one answering on 127.0.0.1:6379, else a
 * private redis-server. Every run has its own key prefixes and deletes only its own keys after:
 * never a flush.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { REDIS_INSTALL_HINT, redisAnswers, startEmbeddedRedis } from "../../src/ops/embedded-redis.js";

export type BenchRedis = { url: string; source: string; stop(): Promise<void> };

export async function findBenchRedis(env: NodeJS.ProcessEnv): Promise<BenchRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: "REDIS_URL", stop: async () => {} };
  if (await redisAnswers("127.0.0.1", 6379)) {
    return { url: "redis://127.0.0.1:6379", source: "127.0.0.1:6379", stop: async () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), "autotask-connect-bench-"));
  try {
    const redis = await startEmbeddedRedis({ dir, appendOnly: false });
    return {
      url: redis.url,
      source: "private redis-server",
      async stop() {
        await redis.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}\n${REDIS_INSTALL_HINT}`);
  }
}

/** Deletes every key under these prefixes (SCAN + UNLINK), and nothing else. */
export async function deletePrefixes(url: string, prefixes: readonly string[]): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    for (const prefix of prefixes) {
      // Glob metacharacters in a prefix would widen the match: escape them.
      const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1_000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
