import { describe, expect, it } from "vitest";
import { isTransient, tooManyFailuresResult } from "../../src/autotask/check.js";
import {
  type AutotaskReply,
  classifyNetworkError,
  parseBody,
  parseRetryAfter,
} from "../../src/autotask/client.js";
import {
  type AutotaskCall,
  adviceFor,
  diagnoseReply,
  readUsage,
  readZoneAnswer,
} from "../../src/autotask/diagnosis.js";
import { RESULT_CODES, type ResultCode } from "../../src/autotask/result.js";
import { backoffDelay, DEFAULT_RETRY } from "../../src/autotask/retry.js";

function response(
  status: number,
  body = "",
  extra: { retryAfterMs?: number; www?: string } = {},
): AutotaskReply {
  return {
    kind: "response",
    status,
    retryAfterMs: extra.retryAfterMs ?? null,
    wwwAuthenticate: extra.www ?? null,
    body: parseBody(body),
  };
}

const errors = (...messages: string[]) => JSON.stringify({ errors: messages });

describe("diagnoseReply", () => {
  const table: [string, AutotaskCall, AutotaskReply, ResultCode | null, boolean][] = [
    [
      "an unknown username",
      "zone",
      response(500, errors("Zone information could not be determined")),
      "unknown_username",
      false,
    ],
    [
      "a zone answer",
      "zone",
      response(200, '{"url":"https://webservices5.autotask.net/ATServicesRest/"}'),
      null,
      false,
    ],
    [
      "a 401 with an empty body",
      "credentials",
      response(401, "", { www: 'Basic Realm="webservices5"' }),
      "invalid_credentials",
      false,
    ],
    ["a 401 with a body", "credentials", response(401, errors("Unauthorized")), "invalid_credentials", false],
    ["a 401 during a permission probe", "permissions", response(401), "invalid_credentials", false],
    ["a 403 on ThresholdInformation", "credentials", response(403), "invalid_credentials", false],
    [
      "IntegrationCode is invalid",
      "credentials",
      response(500, errors("IntegrationCode is invalid.")),
      "invalid_tracking_identifier",
      false,
    ],
    [
      "permissions as 500",
      "permissions",
      response(
        500,
        errors("The logged in Resource does not have the adequate permissions to query this entity type."),
      ),
      "insufficient_permissions",
      false,
    ],
    ["permissions as 403", "permissions", response(403), "insufficient_permissions", false],
    [
      "a permission error under 200",
      "permissions",
      response(200, errors("does not have the adequate permissions")),
      "insufficient_permissions",
      false,
    ],
    [
      "Thread Threshold under 500",
      "credentials",
      response(500, errors("Thread Threshold Exceeded")),
      "rate_limited",
      true,
    ],
    [
      "Itgenatr005 under 200",
      "permissions",
      response(200, errors("Error Itgenatr005")),
      "rate_limited",
      true,
    ],
    [
      "Thread Threshold as plain text",
      "credentials",
      response(503, "Thread Threshold Exceeded"),
      "rate_limited",
      true,
    ],
    ["a 429", "credentials", response(429, "", { retryAfterMs: 2000 }), "rate_limited", true],
    ["a 503", "credentials", response(503), "autotask_unavailable", true],
    [
      "a 500 without a known message",
      "credentials",
      response(500, errors("Object reference not set")),
      "autotask_unavailable",
      true,
    ],
    [
      "an HTML page under 200",
      "credentials",
      response(200, "<html><body>Maintenance</body></html>"),
      "autotask_unavailable",
      true,
    ],
    [
      "truncated JSON under 200",
      "permissions",
      response(200, '{"items":[{"id"'),
      "autotask_unavailable",
      true,
    ],
    ["an empty 200", "credentials", response(200, ""), "autotask_unavailable", true],
    [
      "an unknown error under 200",
      "credentials",
      response(200, errors("Something odd")),
      "autotask_unavailable",
      false,
    ],
    ["a redirect", "credentials", response(302), "autotask_unavailable", false],
    ["a 404", "permissions", response(404), "autotask_unavailable", false],
    ["a 401 from the zone lookup", "zone", response(401), "autotask_unavailable", false],
    [
      "a timeout",
      "credentials",
      { kind: "network", failure: "timeout", detail: "timed out" },
      "autotask_unavailable",
      true,
    ],
    [
      "a refused connection",
      "zone",
      { kind: "network", failure: "refused", detail: "refused" },
      "autotask_unavailable",
      true,
    ],
    [
      "a TLS failure",
      "zone",
      { kind: "network", failure: "tls", detail: "tls" },
      "autotask_unavailable",
      true,
    ],
    [
      "a cancelled check",
      "zone",
      { kind: "network", failure: "aborted", detail: "cancelled" },
      "autotask_unavailable",
      false,
    ],
    [
      "a host off the allow-list",
      "credentials",
      { kind: "blocked", host: "evil.com" },
      "autotask_unavailable",
      false,
    ],
    ["a successful query", "permissions", response(200, '{"items":[]}'), null, false],
  ];

  it.each(table)("classifies %s", (_name, call, reply, code, retry) => {
    const failure = diagnoseReply(call, reply);
    expect(failure?.code ?? null).toBe(code);
    if (failure) expect(failure.retry).toBe(retry);
  });

  it("never retries an authentication failure", () => {
    for (const reply of [response(401), response(500, errors("IntegrationCode is invalid."))]) {
      expect(diagnoseReply("credentials", reply)?.retry).toBe(false);
    }
  });

  it("passes Retry-After on", () => {
    expect(diagnoseReply("credentials", response(429, "", { retryAfterMs: 7000 }))?.retryAfterMs).toBe(7000);
  });

  it("quotes an upstream message on one line, shortened", () => {
    const reason = diagnoseReply(
      "credentials",
      response(500, errors(`line one\nline two ${"x".repeat(400)}`)),
    )?.reason;
    expect(reason).toMatch(/"line one line two x+…"/);
    expect(reason?.length).toBeLessThan(220);
  });
});

