/**
 * Watches in Redis: one hash per watch, the kept secret (AES-256-GCM ciphertext only) under a key of
 * its own, and per-workspace indexes. Every rule that spans keys (the workspace limit, one watch per
 * API username, "write only while the watch exists") is one Lua script: one atomic step, safe with
 * any number of processes. All keys share the queue prefix's hash tag, so they live in one Redis
 * Cluster slot. Nothing here expires: a watch lives until it is stopped, and stopping removes it all.
 */
import type { Outcome, ResultCode, Usage } from "../autotask/result.js";
import type { RedisClient } from "../queue/redis.js";
import { defineScript } from "../state/redis-script.js";

export type WatchKind = "zone" | "credentials";

/** What one run (or the check that created the watch) found. No secret, no tracking identifier. */
export type Observation = {
  /** Unix time in milliseconds. */
  at: number;
  /** "zone": zoneInformation only; "credentials": the full check. */
  mode: WatchKind;
  outcome: Outcome;
  code: ResultCode;
  apiUrl: string | null;
  zone: string | null;
  zoneName: string | null;
  usage: Usage | null;
};

export type WatchRecord = {
  id: string;
  teamId: string;
  kind: WatchKind;
  username: string;
  /** As the check had it ("" when the zone was looked up). */
  portalUrl: string;
  /** Credentials watches only: needed to log in again. */
  trackingId: string | null;
  /** Where alerts go: the check's thread. */
  channelId: string;
  threadTs: string;
  createdBy: string;
  /** Unix time in milliseconds. */
  createdAt: number;
  /** The last run's finding (at creation, the check's). */
  last: Observation | null;
  /** A credentials watch whose secret Autotask rejected: the secret is dropped, only the zone is watched. */
  credentialsRejected: boolean;
};

export type CreateWatch = Omit<WatchRecord, "credentialsRejected"> & {
  /** AES-256-GCM ciphertext bound to the watch id (credentials watches). */
  sealedSecret?: string;
};

export type CreateOutcome =
  | { status: "created" }
  | { status: "exists" }
  /** Another watch of this workspace already watches this API username. */
  | { status: "watched"; existingId: string }
  | { status: "limit" };

export type WatchStore = {
  /** Creates the watch unless the workspace is at `limit` or the username is watched already. */
  create(watch: CreateWatch, limit: number): Promise<CreateOutcome>;
  get(id: string): Promise<WatchRecord | null>;
  list(teamId: string): Promise<WatchRecord[]>;
  /** Every watch of every workspace (the CLI). */
  listAll(): Promise<WatchRecord[]>;
  /** Removes the watch and its kept secret in one step; the removed record, or null. */
  remove(id: string): Promise<WatchRecord | null>;
  /** Records a run's finding, only while the watch exists (a run racing a stop writes nothing). */
  saveObservation(id: string, observation: Observation): Promise<boolean>;
  /** The kept ciphertext, or null. */
  sealedSecret(id: string): Promise<string | null>;
  /** Replaces the ciphertext (re-sealed under a new key), only while the watch exists. */
  replaceSecret(id: string, sealed: string): Promise<boolean>;
  /** Drops the secret after Autotask rejected it; the watch goes on watching the zone. */
  rejectCredentials(id: string): Promise<void>;
  /** Takes the per-watch run lock for `ttlMs`; a token to release it with, or null when held. */
  lock(id: string, ttlMs: number): Promise<string | null>;
  unlock(id: string, token: string): Promise<void>;
  /** The Redis keys of one watch (for tests and the README). */
  keysOf(id: string, teamId: string): string[];
};

const CREATE = `
if redis.call('EXISTS', KEYS[3]) == 1 then return {'exists'} end
local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing and existing ~= ARGV[1] then return {'watched', existing} end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[3]) then return {'limit'} end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[3], 'record', ARGV[4])
if ARGV[5] ~= '' then redis.call('SET', KEYS[5], ARGV[5]) end
return {'created'}
`;

const REMOVE = `
local record = redis.call('HGET', KEYS[3], 'record')
if not record then return false end
if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[5])
return record
`;

