import { describe, expect, it } from "vitest";
import { type CheckResult, outcomeOf, RESULT_CODES, type ResultCode } from "../../src/autotask/result.js";
import type { AuthorizedUsers } from "../../src/config.js";
import { checkMessageBlocks } from "../../src/emulators/slack-block-limits.js";
import { blocksToText, mrkdwnToText } from "../../src/slack/blocks-to-text.js";
import {
  type CheckContext,
  formatUsage,
  RESULT_EVENT_TYPE,
  RETRY_ACTION_ID,
  renderEnqueueFailed,
  renderFinal,
  renderFinalReply,
  renderHelp,
  renderParentPending,
  renderRefusal,
  renderReplyBatch,
  renderStatus,
  renderStepReply,
  type SlackMessage,
} from "../../src/slack/messages.js";
import { lastFour } from "../../src/slack/mrkdwn.js";
import { parseWatchZoneValue, WATCH_ZONE_ACTION_ID } from "../../src/slack/watch-button.js";

const TRACKING_ID = "Z9Y8X7W6V5U4T3S2R1Q0TRK1A2B";

const ctx: CheckContext = {
  requestId: "req-1",
  requesterId: "U0REQUESTER",
  username: "api@example.com",
  trackingIdLast4: lastFour(TRACKING_ID),
  portalUrl: "https://ww5.autotask.net",
  retryId: "retry-abc",
};

function resultFor(code: ResultCode, overrides: Partial<CheckResult> = {}): CheckResult {
  const outcome = outcomeOf(code);
  return {
    requestId: "req-1",
    outcome,
    code,
    apiUrl: "https://webservices15.autotask.net",
    zone: "15",
    zoneName: "America West 2",
    username: "api@example.com",
    checks: [
      { name: "domain", status: "pass", detail: "ww5.autotask.net is zone 5" },
      {
        name: "zone",
        status: code === "zone_mismatch" ? "warn" : "pass",
        detail: "Autotask reports zone 15",
      },
      {
        name: "credentials",
        status: outcome === "failed" ? "fail" : "pass",
        detail: `Autotask answered: ${code}`,
      },
      {
        name: "permissions",
        status: outcome === "failed" ? "skip" : "pass",
        detail: "Companies, Tickets readable",
      },
    ],
    usage: outcome === "failed" ? null : { used: 124, limit: 10_000, timeframeMinutes: 60 },
    advice: `Advice for ${code}: do the thing.`,
    ...overrides,
  };
}

/** Every check Slack would make of a message's size. */
function expectWithinLimits(message: SlackMessage, textLimit = 4_000): void {
  expect(message.text.length).toBeLessThanOrEqual(textLimit);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  expect(checkMessageBlocks(message.blocks)).toEqual([]);
}

const allText = (message: SlackMessage) => `${message.text}\n${JSON.stringify(message.blocks)}`;