describe("readZoneAnswer", () => {
  it("accepts an Autotask API address and names the zone", () => {
    expect(
      readZoneAnswer({ url: "https://webservices15.autotask.net/ATServicesRest/", zoneName: "X" }),
    ).toMatchObject({
      ok: true,
      zone: { id: "15", apiUrl: "https://webservices15.autotask.net" },
      zoneName: "America West 2",
    });
  });

  it("uses Autotask's name for a zone we do not know yet", () => {
    expect(readZoneAnswer({ url: "https://webservices31.autotask.net/", zoneName: "Asia 1" })).toMatchObject({
      ok: true,
      zoneName: "Asia 1",
    });
  });

  it.each([
    "https://webservices15.autotask.net.evil.com/ATServicesRest/",
    "http://webservices15.autotask.net/ATServicesRest/",
    "https://user@webservices15.autotask.net/",
    "https://evil.com/webservices15.autotask.net",
  ])("refuses to send credentials to %s", (url) => {
    expect(readZoneAnswer({ url })).toMatchObject({
      ok: false,
      failure: { code: "autotask_unavailable", retry: false },
    });
  });

  it("retries an answer without an address", () => {
    expect(readZoneAnswer({ zoneName: "x" })).toMatchObject({ ok: false, failure: { retry: true } });
  });
});

describe("readUsage", () => {
  it("reads ThresholdInformation", () => {
    expect(
      readUsage({
        externalRequestThreshold: 10000,
        requestThresholdTimeframe: 60,
        currentTimeframeRequestCount: 124,
      }),
    ).toEqual({ used: 124, limit: 10000, timeframeMinutes: 60 });
  });

  it.each([
    null,
    {},
    { externalRequestThreshold: "10000", requestThresholdTimeframe: 60, currentTimeframeRequestCount: 1 },
  ])("gives null for %j", (json) => {
    expect(readUsage(json)).toBeNull();
  });
});

