/**
 * The check core with the login budget on a real Redis and the Autotask emulator on loopback:
 * what is sent, what is counted, and what a person is told. Also the entity probes, which run
 * together and each report on their own.
 */
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CheckDeps, type CheckInput, runCheck } from "../../src/autotask/check.js";
import { type AutotaskClient, createAutotaskClient } from "../../src/autotask/client.js";
import {
  type AutotaskEmulator,
  OBJECT_REFERENCE_ERROR,
  startAutotaskEmulator,
} from "../../src/emulators/autotask.js";
import { createRedisLoginBudget } from "../../src/state/login-budget.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const SECRET = "Budg3t-Secret-Value!";
const TRACKING_ID = "Q7ZB2KXWJ5N3HD9RTPV1A2B";
const GOOD = { username: "good@budget.example", secret: SECRET, trackingId: TRACKING_ID, zone: "15" };
const DENIED = { ...GOOD, username: "denied@budget.example", readable: ["Companies", "Contacts"] };
const ENTITIES = ["Companies", "Tickets", "Contacts", "Resources"];

let emulator: AutotaskEmulator;
let redis: Redis;

beforeAll(async () => {
  emulator = await startAutotaskEmulator({ users: [GOOD, DENIED] });
  redis = new Redis(testRedisUrl());
});
afterEach(() => {
  emulator.clearFaults();
  emulator.requests.length = 0;
});
afterAll(async () => {
  await emulator.close();
  await redis.quit();
});

const authenticated = () => emulator.requests.filter((request) => request.authenticated);
const toThreshold = { path: /ThresholdInformation/i };

function input(overrides: Partial<CheckInput> = {}): CheckInput {
  return {
    requestId: "req-budget",
    portalUrl: "https://ww15.autotask.net",
    username: GOOD.username,
    secret: SECRET,
    trackingId: TRACKING_ID,
    ...overrides,
  };
}

function deps(overrides: Partial<CheckDeps> = {}): CheckDeps {
  return {
    client: createAutotaskClient({ timeoutMs: 300, originOverride: emulator.origin }),
    requiredEntities: ["Companies", "Tickets"],
    sleep: async () => {},
    random: () => 0.5,
    budget: createRedisLoginBudget({ redis, prefix: uniquePrefix("check-budget") }),
    ...overrides,
  };
}

describe("runCheck with the login budget", () => {
  it("sends nothing once 3 logins in 15 minutes were rejected, and says when to try again", async () => {
    const shared = deps();
    for (let i = 0; i < 3; i++) {
      expect((await runCheck(input({ secret: "wrong-secret" }), shared)).code).toBe("invalid_credentials");
    }
    emulator.requests.length = 0;
    const refused = await runCheck(input({ secret: "wrong-secret" }), shared);
    expect(refused.code).toBe("too_many_failures");
    expect(emulator.requests).toEqual([]);
    expect(refused.advice).toMatch(/failed to log in 3 times in 15 minutes/);
    expect(refused.advice).toMatch(/try again after \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  });

  it("hands the login's unit back when a check ends at the zone lookup, sending no login", async () => {
    // The unit is taken before the zone lookup; a username Autotask does not know never logs in.
    const shared = deps({
      budget: createRedisLoginBudget({
        redis,
        prefix: uniquePrefix("zone-end"),
        inFlightMs: 60_000,
        waitForInFlightMs: 0,
      }),
    });
    const unknown = input({ username: "nobody@budget.example", portalUrl: "" });
    for (let i = 0; i < 4; i++) expect((await runCheck(unknown, shared)).code).toBe("unknown_username");
    expect(authenticated()).toEqual([]);
    expect((await runCheck(input({ username: "nobody@budget.example" }), shared)).code).not.toBe(
      "too_many_failures",
    );
  });

  it("lets six concurrent checks of good credentials all pass: a check waits for logins in flight", async () => {
    // Every answer takes 50 ms, so the six logins overlap: three are in flight when the others ask.
    const slow = await startAutotaskEmulator({ users: [GOOD], latencyMs: 50 });
    try {
      const shared = deps({
        client: createAutotaskClient({ timeoutMs: 2_000, originOverride: slow.origin }),
      });
      const results = await Promise.all(Array.from({ length: 6 }, () => runCheck(input(), shared)));
      expect(results.map((result) => result.code)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
    } finally {
      await slow.close();
    }
  });

  it("gives the unit back on proof: good credentials can be checked again and again", async () => {
    const shared = deps();
    for (let i = 0; i < 5; i++) expect((await runCheck(input(), shared)).code).toBe("ok");
  });

  it("gives the unit back when the zone lookup ends the check before the login was sent", async () => {
    const shared = deps();
    for (let i = 0; i < 4; i++) {
      expect((await runCheck(input({ username: "nobody@budget.example" }), shared)).code).toBe(
        "unknown_username",
      );
    }
  });

  it("keeps the unit of a login that timed out, so checks in a row send at most 3 logins", async () => {
    emulator.injectFault({ ...toThreshold, username: GOOD.username }, { kind: "hang" });
    const shared = deps();
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) codes.push((await runCheck(input(), shared)).code);
    expect(authenticated()).toHaveLength(3);
    expect(codes).toEqual([
      "autotask_unavailable",
      "autotask_unavailable",
      "autotask_unavailable",
      "too_many_failures",
    ]);
    const last = await runCheck(input(), shared);
    expect(last.advice).not.toMatch(/failed to log in 3 times/);
    expect(last.advice).toMatch(/3 timed out, were cut off or got an unexplained error/);
    expect(last.checks[2]?.detail).toMatch(/without a clear answer/);
  });

  it("sends an unknown errors answer once, ends autotask_error and quotes Autotask", async () => {
    emulator.injectFault(toThreshold, { kind: "errors" });
    const result = await runCheck(input(), deps());
    expect(authenticated()).toHaveLength(1);
    expect(result.code).toBe("autotask_error");
    expect(result.checks[2]?.detail).toContain(`"${OBJECT_REFERENCE_ERROR}"`);
    expect(result.advice).toMatch(/Kaseya support/);
  });

  it("sends nothing and ends with a transient code when Redis cannot answer the budget", async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    try {
      const result = await runCheck(
        input(),
        deps({ budget: createRedisLoginBudget({ redis: down, prefix: uniquePrefix("down") }) }),
      );
      expect(emulator.requests).toEqual([]);
      expect(result.code).toBe("autotask_unavailable");
      expect(result.advice).toMatch(/Nothing was sent to Autotask/);
    } finally {
      down.disconnect();
    }
  });

  it("counts a probe that ends without proof into the budget at once", async () => {
    const shared = deps();
    emulator.injectFault({ path: /(Tickets|Companies)\/query/i }, { kind: "hang" });
    // Two probes hang: two units spent, one left for the next login.
    expect((await runCheck(input(), shared)).code).toBe("autotask_unavailable");
    emulator.clearFaults();
    emulator.injectFault({ ...toThreshold, username: GOOD.username }, { kind: "status", status: 503 }, 1);
    expect((await runCheck(input(), shared)).code).toBe("autotask_unavailable");
    emulator.requests.length = 0;
    expect((await runCheck(input(), shared)).code).toBe("too_many_failures");
    expect(emulator.requests).toEqual([]);
  });

  it("takes a fresh unit before retrying a login answered 429, and stops when none is left", async () => {
    const shared = deps();
    // Two logins lost to timeouts leave one unit.
    emulator.injectFault({ ...toThreshold, username: GOOD.username }, { kind: "hang" }, 2);
    for (let i = 0; i < 2; i++) await runCheck(input(), shared);
    emulator.requests.length = 0;
    emulator.injectFault(
      { ...toThreshold, username: GOOD.username },
      { kind: "rateLimit", retryAfterSeconds: 1 },
      1,
    );
    emulator.injectFault({ ...toThreshold, username: GOOD.username }, { kind: "hang" }, 1);
    const result = await runCheck(input(), shared);
    // The 429 proved the credentials (its unit came back), the retry took it again and timed out.
    expect(authenticated()).toHaveLength(2);
    expect(result.code).toBe("autotask_unavailable");
    emulator.requests.length = 0;
    expect((await runCheck(input(), shared)).code).toBe("too_many_failures");
    expect(emulator.requests).toEqual([]);
  });
});