describe("renderFinal", () => {
  it.each(RESULT_CODES.map((code) => [code]))(
    "renders %s with its advice, the Domain and the checks",
    (code) => {
      const result = resultFor(code);
      const final = renderFinal(result, ctx);
      const shown = blocksToText(final);
      expect(shown).toContain(`Advice for ${code}`);
      expect(shown).toContain("Domain to paste: `https://webservices15.autotask.net`");
      expect(shown).toContain("America West 2 (15)");
      for (const check of result.checks) expect(shown).toContain(check.detail);
      expectWithinLimits(final);
    },
  );

  it("gives usage the way people say it", () => {
    const shown = blocksToText(renderFinal(resultFor("ok"), ctx));
    expect(shown).toContain("124 of 10,000 requests this hour");
    expect(formatUsage({ used: 6_000, limit: 10_000, timeframeMinutes: 60 })).toMatch(
      /slows requests above 50%/,
    );
    expect(formatUsage({ used: 1, limit: 100, timeframeMinutes: 15 })).toBe(
      "1 of 100 requests in the last 15 minutes",
    );
  });

  it("says so when the Domain could not be determined", () => {
    const shown = blocksToText(
      renderFinal(resultFor("unknown_username", { apiUrl: null, zone: null, zoneName: null }), ctx),
    );
    expect(shown).toContain("Domain to paste: not determined");
    expect(shown).toContain("Autotask does not know this API username");
  });

  it("shows the tracking identifier only as its last 4 characters", () => {
    for (const message of [renderFinal(resultFor("invalid_credentials"), ctx), renderParentPending(ctx)]) {
      expect(allText(message)).toContain("…1A2B");
      expect(allText(message)).not.toContain(TRACKING_ID.slice(0, -4));
    }
    const careless = { ...ctx, trackingIdLast4: TRACKING_ID };
    expect(allText(renderFinal(resultFor("ok"), careless))).not.toContain(TRACKING_ID.slice(0, -4));
  });

  it('offers "Fix and retry" on a failure, carrying the retry id', () => {
    const final = renderFinal(resultFor("invalid_credentials"), ctx);
    const actions = final.blocks.find((block) => block.type === "actions");
    expect(actions).toMatchObject({
      elements: [
        { type: "button", action_id: RETRY_ACTION_ID, value: "retry-abc", text: { text: "Fix and retry" } },
      ],
    });
    expect(blocksToText(final)).toContain("[Fix and retry]");
  });

  it.each([
    ["a success", resultFor("ok"), ctx],
    ["a warning", resultFor("zone_mismatch"), ctx],
    ["a failure without a retry id", resultFor("invalid_credentials"), { ...ctx, retryId: undefined }],
  ])("offers no retry button for %s", (_name, result, context) => {
    const buttons = renderFinal(result, context)
      .blocks.filter((block) => block.type === "actions")
      .flatMap((block) => (block as { elements: { action_id?: string }[] }).elements);
    expect(buttons.map((button) => button.action_id)).not.toContain(RETRY_ACTION_ID);
  });

  it.each([
    ["a success", "ok", true],
    ["a warning", "zone_mismatch", true],
    ["a failure", "invalid_credentials", false],
  ] as const)("offers the Watch zone button on %s: %s", (_name, code, shown) => {
    const final = renderFinal(resultFor(code), ctx);
    expect(blocksToText(final).includes("[Watch zone]")).toBe(shown);
    const button = final.blocks
      .filter((block) => block.type === "actions")
      .flatMap((block) => (block as { elements: { action_id?: string; value?: string }[] }).elements)
      .find((element) => element.action_id === WATCH_ZONE_ACTION_ID);
    expect(Boolean(button)).toBe(shown);
    if (button) {
      expect(parseWatchZoneValue(button.value)).toEqual({
        requestId: ctx.requestId,
        username: resultFor(code).username,
        portalUrl: ctx.portalUrl,
        apiUrl: resultFor(code).apiUrl,
        zone: resultFor(code).zone,
      });
    }
  });

  it("carries the contract's message metadata", () => {
    const final = renderFinal(resultFor("zone_mismatch"), ctx);
    expect(final.metadata).toEqual({
      event_type: RESULT_EVENT_TYPE,
      event_payload: {
        request_id: "req-1",
        outcome: "warning",
        code: "zone_mismatch",
        api_url: "https://webservices15.autotask.net",
        zone: "15",
        username: "api@example.com",
      },
    });
    expect(RESULT_EVENT_TYPE).toBe("autotask_connection_checked");
  });

  it("keeps a hostile username from mentioning, linking or formatting", () => {
    const username = "<!channel> <@U999> <https://evil.example|click> *bold* _it_ ~s~ `code`";
    const result = resultFor("invalid_credentials", { username });
    for (const message of [
      renderFinal(result, { ...ctx, username }),
      renderParentPending({ ...ctx, username }),
    ]) {
      const text = allText(message);
      expect(text).not.toMatch(/<!channel>|<@U999>|<https:\/\/evil/);
      expect(text).toContain("&lt;!channel&gt;");
    }
    expect(blocksToText(renderFinal(result, ctx))).toContain(
      "<!channel> <@U999> <https://evil.example|click>",
    );
  });

  it("escapes a hostile detail or advice from the check", () => {
    const result = resultFor("insufficient_permissions", {
      advice: "Ask <!here> to fix it",
      checks: [{ name: "permissions", status: "fail", detail: "<@U1> cannot read <https://x|Tickets>" }],
    });
    const text = allText(renderFinal(result, ctx));
    expect(text).not.toMatch(/<!here>|<@U1>|<https:\/\/x/);
  });

  it("fits Slack's limits with a long username, long advice and many entities", () => {
    const checks = Array.from({ length: 120 }, (_, i) => ({
      name: "permissions" as const,
      status: "fail" as const,
      detail: `Entity${i} <cannot> be read by this security level ${"x".repeat(200)}`,
    }));
    const result = resultFor("insufficient_permissions", {
      username: "u".repeat(3_000),
      advice: "a".repeat(5_000),
      checks,
    });
    const final = renderFinal(result, { ...ctx, username: "u".repeat(3_000), portalUrl: "p".repeat(3_000) });
    expectWithinLimits(final);
    expect(blocksToText(final)).toContain("Entity0 <cannot>");
    expectWithinLimits(
      renderParentPending({ ...ctx, username: "u".repeat(3_000), portalUrl: "p".repeat(3_000) }),
    );
    expectWithinLimits(renderFinalReply(result));
  });
});

