import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/autotask/result.js";
import type { StatusEntry } from "../../src/slack/messages.js";
import { createRecentResults } from "../../src/state/recent-results.js";
import { createThreadStore } from "../../src/state/thread-state.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.quit());

const entry = (requestId: string, finishedAt: number): StatusEntry => ({
  requestId,
  finishedAt,
  outcome: "ok",
  code: "ok",
  username: "api@example.com",
  apiUrl: "https://webservices5.autotask.net",
  requesterId: "U1",
});

describe("recent results", () => {
  it("lists a workspace's latest results, newest first, up to the number kept", async () => {
    const recent = createRecentResults(redis, uniquePrefix("recent"), 3);
    for (let i = 1; i <= 5; i += 1) await recent.add("T1", entry(`r${i}`, i));
    expect((await recent.list("T1")).map((e) => e.requestId)).toEqual(["r5", "r4", "r3"]);
    expect(await recent.list("T2")).toEqual([]);
  });

  it("shows a check once when its job ran again after a crash", async () => {
    const recent = createRecentResults(redis, uniquePrefix("recent"));
    await recent.add("T1", entry("r1", 1));
    await recent.add("T1", entry("r2", 2));
    await recent.add("T1", entry("r1", 3));
    expect((await recent.list("T1")).map((e) => e.requestId)).toEqual(["r2", "r1"]);
  });

  it("records a check's result and its status entry in one step, once however often it runs", async () => {
    const prefix = uniquePrefix("recent");
    const recent = createRecentResults(redis, prefix);
    const threads = createThreadStore(redis, prefix);
    const result = { requestId: "r1", code: "ok" } as unknown as CheckResult;
    for (let run = 0; run < 2; run += 1) {
      await threads.saveResult("r1", result, null, recent.push("T1", entry("r1", run)));
    }
    expect((await threads.get("r1")).result).toEqual(result);
    expect((await recent.list("T1")).map((e) => [e.requestId, e.finishedAt])).toEqual([["r1", 0]]);
  });
});