describe("parseBody", () => {
  it.each([
    ["", null, []],
    ["<html>oops</html>", null, []],
    ['{"errors":["a",{"message":"b"},3]}', { errors: ["a", { message: "b" }, 3] }, ["a", "b"]],
    [
      '{"Message":"An error has occurred."}',
      { Message: "An error has occurred." },
      ["An error has occurred."],
    ],
    ['{"items":', null, []],
  ])("parses %j", (text, json, messages) => {
    expect(parseBody(text)).toMatchObject({ json, errors: messages });
  });

  it("keeps at most 500 characters of text", () => {
    expect(parseBody("x".repeat(2000)).text).toHaveLength(500);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-07-01T12:00:00Z");
  it.each([
    [null, null],
    ["30", 30_000],
    ["Wed, 01 Jul 2026 12:00:10 GMT", 10_000],
    ["Wed, 01 Jul 2026 11:00:00 GMT", 0],
    ["soon", null],
  ])("reads %j", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe("classifyNetworkError", () => {
  const withCause = (code: string) => Object.assign(new TypeError("fetch failed"), { cause: { code } });
  it.each([
    [{ code: "UND_ERR_HEADERS_TIMEOUT" }, "timeout"],
    [{ code: "UND_ERR_CONNECT_TIMEOUT" }, "timeout"],
    [withCause("ECONNREFUSED"), "refused"],
    [{ code: "ECONNRESET" }, "reset"],
    [{ code: "UND_ERR_SOCKET", cause: { code: "ECONNRESET" } }, "reset"],
    [{ code: "ENOTFOUND" }, "dns"],
    [{ code: "EAI_AGAIN" }, "dns"],
    [{ code: "CERT_HAS_EXPIRED" }, "tls"],
    [{ code: "ERR_TLS_CERT_ALTNAME_INVALID" }, "tls"],
    [{ code: "ERR_SSL_WRONG_VERSION_NUMBER" }, "tls"],
    [{ code: "EPROTO" }, "tls"],
    [new Error("boom"), "other"],
    ["a string", "other"],
  ])("classifies %j", (error, failure) => {
    expect(classifyNetworkError(error).failure).toBe(failure);
  });

  it("names the code but never the message, which may quote request data", () => {
    const detail = classifyNetworkError(
      Object.assign(new Error("header secret=abc"), { code: "ECONNRESET" }),
    ).detail;
    expect(detail).toContain("ECONNRESET");
    expect(detail).not.toContain("abc");
  });
});

describe("adviceFor", () => {
  it.each(RESULT_CODES)("gives %s advice of one or two sentences", (code) => {
    const advice = adviceFor(code, { apiUrl: "https://webservices15.autotask.net" });
    expect(advice.length).toBeGreaterThan(40);
    expect(advice.split(/[.!?](\s|$)/).filter((part) => part.trim().length > 1).length).toBeLessThanOrEqual(
      2,
    );
  });

  it("tells a person with a zone mismatch which Domain to use", () => {
    expect(adviceFor("zone_mismatch", { apiUrl: "https://webservices15.autotask.net" })).toMatch(
      /^Use https:\/\/webservices15\.autotask\.net as the Domain/,
    );
  });

  it("names all three credentials for invalid_credentials, since Autotask may report any as a 401", () => {
    const advice = adviceFor("invalid_credentials");
    expect(advice).toMatch(/secret/);
    expect(advice).toMatch(/shows it only once/);
    expect(advice).toMatch(/generate a new one/);
    expect(advice).toMatch(/username/);
    expect(advice).toMatch(/tracking identifier/);
  });

  it("names the entities a security level must read", () => {
    expect(adviceFor("insufficient_permissions", { deniedEntities: ["Tickets", "Contracts"] })).toMatch(
      /Tickets, Contracts/,
    );
  });
});

describe("isTransient", () => {
  it.each(RESULT_CODES)("decides whether %s may pass on a later try", (code) => {
    expect(isTransient(code)).toBe(code === "rate_limited" || code === "autotask_unavailable");
  });
});

describe("backoffDelay", () => {
  it("doubles up to the cap, with half of it jittered", () => {
    expect(backoffDelay(1, DEFAULT_RETRY, () => 0, null)).toBe(250);
    expect(backoffDelay(1, DEFAULT_RETRY, () => 0.999_999, null)).toBe(500);
    expect(backoffDelay(2, DEFAULT_RETRY, () => 1, null)).toBe(1000);
    expect(backoffDelay(10, DEFAULT_RETRY, () => 1, null)).toBe(5000);
  });

  it("honours Retry-After, and gives up when it is longer than the cap", () => {
    expect(backoffDelay(1, DEFAULT_RETRY, () => 0, 3000)).toBe(3000);
    expect(backoffDelay(1, DEFAULT_RETRY, () => 0, 60_000)).toBeNull();
  });
});

describe("tooManyFailuresResult", () => {
  const retryAt = new Date("2026-07-01T12:15:00Z");

  it("refuses without a request and says when to try again", () => {
    const result = tooManyFailuresResult({
      requestId: "r1",
      username: "api@x.com",
      portalUrl: "ww5.autotask.net",
      retryAt,
    });
    expect(result).toMatchObject({
      code: "too_many_failures",
      outcome: "failed",
      zone: "5",
      usage: null,
      username: "api@x.com",
    });
    expect(result.advice).toContain("2026-07-01 12:15 UTC");
    expect(result.checks.map((check) => [check.name, check.status])).toEqual([
      ["domain", "pass"],
      ["zone", "skip"],
      ["credentials", "skip"],
      ["permissions", "skip"],
    ]);
  });

  it("works without a portal address", () => {
    const result = tooManyFailuresResult({ requestId: "r1", username: "u", portalUrl: "", retryAt });
    expect(result).toMatchObject({ apiUrl: null, zone: null });
    expect(result.checks[0]?.status).toBe("skip");
  });
});
