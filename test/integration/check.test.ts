import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CheckDeps, type CheckInput, runCheck } from "../../src/autotask/check.js";
import { type AutotaskClient, createAutotaskClient } from "../../src/autotask/client.js";
import type { CheckResult, CheckStep } from "../../src/autotask/result.js";
import { type AutotaskEmulator, startAutotaskEmulator } from "../../src/emulators/autotask.js";

const SECRET = "Sup3r-Secret-Value!";
const TRACKING_ID = "Q7ZB2KXWJ5N3HD9RTPV1A2B";
const users = [
  { username: "west2@example.com", secret: SECRET, trackingId: TRACKING_ID, zone: "15" },
  {
    username: "limited@example.com",
    secret: SECRET,
    trackingId: TRACKING_ID,
    zone: "5",
    readable: ["Companies"],
  },
  {
    username: "empty@example.com",
    secret: SECRET,
    trackingId: TRACKING_ID,
    zone: "5",
    emptyEntities: ["Tickets"],
  },
  { username: "german@example.com", secret: SECRET, trackingId: TRACKING_ID, zone: "prde" },
];

let emulator: AutotaskEmulator;
let strictEmulator: AutotaskEmulator;
let sleeps: number[];

beforeAll(async () => {
  emulator = await startAutotaskEmulator({ users });
  strictEmulator = await startAutotaskEmulator({ users, trackingIdFailure: "401" });
});
afterEach(() => {
  emulator.clearFaults();
  emulator.requests.length = 0;
});
afterAll(async () => {
  await emulator.close();
  await strictEmulator.close();
});

function input(overrides: Partial<CheckInput> = {}): CheckInput {
  return {
    requestId: "req-1",
    portalUrl: "https://ww15.autotask.net",
    username: "west2@example.com",
    secret: SECRET,
    trackingId: TRACKING_ID,
    ...overrides,
  };
}

function check(overrides: Partial<CheckInput> = {}, deps: Partial<CheckDeps> = {}, target = emulator) {
  sleeps = [];
  return runCheck(input(overrides), {
    client: createAutotaskClient({ timeoutMs: 2_000, originOverride: target.origin }),
    requiredEntities: ["Companies", "Tickets"],
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...deps,
  });
}

const statuses = (result: CheckResult) => result.checks.map((step) => step.status);
const authenticated = () => emulator.requests.filter((request) => request.authenticated);
const toThreshold = { path: /ThresholdInformation/i };

