/**
 * Lua scripts run by their SHA1 through ioredis's `defineCommand`: the script text goes over a
 * connection once, then every call is an EVALSHA (ioredis sends EVAL again on NOSCRIPT, after a
 * Redis restart or failover). Sending the text with every EVAL was a tenth of the worker's CPU.
 */
import type { RedisClient } from "../queue/redis.js";

export type RedisScript<Reply = unknown> = (
  keys: readonly string[],
  args: readonly (string | number)[],
) => Promise<Reply>;

type Invoke = (keyCount: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;

const definedOn = new WeakMap<RedisClient, Map<string, string>>();

/**
 * Defines `lua` on `redis` under `name` (once per client) and returns a typed caller, which may
 * pass any number of keys.
 * @throws Error when `name` is already defined on this client with another script.
 */
export function defineScript<Reply = unknown>(
  redis: RedisClient,
  name: string,
  lua: string,
): RedisScript<Reply> {
  const defined = definedOn.get(redis) ?? new Map<string, string>();
  definedOn.set(redis, defined);
  const existing = defined.get(name);
  if (existing === undefined) {
    redis.defineCommand(name, { lua });
    defined.set(name, lua);
  } else if (existing !== lua) {
    throw new Error(`the Redis script name ${name} is already taken by another script`);
  }
  const invoke = (redis as unknown as Record<string, Invoke>)[name] as Invoke;
  return (scriptKeys, args) =>
    invoke.call(redis, scriptKeys.length, ...scriptKeys, ...args) as Promise<Reply>;
}
