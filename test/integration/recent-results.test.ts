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
const result = (requestId: string) => ({ requestId, code: "ok" }) as unknown as CheckResult;

/** The stores as the worker uses them: a check's result and its status entry in one write. */
function stores(keep?: number) {
  const prefix = uniquePrefix("recent");
  const recent = createRecentResults(redis, prefix, keep);
  const threads = createThreadStore(redis, prefix);
  const record = (teamId: string, requestId: string, at: number) =>
    threads.saveResult(requestId, result(requestId), {
      retryId: null,
      recent: recent.push(teamId, entry(requestId, at)),
    });
  return { recent, threads, record };
}

describe("recent results", () => {
  it("lists a workspace's latest results, newest first, up to the number kept", async () => {
    const { recent, record } = stores(3);
    for (let i = 1; i <= 5; i += 1) await record("T1", `r${i}`, i);
    expect((await recent.list("T1")).map((e) => e.requestId)).toEqual(["r5", "r4", "r3"]);
    expect(await recent.list("T2")).toEqual([]);
  });

  it("records a check's result and its entry together, once however often its job runs", async () => {
    const { recent, threads, record } = stores();
    await record("T1", "r1", 1);
    await record("T1", "r2", 2);
    await record("T1", "r1", 3);
    expect((await threads.get("r1")).result).toEqual(result("r1"));
    expect((await recent.list("T1")).map((e) => [e.requestId, e.finishedAt])).toEqual([
      ["r2", 2],
      ["r1", 1],
    ]);
  });
});
