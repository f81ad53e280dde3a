import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLockoutGuard } from "../../src/queue/lockout.js";
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

describe("lockout guard", () => {
  it("blocks a username after 3 failures in 15 minutes, case-insensitively, until the oldest leaves the window", async () => {
    const guard = createLockoutGuard({ redis, prefix: uniquePrefix("lockout"), now });
    clock = 3_000_000;
    await guard.recordFailure("API@acme.example");
    clock += 60_000;
    await guard.recordFailure("api@acme.example");
    expect(await guard.blockedUntil("api@acme.example")).toBeNull();
    clock += 60_000;
    await guard.recordFailure(" api@ACME.example ");
    expect(await guard.blockedUntil("api@acme.example")).toEqual(new Date(3_000_000 + 15 * 60_000));
    expect(await guard.blockedUntil("other@acme.example")).toBeNull();
    clock = 3_000_000 + 15 * 60_000 + 1;
    expect(await guard.blockedUntil("api@acme.example")).toBeNull();
  });
});
