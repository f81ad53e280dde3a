/**
 * The last results of each workspace, for `/autotask-connect status`. No secrets: see StatusEntry.
 * An entry is written with the check's result, in the thread store's script (thread-state.ts).
 */
import type { RedisClient } from "../queue/redis.js";
import type { StatusEntry } from "../slack/messages.js";

export type RecentResults = {
  /** A check's entry, as the thread store's `saveResult` writes it. */
  push(teamId: string, entry: StatusEntry): RecentPush;
  list(teamId: string): Promise<StatusEntry[]>;
};

/**
 * Lua: `pushRecent(key, entry, requestId, keep, ttlSeconds)` adds a status entry (JSON) to a
 * workspace's list unless one of the same request is there (a re-run after a crash adds nothing).
 */
export const PUSH_RECENT_LUA = `
local function pushRecent(key, entry, requestId, keep, ttl)
  for _, item in ipairs(redis.call('LRANGE', key, 0, -1)) do
    local ok, known = pcall(cjson.decode, item)
    if ok and type(known) == 'table' and known.requestId == requestId then return 0 end
  end
  redis.call('LPUSH', key, entry)
  redis.call('LTRIM', key, 0, tonumber(keep) - 1)
  redis.call('EXPIRE', key, ttl)
  return 1
end
`;

/** Days a workspace's list lives after its last entry. */
const RECENT_TTL_SECONDS = 30 * 24 * 3600;

/** Where a status entry goes and what it says, for a script that writes it. */
export type RecentPush = { key: string; entry: string; requestId: string; keep: number; ttlSeconds: number };

/** @param keep how many results per workspace. @defaultValue 10 */
export function createRecentResults(redis: RedisClient, prefix: string, keep = 10): RecentResults {
  const keyOf = (teamId: string) => `${prefix}:recent:${teamId}`;
  return {
    push: (teamId, entry) => ({
      key: keyOf(teamId),
      entry: JSON.stringify(entry),
      requestId: entry.requestId,
      keep,
      ttlSeconds: RECENT_TTL_SECONDS,
    }),
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
