/** The last results of each workspace, for `/autotask-connect status`. No secrets: see StatusEntry. */
import type { RedisClient } from "../queue/redis.js";
import type { StatusEntry } from "../slack/messages.js";
import { defineScript } from "./redis-script.js";

export type RecentResults = {
  /** Adds a check's result, once: a re-run of the same request (a retried job) adds nothing. */
  add(teamId: string, entry: StatusEntry): Promise<void>;
  /** The same addition, for a script that makes it together with another write. */
  push(teamId: string, entry: StatusEntry): RecentPush;
  list(teamId: string): Promise<StatusEntry[]>;
};

/**
 * Lua: `pushRecent(key, entry, requestId, keep, ttlSeconds)` adds a status entry (JSON) to a
 * workspace's list unless one of the same request is there. Shared by this module's script and the
 * thread store's, which records a check's result and its entry in one step.
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

// KEYS[1] the list; ARGV: the entry (JSON), its request id, how many to keep, TTL in seconds.
const ADD = `${PUSH_RECENT_LUA}
return pushRecent(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])
`;

/** Days a workspace's list lives after its last entry. */
const RECENT_TTL_SECONDS = 30 * 24 * 3600;

/** Where a status entry goes, as the thread store's combined write needs it. */
export type RecentPush = { key: string; entry: string; requestId: string; keep: number; ttlSeconds: number };

/** @param keep how many results per workspace. @defaultValue 10 */
export function createRecentResults(redis: RedisClient, prefix: string, keep = 10): RecentResults {
  const keyOf = (teamId: string) => `${prefix}:recent:${teamId}`;
  const addScript = defineScript(redis, "atcRecentResultsAdd", ADD);
  const push = (teamId: string, entry: StatusEntry): RecentPush => ({
    key: keyOf(teamId),
    entry: JSON.stringify(entry),
    requestId: entry.requestId,
    keep,
    ttlSeconds: RECENT_TTL_SECONDS,
  });
  return {
    push,
    async add(teamId, entry) {
      const { key, ...rest } = push(teamId, entry);
      await addScript([key], [rest.entry, rest.requestId, rest.keep, rest.ttlSeconds]);
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
