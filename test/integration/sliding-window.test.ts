import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlidingWindow } from "../../src/state/sliding-window.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

let redis: Redis;
let clock = 1_000_000;
const now = () => clock;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.quit());

describe("sliding window", () => {
  it("admits `limit` events per window and says when the next one fits", async () => {
    const window = createSlidingWindow({
      redis,
      prefix: uniquePrefix("window"),
      name: "w",
      limit: 2,
      windowMs: 60_000,
      now,
    });
    clock = 1_000_000;
    expect(await window.acquire("u")).toEqual({ ok: true });
    clock += 10_000;
    expect(await window.acquire("u")).toEqual({ ok: true });
    clock += 5_000;
    expect(await window.acquire("u")).toEqual({ ok: false, retryAt: new Date(1_000_000 + 60_000) });
    expect(await window.acquire("someone else")).toEqual({ ok: true });
    clock = 1_000_000 + 60_001;
    expect(await window.acquire("u")).toEqual({ ok: true });
  });

  it("does not count refused or peeked events", async () => {
    const window = createSlidingWindow({
      redis,
      prefix: uniquePrefix("window"),
      name: "w",
      limit: 1,
      windowMs: 60_000,
      now,
    });
    clock = 2_000_000;
    await window.peek("u");
    expect(await window.acquire("u")).toEqual({ ok: true });
    for (let i = 0; i < 5; i += 1) expect((await window.acquire("u")).ok).toBe(false);
    clock += 60_001;
    expect(await window.acquire("u")).toEqual({ ok: true });
  });
});
