import { ErrorCode } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { classifySlackError } from "../../src/slack/slack-link.js";

describe("what a failed auth.test at start-up means", () => {
  it.each(["invalid_auth", "not_authed", "account_inactive", "token_revoked"])(
    "%s: the token is refused (stop, do not retry)",
    (error) => {
      expect(classifySlackError({ code: ErrorCode.PlatformError, data: { error } })).toEqual({
        kind: "rejected",
        error,
      });
    },
  );

  it.each([
    [{ code: ErrorCode.RequestError, original: { code: "ENOTFOUND" } }, "DNS lookup failed (ENOTFOUND)"],
    [
      { code: ErrorCode.RequestError, original: { code: "ECONNREFUSED" } },
      "connection refused (ECONNREFUSED)",
    ],
    [
      { code: ErrorCode.RequestError, original: { code: "UND_ERR_CONNECT_TIMEOUT" } },
      "connect timed out (UND_ERR_CONNECT_TIMEOUT)",
    ],
    [{ code: ErrorCode.HTTPError, statusCode: 503 }, "Slack answered HTTP 503"],
    [{ code: ErrorCode.PlatformError, data: { error: "fatal_error" } }, "Slack answered fatal_error"],
  ])("%j: Slack is unreachable (retry): %s", (error, detail) => {
    expect(classifySlackError(error)).toEqual({ kind: "unreachable", detail });
  });

  it("waits as long as a 429 says", () => {
    expect(classifySlackError({ code: ErrorCode.RateLimitedError, retryAfter: 7 })).toMatchObject({
      kind: "unreachable",
      retryAfterMs: 7_000,
    });
  });
});