describe("runCheck", () => {
  it("passes good credentials and tells which Domain to paste", async () => {
    const result = await check();
    expect(result).toMatchObject({
      outcome: "ok",
      code: "ok",
      apiUrl: "https://webservices15.autotask.net",
      zone: "15",
      zoneName: "America West 2",
      usage: { used: 1, limit: 10_000, timeframeMinutes: 60 },
    });
    expect(statuses(result)).toEqual(["pass", "pass", "pass", "pass"]);
    expect(result.advice).toMatch(/^Paste https:\/\/webservices15\.autotask\.net as the Domain/);
  });

  it("finds the zone from the username alone when no portal address is given", async () => {
    const result = await check({ portalUrl: "" });
    expect(result).toMatchObject({ code: "ok", apiUrl: "https://webservices15.autotask.net" });
    expect(result.checks[0]).toMatchObject({
      status: "skip",
      detail: expect.stringMatching(/looked up from the username/),
    });
  });

  it("works for the prde pre-release host", async () => {
    const result = await check({ portalUrl: "prde.autotask.net", username: "german@example.com" });
    expect(result).toMatchObject({ code: "ok", apiUrl: "https://prde.autotask.net", zone: "prde" });
  });

  it("warns of a stale portal zone, names both zones and uses the reported one", async () => {
    const result = await check({ portalUrl: "https://ww5.autotask.net/Mvc/Home" });
    expect(result).toMatchObject({
      outcome: "warning",
      code: "zone_mismatch",
      apiUrl: "https://webservices15.autotask.net",
    });
    expect(result.checks[1]?.detail).toMatch(
      /You entered ww5 \(America West\) but this user lives in ww15 \(America West 2\)/,
    );
    expect(result.advice).toMatch(/^Use https:\/\/webservices15\.autotask\.net as the Domain/);
    expect(authenticated().every((request) => request.host === "webservices15.autotask.net")).toBe(true);
  });

  it("treats an unusable portal address as a zone mismatch when the username finds the zone", async () => {
    const result = await check({ portalUrl: "https://ww5.autotask.net.evil.com" });
    expect(result).toMatchObject({ code: "zone_mismatch", apiUrl: "https://webservices15.autotask.net" });
    expect(result.checks[0]).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/not an Autotask address/),
    });
  });

  it("reports an unknown username with advice on where to copy it", async () => {
    const result = await check({ username: "nobody@example.com" });
    expect(result).toMatchObject({ outcome: "failed", code: "unknown_username" });
    expect(statuses(result)).toEqual(["pass", "fail", "skip", "skip"]);
    expect(result.advice).toMatch(/Resources\/Users/);
    expect(authenticated()).toHaveLength(0);
  });

  it("reports a bad secret and sends no second authenticated request after the 401", async () => {
    const result = await check({ secret: "wrong-secret" });
    expect(result).toMatchObject({ code: "invalid_credentials", usage: null });
    expect(statuses(result)).toEqual(["pass", "pass", "fail", "skip"]);
    expect(authenticated()).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(result.checks[2]?.detail).toContain("…1A2B");
  });

  it("reports a bad tracking identifier (500 IntegrationCode is invalid)", async () => {
    const result = await check({ trackingId: "WRONGTRACKINGID9Z9Z" });
    expect(result).toMatchObject({ code: "invalid_tracking_identifier" });
    expect(result.checks[2]?.detail).toContain("…9Z9Z");
    expect(authenticated()).toHaveLength(1);
  });

  it("reports a bad tracking identifier that looks like a bare 401 as invalid credentials, advice naming it", async () => {
    const result = await check({ trackingId: "WRONGTRACKINGID9Z9Z" }, {}, strictEmulator);
    expect(result).toMatchObject({ code: "invalid_credentials" });
    expect(result.advice).toMatch(/tracking identifier/);
  });

  it("names the entities a security level cannot read, and those it can", async () => {
    const result = await check({ portalUrl: "ww5.autotask.net", username: "limited@example.com" });
    expect(result).toMatchObject({ code: "insufficient_permissions", outcome: "failed" });
    expect(result.checks[3]).toMatchObject({ status: "fail" });
    expect(result.checks[3]?.detail).toMatch(/cannot read Tickets\. It can read Companies\./);
    expect(result.advice).toMatch(/can read Tickets/);
  });

  it("passes with a warning step when an entity shows no records", async () => {
    const result = await check({ portalUrl: "ww5.autotask.net", username: "empty@example.com" });
    expect(result).toMatchObject({ code: "ok", outcome: "ok" });
    expect(result.checks[3]).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/Tickets returned no records/),
    });
  });

  it("retries a thread threshold a bounded number of times, then reports rate_limited", async () => {
    emulator.injectFault(toThreshold, { kind: "threadThreshold", status: 500 });
    const result = await check({}, { retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 } });
    expect(result).toMatchObject({ code: "rate_limited" });
    expect(authenticated()).toHaveLength(3);
    expect(sleeps).toEqual([75, 150]);
  });

  it("honours Retry-After on a 429", async () => {
    emulator.injectFault(toThreshold, { kind: "rateLimit", retryAfterSeconds: 2 }, 1);
    const result = await check();
    expect(result.code).toBe("ok");
    expect(sleeps).toEqual([2_000]);
  });

  it("does not wait out a Retry-After longer than its cap", async () => {
    emulator.injectFault(toThreshold, { kind: "rateLimit", retryAfterSeconds: 3_600 });
    const result = await check();
    expect(result.code).toBe("rate_limited");
    expect(authenticated()).toHaveLength(1);
  });

  it.each([
    ["a 503", { kind: "status", status: 503 }],
    ["an HTML page", { kind: "html" }],
    ["garbage", { kind: "garbage" }],
    ["a reset connection", { kind: "reset" }],
  ] as const)(
    "reports autotask_unavailable after %s, without sending the login again",
    async (_name, fault) => {
      // The answer does not prove the credentials: a second login could be a second failed one.
      emulator.injectFault(toThreshold, fault);
      const result = await check();
      expect(result).toMatchObject({ code: "autotask_unavailable", outcome: "failed" });
      expect(authenticated()).toHaveLength(1);
    },
  );

  it("recovers when a transient failure of the zone lookup clears within the retries", async () => {
    emulator.injectFault({ path: /zoneInformation/i }, { kind: "status", status: 502 }, 1);
    expect((await check({ portalUrl: "" })).code).toBe("ok");
  });

  it("retries a login answered 429 (the answer proves the credentials), and recovers", async () => {
    emulator.injectFault(toThreshold, { kind: "rateLimit", retryAfterSeconds: 1 }, 1);
    expect((await check()).code).toBe("ok");
    expect(authenticated().filter((request) => /ThresholdInformation/i.test(request.path))).toHaveLength(2);
  });

  it("keeps to a short deadline when Autotask stalls", async () => {
    emulator.injectFault(toThreshold, { kind: "delay", ms: 10_000 });
    const started = Date.now();
    const result = await runCheck(input(), {
      client: createAutotaskClient({ timeoutMs: 200, originOverride: emulator.origin }),
      requiredEntities: ["Companies"],
      sleep: async () => {},
    });
    expect(result.code).toBe("autotask_unavailable");
    expect(result.checks[2]?.detail).toMatch(/within 200 ms/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it("falls back to the portal's zone when the zone lookup is down, and says so", async () => {
    emulator.injectFault({ path: /zoneInformation/i }, { kind: "status", status: 503 });
    const result = await check();
    expect(result).toMatchObject({ code: "ok", apiUrl: "https://webservices15.autotask.net" });
    expect(result.checks[1]).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/zone of the portal address/),
    });
  });

  it("fails when the zone lookup is down and no portal address was given", async () => {
    emulator.injectFault({ path: /zoneInformation/i }, { kind: "status", status: 503 });
    const result = await check({ portalUrl: "" });
    expect(result).toMatchObject({ code: "autotask_unavailable", apiUrl: null });
  });

  it("never sends credentials to a host the zone lookup names outside the allow-list", async () => {
    const body = JSON.stringify({
      zoneName: "x",
      url: "https://webservices15.autotask.net.evil.com/ATServicesRest/",
    });
    emulator.injectFault({ path: /zoneInformation/i }, { kind: "status", status: 200, body });
    const result = await check();
    expect(result).toMatchObject({ code: "autotask_unavailable" });
    expect(result.checks[1]?.detail).toMatch(/not an Autotask API address/);
    expect(authenticated()).toHaveLength(0);
  });

  it("reports every step in order, and survives an onStep that throws", async () => {
    const seen: CheckStep["name"][] = [];
    const result = await check(
      {},
      {
        onStep: (step) => {
          seen.push(step.name);
          throw new Error("Slack is down");
        },
      },
    );
    expect(seen).toEqual(["domain", "zone", "credentials", "permissions"]);
    expect(result.code).toBe("ok");
  });

  it("reports only the steps that ran", async () => {
    const seen: string[] = [];
    await check({ username: "nobody@example.com" }, { onStep: (step) => void seen.push(step.name) });
    expect(seen).toEqual(["domain", "zone"]);
  });

  it("stops when cancelled", async () => {
    emulator.injectFault(toThreshold, { kind: "delay", ms: 10_000 });
    const controller = new AbortController();
    const pending = check({}, { signal: controller.signal, sleep: undefined });
    setImmediate(() => controller.abort());
    const result = await pending;
    expect(result.code).toBe("autotask_unavailable");
    expect(result.checks.find((step) => step.status === "fail")?.detail).toMatch(/cancelled/);
  });

  it("turns a bug into internal_error, never an exception", async () => {
    const broken: AutotaskClient = {
      zoneInformation: async () => {
        throw new Error(`bug with ${SECRET}`);
      },
      thresholdInformation: async () => {
        throw new Error("unreachable");
      },
      queryEntity: async () => {
        throw new Error("unreachable");
      },
    };
    const result = await check({}, { client: broken });
    expect(result).toMatchObject({ code: "internal_error", outcome: "failed", requestId: "req-1" });
    expect(result.advice).toContain("req-1");
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it("never puts the secret or the whole tracking identifier in a result, even when Autotask echoes them", async () => {
    const body = JSON.stringify({ errors: [`Bad value ${SECRET} for ${TRACKING_ID}`] });
    emulator.injectFault(toThreshold, { kind: "status", status: 400, body });
    const result = await check();
    const json = JSON.stringify(result);
    expect(result.code).toBe("autotask_error");
    expect(json).not.toContain(SECRET);
    expect(json).not.toContain(TRACKING_ID);
    expect(json).toContain("[redacted]");
  });
});
