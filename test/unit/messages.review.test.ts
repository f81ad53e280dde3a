import { describe, expect, it } from "vitest";
import { renderStatus, type StatusEntry } from "../../src/slack/messages.js";

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