describe("entity probes", () => {
  /** The real client, counting the probes in flight at once. */
  function counting(client: AutotaskClient) {
    let inFlight = 0;
    let most = 0;
    const counted: AutotaskClient = {
      ...client,
      async queryEntity(...args) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          return await client.queryEntity(...args);
        } finally {
          inFlight -= 1;
        }
      },
    };
    return { client: counted, most: () => most };
  }

  it("sends every probe at once, after the credentials were proven", async () => {
    const probe = counting(createAutotaskClient({ timeoutMs: 2_000, originOverride: emulator.origin }));
    const result = await runCheck(input(), deps({ client: probe.client, requiredEntities: ENTITIES }));
    expect(result.code).toBe("ok");
    expect(probe.most()).toBe(ENTITIES.length);
    const paths = authenticated().map((request) => request.path);
    expect(paths[0]).toMatch(/ThresholdInformation/);
    expect(paths.slice(1).sort()).toEqual(
      ENTITIES.map((entity) => `/atservicesrest/v1.0/${entity}/query`).sort(),
    );
  });

  it("reports every entity even when one probe hangs and another is denied", async () => {
    emulator.injectFault({ path: /Tickets\/query/i }, { kind: "hang" });
    const result = await runCheck(
      input({ username: DENIED.username }),
      deps({ requiredEntities: ENTITIES, budget: undefined, retry: { attempts: 1 } }),
    );
    const permissions = result.checks[3];
    expect(permissions?.status).toBe("fail");
    expect(permissions?.detail).toMatch(/cannot read Resources/);
    expect(permissions?.detail).toMatch(/can read Companies and Contacts/);
    expect(permissions?.detail).toMatch(
      /Reading Tickets failed: Autotask could not be reached: no complete answer within 300 ms/,
    );
    // The check could not finish: the outage decides the code, the denied entity is still named.
    expect(result.code).toBe("autotask_unavailable");
  });

  it("names the denied entities when every other probe passes", async () => {
    const result = await runCheck(input({ username: DENIED.username }), deps({ requiredEntities: ENTITIES }));
    expect(result.code).toBe("insufficient_permissions");
    expect(result.advice).toMatch(/Tickets, Resources/);
  });
});

describe("usage", () => {
  it("makes a working check a warning from 80% of the request limit, with the risk named", async () => {
    const busy = await startAutotaskEmulator({ users: [GOOD], requestThreshold: 1 });
    try {
      const result = await runCheck(
        input(),
        deps({ client: createAutotaskClient({ timeoutMs: 2_000, originOverride: busy.origin }) }),
      );
      expect(result).toMatchObject({ code: "ok", outcome: "warning" });
      expect(result.advice).toMatch(
        /slows down every integration on it from 50% and refuses their requests at 100%/,
      );
    } finally {
      await busy.close();
    }
  });
});
