import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BudgetTake, LoginUnit } from "../../src/autotask/budget.js";
import { createOneAttemptBudget } from "../../src/autotask/budget.js";
import { createRedisLoginBudget } from "../../src/state/login-budget.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

let redis: Redis;
let clock = 1_000_000;
const now = () => clock;
const MINUTE = 60_000;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.quit());

function unitOf(take: BudgetTake): LoginUnit {
  if (!take.ok) throw new Error(`refused: ${JSON.stringify(take)}`);
  return take.unit;
}

describe("the login budget in Redis", () => {
  it("allows 3 units per username in any 15 minutes, case-insensitively, and says when the next one frees up", async () => {
    const budget = createRedisLoginBudget({
      redis,
      prefix: uniquePrefix("budget"),
      now,
      waitForInFlightMs: 0,
    });
    clock = 1_000_000;
    unitOf(await budget.take("API@acme.example"));
    clock += MINUTE;
    unitOf(await budget.take("api@acme.example"));
    clock += MINUTE;
    unitOf(await budget.take(" api@ACME.example "));
    expect(await budget.take("api@acme.example")).toEqual({
      ok: false,
      kind: "spent",
      retryAt: new Date(1_000_000 + 15 * MINUTE),
      spentOn: { rejections: 0, unknown: 3 },
    });
    expect((await budget.take("other@acme.example")).ok).toBe(true);
    // Sliding, not fixed: the first unit frees at 15 minutes, the second one a minute later.
    clock = 1_000_000 + 15 * MINUTE + 1;
    unitOf(await budget.take("api@acme.example"));
    expect((await budget.take("api@acme.example")).ok).toBe(false);
  });

  it("lets 3 of 20 concurrent takes through, across connections", async () => {
    const prefix = uniquePrefix("budget");
    const connections = Array.from({ length: 4 }, () => new Redis(testRedisUrl()));
    try {
      const budgets = connections.map((connection) =>
        createRedisLoginBudget({ redis: connection, prefix, waitForInFlightMs: 0 }),
      );
      const takes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (budgets[i % 4] ?? budgets[0])?.take("bad@acme.example")),
      );
      expect(takes.filter((take) => take?.ok)).toHaveLength(3);
    } finally {
      await Promise.all(connections.map((connection) => connection.quit()));
    }
  });

  it("waits while the budget is spent only by logins in flight, and takes the unit one of them gives back", async () => {
    const budget = createRedisLoginBudget({ redis, prefix: uniquePrefix("budget"), pollMs: 10 });
    const units = [];
    for (let i = 0; i < 3; i++) units.push(unitOf(await budget.take("busy@acme.example")));
    const waiting = budget.take("busy@acme.example");
    await budget.keep(units[0] as LoginUnit, "rejected");
    await budget.giveBack(units[1] as LoginUnit);
    const taken = unitOf(await waiting);
    // The log holds a rejection and two logins in flight: the next take waits for both.
    const next = budget.take("busy@acme.example");
    expect((await budget.take("other@acme.example")).ok).toBe(true);
    await budget.keep(units[2] as LoginUnit, "unknown");
    await budget.keep(taken, "rejected");
    expect(await next).toMatchObject({ ok: false, kind: "spent", spentOn: { rejections: 2, unknown: 1 } });
  });

  it("does not wait for a unit older than a login can be in flight (its worker died)", async () => {
    clock = 11_000_000;
    const budget = createRedisLoginBudget({ redis, prefix: uniquePrefix("budget"), now, inFlightMs: 5_000 });
    for (let i = 0; i < 3; i++) unitOf(await budget.take("dead@acme.example"));
    clock += 5_001;
    expect(await budget.take("dead@acme.example")).toMatchObject({
      ok: false,
      kind: "spent",
      spentOn: { rejections: 0, unknown: 3 },
    });
  });

  it("frees a unit given back on proof, and only that one", async () => {
    const budget = createRedisLoginBudget({
      redis,
      prefix: uniquePrefix("budget"),
      now,
      waitForInFlightMs: 0,
    });
    clock = 5_000_000;
    const proven = unitOf(await budget.take("u@acme.example"));
    unitOf(await budget.take("u@acme.example"));
    unitOf(await budget.take("u@acme.example"));
    expect((await budget.take("u@acme.example")).ok).toBe(false);
    await budget.giveBack(proven);
    await budget.giveBack(proven);
    unitOf(await budget.take("u@acme.example"));
    expect((await budget.take("u@acme.example")).ok).toBe(false);
  });

  it("says what the units went to: rejected logins, unknown outcomes, and units whose outcome was never written", async () => {
    const budget = createRedisLoginBudget({
      redis,
      prefix: uniquePrefix("budget"),
      now,
      waitForInFlightMs: 0,
    });
    clock = 7_000_000;
    await budget.keep(unitOf(await budget.take("u@acme.example")), "rejected");
    await budget.keep(unitOf(await budget.take("u@acme.example")), "unknown");
    unitOf(await budget.take("u@acme.example")); // a worker died with it in flight
    expect(await budget.take("u@acme.example")).toMatchObject({ spentOn: { rejections: 1, unknown: 2 } });
  });

  it("counts probes that ended without proof whatever the budget holds", async () => {
    const budget = createRedisLoginBudget({
      redis,
      prefix: uniquePrefix("budget"),
      now,
      waitForInFlightMs: 0,
    });
    clock = 9_000_000;
    await budget.spend("u@acme.example", "unknown");
    await budget.spend("u@acme.example", "rejected");
    unitOf(await budget.take("u@acme.example"));
    await budget.spend("u@acme.example", "unknown");
    expect(await budget.take("u@acme.example")).toMatchObject({
      ok: false,
      spentOn: { rejections: 1, unknown: 3 },
    });
  });

  it("keeps usernames out of key names, under the queue prefix (one Redis Cluster slot)", async () => {
    const prefix = uniquePrefix("budget");
    const budget = createRedisLoginBudget({ redis, prefix, now, waitForInFlightMs: 0 });
    await budget.take("secret-looking-name@acme.example");
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(new RegExp(`^${prefix.replace(/[{}]/g, "\\$&")}:login-budget:[0-9a-f]{32}$`));
  });

  it("refuses (fails closed) when Redis cannot answer a take", async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    const errors: string[] = [];
    const budget = createRedisLoginBudget({
      redis: down,
      prefix: uniquePrefix("budget"),
      spendRetryDelaysMs: [],
      onError: (operation) => errors.push(operation),
    });
    expect(await budget.take("u@acme.example")).toEqual({ ok: false, kind: "unavailable" });
    await budget.spend("u@acme.example", "unknown");
    expect(errors).toEqual(["take", "spend"]);
    down.disconnect();
  });
});

describe("the one-attempt budget of a run without Redis", () => {
  it("allows one login attempt per run and never takes it back", async () => {
    const budget = createOneAttemptBudget();
    const unit = unitOf(await budget.take("U@acme.example"));
    await budget.giveBack(unit);
    expect(await budget.take("u@acme.example")).toMatchObject({ ok: false, kind: "spent" });
  });
});