describe("thread messages", () => {
  it("names the username and the requester in the pending parent", () => {
    const pending = renderParentPending(ctx);
    expect(pending.text).toContain(
      "Checking the Autotask connection for `api@example.com`, requested by <@U0REQUESTER>",
    );
    expect(blocksToText(pending)).toContain("requested by @U0REQUESTER");
    expectWithinLimits(pending);
  });

  it("puts steps of the same moment in one reply, one line each, in order", () => {
    const steps = (["zone", "credentials"] as const).map((name) =>
      renderStepReply({ name, status: "pass", detail: `${name} fine` }),
    );
    const batch = renderReplyBatch([...steps, renderFinalReply(resultFor("ok"))]);
    expect(batch.text.split("\n")).toEqual([
      ":white_check_mark: *Zone*: zone fine",
      ":white_check_mark: *Credentials*: credentials fine",
      expect.stringMatching(/^Done: /),
    ]);
    expect(batch.blocks).toHaveLength(3);
    expectWithinLimits(batch);
  });

  it.each([
    ["pass", ":white_check_mark:"],
    ["warn", ":warning:"],
    ["fail", ":x:"],
    ["skip", ":white_circle:"],
  ] as const)("marks a %s step with %s", (status, mark) => {
    const reply = renderStepReply({
      name: "credentials",
      status,
      detail: "Autotask accepted the credentials",
    });
    expect(reply.text).toBe(`${mark} *Credentials*: Autotask accepted the credentials`);
    expectWithinLimits(reply);
  });

  it("ends the thread with a short Done line", () => {
    expect(renderFinalReply(resultFor("ok")).text).toMatch(/^Done: .*works.*webservices15/);
    expect(renderFinalReply(resultFor("invalid_tracking_identifier")).text).toMatch(
      /^Done: :x: Autotask rejected the tracking identifier\. Advice/,
    );
  });
});

describe("command answers", () => {
  it("explains the command, help and status in the help text", () => {
    const help = blocksToText(renderHelp());
    for (const usage of ["/autotask-connect", "status", "help", "https://ww5.autotask.net"])
      expect(help).toContain(usage);
    expectWithinLimits(renderHelp());
  });

  it('answers status with "No checks yet" when there are none', () => {
    expect(renderStatus([]).text).toMatch(/No checks yet/);
  });

  it("lists the newest checks first with a readable date", () => {
    const entry = {
      requestId: "r",
      outcome: "failed",
      code: "invalid_credentials",
      username: "<!channel>",
      apiUrl: null,
      requesterId: "U1",
    };
    const status = renderStatus([
      { ...entry, finishedAt: Date.UTC(2026, 0, 1) },
      {
        ...entry,
        finishedAt: Date.UTC(2026, 0, 2),
        outcome: "ok",
        code: "ok",
        apiUrl: "https://webservices5.autotask.net",
      },
    ]);
    const shown = blocksToText(status);
    expect(shown.indexOf("2026-01-02T00:00:00Z")).toBeLessThan(shown.indexOf("2026-01-01T00:00:00Z"));
    expect(shown).toContain("The Autotask connection works");
    expect(JSON.stringify(status.blocks)).not.toContain("<!channel>");
    expectWithinLimits(status);
  });

  it.each<[AuthorizedUsers, RegExp]>([
    [{ kind: "admins" }, /workspace admins and owners/],
    [{ kind: "listed", userIds: ["U1"] }, /add your user ID `U0NOPE` to AUTHORIZED_USERS/],
  ])("tells a refused person who can grant access (%j)", (authorized, expected) => {
    expect(blocksToText(renderRefusal(authorized, "U0NOPE"))).toMatch(expected);
  });

  it("tells the person their input is safe when the queue is down", () => {
    expect(renderEnqueueFailed()).toBe(
      "The bot could not queue the check (its queue is unavailable). Nothing you typed is lost: press Check again in a moment.",
    );
  });
});

describe("blocksToText", () => {
  it("turns Slack markup into what a person reads", () => {
    expect(
      mrkdwnToText("<@U1> in <#C1|general>, <!here>: <https://x.example|docs> &amp; <https://y.example>"),
    ).toBe("@U1 in #general, @here: docs (https://x.example) & https://y.example");
    expect(mrkdwnToText("<!date^1700000000^{date_short}|2023-11-14>")).toBe("2023-11-14");
  });

  it("renders sections, fields, context, dividers and buttons in order", () => {
    const text = blocksToText({
      blocks: [
        {
          type: "section",
          text: { type: "mrkdwn", text: "Head" },
          fields: [{ type: "mrkdwn", text: "*A*\n1" }],
        },
        { type: "divider" },
        {
          type: "context",
          elements: [
            { type: "mrkdwn", text: "small" },
            { type: "plain_text", text: "print" },
          ],
        },
        {
          type: "actions",
          elements: [{ type: "button", text: { type: "plain_text", text: "Go" }, action_id: "g" }],
        },
      ],
    });
    expect(text.split("\n")).toEqual(["Head", "A: 1", "──────────", "small print", "[Go]"]);
  });

  it("drops formatting markers and draws emoji, but leaves code spans as typed", () => {
    expect(mrkdwnToText(":x: *Failed* for `*not_bold*` _now_")).toBe("❌ Failed for `*not_bold*` now");
  });

  it("falls back to text when there are no blocks", () => {
    expect(blocksToText({ text: "plain &lt;x&gt;" })).toBe("plain <x>");
  });
});
