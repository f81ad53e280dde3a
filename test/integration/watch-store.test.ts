/**
 * The watch store's cross-process rules on a real Redis: each is one atomic step, so concurrent
 * callers (several web and worker processes) cannot break them.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CreateWatch, createWatchStore, type Observation } from "../../src/watch/store.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const prefix = uniquePrefix("watch-store");
let redis: Redis;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const observation: Observation = {
  at: 1,
  mode: "zone",
  outcome: "ok",
  code: "ok",
  apiUrl: "https://webservices5.autotask.net",
  zone: "5",
  zoneName: "America West",
  usage: null,
};

function watch(id: string, teamId: string, username = `${id}@acme.example`): CreateWatch {
  return {
    id,
    teamId,
    kind: "credentials",
    username,
    portalUrl: "",
    trackingId: "TRACK1",
    channelId: "C1",
    threadTs: "1.1",
    createdBy: "U1",
    createdAt: 1,
    last: observation,
    sealedSecret: "v1.sealed",
  };
}

describe("the watch store", () => {
  it("keeps WATCHES_PER_WORKSPACE under concurrent creates: exactly the limit is created", async () => {
    const store = createWatchStore(redis, prefix);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, n) => store.create(watch(`w${n}`, "T-limit"), 3)),
    );
    expect(outcomes.filter((o) => o.status === "created")).toHaveLength(3);
    expect(outcomes.filter((o) => o.status === "limit")).toHaveLength(9);
    expect(await store.list("T-limit")).toHaveLength(3);
  });

  it("keeps one watch per API username and workspace, whatever its case", async () => {
    const store = createWatchStore(redis, prefix);
    expect(await store.create(watch("a1", "T-user", "Same@Acme.example"), 10)).toEqual({ status: "created" });
    expect(await store.create(watch("a2", "T-user", "same@acme.EXAMPLE"), 10)).toEqual({
      status: "watched",
      existingId: "a1",
    });
    expect(await store.create(watch("a1", "T-user", "Same@Acme.example"), 10)).toEqual({ status: "exists" });
    expect(await store.create(watch("a3", "T-other", "same@acme.example"), 10)).toEqual({
      status: "created",
    });
  });

  it("removes the record, the secret and the indexes in one step; a run finishing afterwards writes nothing back", async () => {
    const store = createWatchStore(redis, prefix);
    await store.create(watch("r1", "T-remove"), 10);
    expect(await store.sealedSecret("r1")).toBe("v1.sealed");
    expect((await store.remove("r1"))?.id).toBe("r1");
    expect(await store.saveObservation("r1", observation)).toBe(false);
    expect(await store.replaceSecret("r1", "v1.other")).toBe(false);
    const [teamSet, usernames, record, allSet, secret] = store.keysOf("r1", "T-remove") as [
      string,
      string,
      string,
      string,
      string,
    ];
    expect(await redis.exists(record, secret, usernames)).toBe(0);
    expect(await redis.sismember(teamSet, "r1")).toBe(0);
    expect(await redis.sismember(allSet, "r1")).toBe(0);
    expect(await store.create(watch("r2", "T-remove", "r1@acme.example"), 10)).toEqual({ status: "created" });
  });

  it("lets one run of a watch hold its lock at a time", async () => {
    const store = createWatchStore(redis, prefix);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => store.lock("l1", 5_000)));
    const held = tokens.filter((token): token is string => token !== null);
    expect(held).toHaveLength(1);
    await store.unlock("l1", "someone-else");
    expect(await store.lock("l1", 5_000)).toBeNull();
    await store.unlock("l1", held[0] as string);
    expect(await store.lock("l1", 5_000)).not.toBeNull();
  });

  it("drops the secret when Autotask rejected it and marks the watch as watching the zone only", async () => {
    const store = createWatchStore(redis, prefix);
    await store.create(watch("c1", "T-reject"), 10);
    await store.rejectCredentials("c1");
    expect(await store.sealedSecret("c1")).toBeNull();
    expect((await store.get("c1"))?.credentialsRejected).toBe(true);
  });
});
