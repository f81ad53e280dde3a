import { describe, expect, it } from "vitest";
import { prefillFor } from "../../src/state/retry-prefill.js";

const saved = {
  portalUrl: "https://ww5.autotask.net",
  username: "api@acme.example",
  trackingId: "TRACK1234",
  requesterId: "U0REQ",
};

describe("what Fix and retry pre-fills for whom", () => {
  it.each([
    { who: "the person who ran the check", userId: "U0REQ", prefill: saved, expected: "TRACK1234" },
    { who: "anyone else", userId: "U0ELSE", prefill: saved, expected: undefined },
    {
      who: "anyone, for a pre-fill saved before the requester was kept",
      userId: "U0REQ",
      prefill: { ...saved, requesterId: undefined },
      expected: undefined,
    },
  ])("gives the tracking identifier to $who: $expected", ({ userId, prefill, expected }) => {
    expect(prefillFor(prefill, userId)).toEqual({
      portalUrl: saved.portalUrl,
      username: saved.username,
      ...(expected && { trackingId: expected }),
    });
  });
});
