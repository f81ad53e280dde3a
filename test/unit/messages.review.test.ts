import { describe, expect, it } from "vitest";
import { blocksToText } from "../../src/slack/blocks-to-text.js";
import { renderFinal, renderStatus, type StatusEntry } from "../../src/slack/messages.js";

const entry = (n: number): StatusEntry => ({
  requestId: `req-${n}`,
  finishedAt: 1_795_000_000_000 + n,
  outcome: "ok",
  code: "ok",
  username: `api${n}@example.com`,
  apiUrl: "https://webservices5.autotask.net",
  requesterId: "U1",
});

describe("/autotask-connect status heading", () => {
  it.each([
    [1, "Last Autotask check in this workspace"],
    [2, "Last 2 Autotask checks in this workspace"],
  ])("reads naturally for %i check(s)", (count, heading) => {
    const status = renderStatus(Array.from({ length: count }, (_, i) => entry(i)));
    expect(status.text).toBe(heading);
    expect(JSON.stringify(status.blocks)).toContain(`*${heading}*`);
  });
});

describe("a result with no steps (the check could not run at all)", () => {
  it("shows no empty Checks section", () => {
    const final = renderFinal(
      {
        requestId: "r1",
        outcome: "failed",
        code: "internal_error",
        apiUrl: null,
        zone: null,
        zoneName: null,
        username: "api@acme.example",
        checks: [],
        usage: null,
        advice: "The bot could not read the secret it was given.",
      },
      {
        requestId: "r1",
        requesterId: "U1",
        username: "api@acme.example",
        trackingIdLast4: "…1A2B",
        portalUrl: "",
      },
    );
    const text = blocksToText(final);
    expect(text).not.toContain("Checks");
    expect(text).toContain("The bot could not read the secret it was given.");
  });
});
