import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSlidingWindows, type WindowVerdict } from "../../src/state/sliding-window.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

/** One window, asked about one id at a time. */
function oneWindow(limit: number) {
  const windows = createSlidingWindows({
    redis,
    prefix: uniquePrefix("window"),
    windows: [{ name: "w", limit, windowMs: 60_000 }],
    now,
  });
  return {
    peek: async (id: string) => (await windows.peek([id]))[0] as WindowVerdict,
    acquire: async (id: string) => (await windows.acquire([id]))[0] as WindowVerdict,
  };
}

let redis: Redis;
let clock = 1_000_000;
const now = () => clock;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.quit());

describe("sliding window", () => {
  it("admits `limit` events per window and says when the next one fits", async () => {
    const window = oneWindow(2);
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
    const window = oneWindow(1);
    clock = 2_000_000;
    await window.peek("u");
    expect(await window.acquire("u")).toEqual({ ok: true });
    for (let i = 0; i < 5; i += 1) expect((await window.acquire("u")).ok).toBe(false);
    clock += 60_001;
    expect(await window.acquire("u")).toEqual({ ok: true });
  });
});
