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
  keptAs,
  neverSent,
  provesCredentials,
  QUOTE_CHARS,
  readUsage,
  readZoneAnswer,
} from "../../src/autotask/diagnosis.js";
import { outcomeOf, RESULT_CODES, type ResultCode } from "../../src/autotask/result.js";
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
      "a 500 with a message no rule knows",
      "credentials",
      response(500, errors("Object reference not set to an instance of an object.")),
      "autotask_error",
      false,
    ],
    ["an empty 500", "credentials", response(500), "autotask_unavailable", true],
    [
      "an HTML 500",
      "credentials",
      response(500, "<html><body>Runtime Error</body></html>"),
      "autotask_unavailable",
      true,
    ],
    [
      "a 503 with a JSON message (a gateway says nothing about the request)",
      "credentials",
      response(503, errors("Service Unavailable")),
      "autotask_unavailable",
      true,
    ],
    [
      "an unknown message under 400",
      "permissions",
      response(400, errors("Invalid filter")),
      "autotask_error",
      false,
    ],
    [
      "ASP.NET's own error shape under 500",
      "credentials",
      response(500, JSON.stringify({ Message: "An error has occurred." })),
      "autotask_error",
      false,
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
      "autotask_error",
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

  it("scrubs the secret before cutting, so no prefix of it survives the cut", () => {
    const secret = "S3cr3t-Value-That-Straddles-The-Cut";
    // The secret starts 10 characters before the cut point of the quote.
    const message = `${"a".repeat(QUOTE_CHARS - 10)}${secret} and more`;
    const redact = (text: string) => text.split(secret).join("[redacted]");
    for (const reply of [response(401, errors(message)), response(500, errors(message))]) {
      const reason = diagnoseReply("credentials", reply, redact)?.reason ?? "";
      for (let length = 4; length <= secret.length; length++) {
        expect(reason).not.toContain(secret.slice(0, length));
      }
      expect(reason).toContain("[redacted]");
    }
  });

  it("quotes Autotask's own message in an autotask_error", () => {
    const failure = diagnoseReply(
      "credentials",
      response(500, errors("Object reference not set to an instance of an object.")),
    );
    expect(failure?.reason).toBe(
      'Autotask answered HTTP 500 with its own error: "Object reference not set to an instance of an object."',
    );
  });
});

describe("provesCredentials and the login budget", () => {
  const proofTable: [string, AutotaskReply, boolean, "give back" | "rejected" | "unknown"][] = [
    ["a 200", response(200, '{"items":[]}'), true, "give back"],
    ["an empty 200 (no answer from Autotask itself)", response(200, ""), false, "unknown"],
    ["an HTML 200 (a proxy's page)", response(200, "<html></html>"), false, "unknown"],
    [
      "a permission error on a query",
      response(
        500,
        errors("The logged in Resource does not have the adequate permissions to query this entity type."),
      ),
      true,
      "give back",
    ],
    [
      "Itgenatr005",
      response(500, errors("Thread Threshold Exceeded. Code: Itgenatr005.")),
      true,
      "give back",
    ],
    ["a 429", response(429), true, "give back"],
    ["a 401", response(401), false, "rejected"],
    ["a bad tracking identifier", response(500, errors("IntegrationCode is invalid.")), false, "rejected"],
    ["an unknown errors answer", response(500, errors("Object reference not set")), false, "unknown"],
    ["an empty 500", response(500), false, "unknown"],
    ["an HTML 503", response(503, "<html></html>"), false, "unknown"],
    ["a timeout", { kind: "network", failure: "timeout", detail: "t" }, false, "unknown"],
    ["a reset", { kind: "network", failure: "reset", detail: "r" }, false, "unknown"],
    ["a cancelled request", { kind: "network", failure: "aborted", detail: "a" }, false, "unknown"],
    [
      "a refused connection (never sent)",
      { kind: "network", failure: "refused", detail: "r" },
      false,
      "give back",
    ],
    ["a DNS failure (never sent)", { kind: "network", failure: "dns", detail: "d" }, false, "give back"],
    ["a blocked host (never sent)", { kind: "blocked", host: "evil.com" }, false, "give back"],
  ];

  it.each(proofTable)("%s: proof %s, the unit is %s", (_name, reply, proof, unit) => {
    const failure = diagnoseReply("permissions", reply);
    expect(provesCredentials(reply, failure)).toBe(proof);
    const handled = proof || neverSent(reply) ? "give back" : keptAs(failure);
    expect(handled).toBe(unit);
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

  it("tells a person whose tracking identifier failed that only the vendor has a vendor's identifier", () => {
    const advice = adviceFor("invalid_tracking_identifier");
    expect(advice).toMatch(/Custom \(Internal Integration\)/);
    expect(advice).toMatch(/ask the vendor/);
  });

  it("asks to check the API user and report the quoted message to Kaseya for autotask_error", () => {
    const advice = adviceFor("autotask_error");
    expect(advice).toMatch(/API user/);
    expect(advice).toMatch(/report the quoted message to Kaseya support/);
  });

  it("warns from 80% of the request limit that every integration on the database is slowed, then refused", () => {
    const high = { used: 8_000, limit: 10_000, timeframeMinutes: 60 };
    for (const code of ["ok", "zone_mismatch"] as const) {
      expect(adviceFor(code, { usage: high })).toMatch(
        /80% .*slows down every integration on it from 50% and refuses their requests at 100%/,
      );
      expect(adviceFor(code, { usage: { ...high, used: 7_999 } })).not.toMatch(/slows down/);
    }
  });

  it("says the budget went to unknown outcomes, not to failed logins, when it did", () => {
    const retryAt = new Date("2026-07-01T12:15:00Z");
    const unclear = adviceFor("too_many_failures", { retryAt, spentOn: { rejections: 1, unknown: 2 } });
    expect(unclear).not.toMatch(/failed to log in 3 times/);
    expect(unclear).toMatch(/2 timed out, were cut off or got an unexplained error; 1 rejected/);
    expect(unclear).toContain("2026-07-01 12:15 UTC");
    const rejected = adviceFor("too_many_failures", { retryAt, spentOn: { rejections: 3, unknown: 0 } });
    expect(rejected).toMatch(/failed to log in 3 times/);
  });

  it("names the entities a security level must read", () => {
    expect(adviceFor("insufficient_permissions", { deniedEntities: ["Tickets", "Contracts"] })).toMatch(
      /Tickets, Contracts/,
    );
  });
});

describe("outcomeOf", () => {
  it("makes a working connection at or above 80% of its request limit a warning, keeping the code", () => {
    const usage = (used: number) => ({ used, limit: 10_000, timeframeMinutes: 60 });
    expect(outcomeOf("ok", usage(7_999))).toBe("ok");
    expect(outcomeOf("ok", usage(8_000))).toBe("warning");
    expect(outcomeOf("zone_mismatch", usage(9_999))).toBe("warning");
    expect(outcomeOf("insufficient_permissions", usage(9_000))).toBe("failed");
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