const SET_IF_WATCHED = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] == 'hset' then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) else redis.call('SET', KEYS[2], ARGV[3]) end
return 1
`;

const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type StoredRecord = Omit<WatchRecord, "last" | "credentialsRejected">;

function parse(fields: Record<string, string>): WatchRecord | null {
  if (!fields.record) return null;
  try {
    const record = JSON.parse(fields.record) as StoredRecord;
    const last = fields.last ? (JSON.parse(fields.last) as Observation) : null;
    return { ...record, last, credentialsRejected: fields.credentialsRejected === "1" };
  } catch {
    return null;
  }
}

export function createWatchStore(redis: RedisClient, prefix: string): WatchStore {
  const recordKey = (id: string) => `${prefix}:watch:${id}`;
  const secretKey = (id: string) => `${prefix}:watch:${id}:secret`;
  const lockKey = (id: string) => `${prefix}:watch:${id}:running`;
  const teamKey = (teamId: string) => `${prefix}:watch-index:${teamId}`;
  const usernamesKey = (teamId: string) => `${prefix}:watch-index:${teamId}:usernames`;
  const allKey = `${prefix}:watch-index`;
  const createScript = defineScript<string[]>(redis, "atcWatchCreate", CREATE);
  const removeScript = defineScript<string | null>(redis, "atcWatchRemove", REMOVE);
  const setIfWatched = defineScript<number>(redis, "atcWatchSetIfWatched", SET_IF_WATCHED);
  const unlockScript = defineScript(redis, "atcWatchUnlock", UNLOCK);
  const keysOf = (id: string, teamId: string) => [
    teamKey(teamId),
    usernamesKey(teamId),
    recordKey(id),
    allKey,
    secretKey(id),
  ];

  async function records(ids: string[]): Promise<WatchRecord[]> {
    const found = await Promise.all(ids.map((id) => redis.hgetall(recordKey(id))));
    return found
      .map(parse)
      .filter((record): record is WatchRecord => record !== null)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  return {
    keysOf,
    async create(watch, limit) {
      const { sealedSecret, last, ...record } = watch;
      const stored: StoredRecord = record;
      const reply = await createScript(keysOf(watch.id, watch.teamId), [
        watch.id,
        watch.username.toLowerCase(),
        String(limit),
        JSON.stringify(stored),
        sealedSecret ?? "",
      ]);
      if (reply[0] === "created" && last) await this.saveObservation(watch.id, last);
      if (reply[0] === "watched") return { status: "watched", existingId: reply[1] as string };
      return { status: reply[0] as "created" | "exists" | "limit" };
    },
    async get(id) {
      return parse(await redis.hgetall(recordKey(id)));
    },
    async list(teamId) {
      return records(await redis.smembers(teamKey(teamId)));
    },
    async listAll() {
      return records(await redis.smembers(allKey));
    },
    async remove(id) {
      const current = await this.get(id);
      if (!current) return null;
      const removed = await removeScript(keysOf(id, current.teamId), [id, current.username.toLowerCase()]);
      return removed ? current : null;
    },
    async saveObservation(id, observation) {
      const done = await setIfWatched(
        [recordKey(id), secretKey(id)],
        ["hset", "last", JSON.stringify(observation)],
      );
      return done === 1;
    },
    sealedSecret: (id) => redis.get(secretKey(id)),
    async replaceSecret(id, sealed) {
      return (await setIfWatched([recordKey(id), secretKey(id)], ["set", "", sealed])) === 1;
    },
    async rejectCredentials(id) {
      await setIfWatched([recordKey(id), secretKey(id)], ["hset", "credentialsRejected", "1"]);
      await redis.del(secretKey(id));
    },
    async lock(id, ttlMs) {
      const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;
      const taken = await redis.set(lockKey(id), token, "PX", ttlMs, "NX");
      return taken === "OK" ? token : null;
    },
    async unlock(id, token) {
      await unlockScript([lockKey(id)], [token]);
    },
  };
}
