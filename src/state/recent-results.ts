/** The last results of each workspace, for `/autotask-connect status`. No secrets: see StatusEntry. */
import type { RedisClient } from "../queue/redis.js";
import type { StatusEntry } from "../slack/messages.js";

export type RecentResults = {
  add(teamId: string, entry: StatusEntry): Promise<void>;
  list(teamId: string): Promise<StatusEntry[]>;
};

/** @param keep how many results per workspace. @defaultValue 10 */
export function createRecentResults(redis: RedisClient, prefix: string, keep = 10): RecentResults {
  const keyOf = (teamId: string) => `${prefix}:recent:${teamId}`;
  return {
    async add(teamId, entry) {
      await redis
        .multi()
        .lpush(keyOf(teamId), JSON.stringify(entry))
        .ltrim(keyOf(teamId), 0, keep - 1)
        .expire(keyOf(teamId), 30 * 24 * 3600)
        .exec();
    },
    async list(teamId) {
      const raw = await redis.lrange(keyOf(teamId), 0, keep - 1);
      return raw.flatMap((item) => {
        try {
          return [JSON.parse(item) as StatusEntry];
        } catch {
          return [];
        }
      });
    },
  };
}
