import { Job, Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/autotask/result.js";
import { createRecentResults } from "../../src/state/recent-results.js";
import { createThreadStore } from "../../src/state/thread-state.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

let redis: Redis;
beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.quit());

const result = { requestId: "r1", outcome: "ok", code: "ok" } as unknown as CheckResult;

/** A job as the producer leaves it (ciphertext in its data), and the stores the worker writes with. */
async function setup() {
  const prefix = uniquePrefix("thread");
  const queue = new Queue("checks", { connection: redis, prefix });
  const data = { requestId: "r1", username: "api@example.com", sealedSecret: "v1.ciphertext" };
  const job = await queue.add("check", data, { jobId: "view-V1" });
  const threads = createThreadStore(redis, prefix);
  const recent = createRecentResults(redis, prefix).push("T1", {
    requestId: "r1",
    finishedAt: 1,
    outcome: "ok",
    code: "ok",
    username: "api@example.com",
    apiUrl: null,
    requesterId: "U1",
  });
  const jobData = {
    key: `${job.queueQualifiedName}:${job.id}`,
    data: JSON.stringify({ ...data, sealedSecret: "" }),
  };
  return { queue, job, threads, recent, jobData };
}

describe("saving a check's result", () => {
  it("drops the ciphertext from the job's data in the same step", async () => {
    const { queue, job, threads, recent, jobData } = await setup();
    await threads.saveResult("r1", result, { retryId: null, recent, jobData });
    const stored = await Job.fromId(queue, job.id as string);
    expect(stored?.data).toEqual({ requestId: "r1", username: "api@example.com", sealedSecret: "" });
    expect((await threads.get("r1")).result).toEqual(result);
    await queue.close();
  });

  it("leaves the job's data alone without jobData (a watch still needs the ciphertext)", async () => {
    const { queue, job, threads, recent } = await setup();
    await threads.saveResult("r1", result, { retryId: null, recent });
    expect((await Job.fromId(queue, job.id as string))?.data.sealedSecret).toBe("v1.ciphertext");
    await queue.close();
  });

  it("does not bring back a job removed meanwhile", async () => {
    const { queue, job, threads, recent, jobData } = await setup();
    await job.remove();
    await threads.saveResult("r1", result, { retryId: null, recent, jobData });
    expect(await redis.exists(jobData.key)).toBe(0);
    expect((await threads.get("r1")).result).toEqual(result);
    await queue.close();
  });
});
