/** The last results of each workspace, for `/autotask-connect status`. No secrets: see StatusEntry. */
import type { RedisClient } from "../queue/redis.js";
import type { StatusEntry } from "../slack/messages.js";
import { defineScript } from "./redis-script.js";

export type RecentResults = {
  /** Adds a check's result, once: a re-run of the same request (a retried job) adds nothing. */
  add(teamId: string, entry: StatusEntry): Promise<void>;
  list(teamId: string): Promise<StatusEntry[]>;
};

// KEYS[1] the list; ARGV: the entry (JSON), its request id, how many to keep, TTL in seconds.
const ADD = `
for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, entry = pcall(cjson.decode, item)
  if ok and type(entry) == 'table' and entry.requestId == ARGV[2] then return 0 end
end
redis.call('LPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[3]) - 1)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`;

/** @param keep how many results per workspace. @defaultValue 10 */
export function createRecentResults(redis: RedisClient, prefix: string, keep = 10): RecentResults {
  const keyOf = (teamId: string) => `${prefix}:recent:${teamId}`;
  const addScript = defineScript(redis, "atcRecentResultsAdd", ADD);
  return {
    async add(teamId, entry) {
      await addScript([keyOf(teamId)], [JSON.stringify(entry), entry.requestId, keep, 30 * 24 * 3600]);
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
