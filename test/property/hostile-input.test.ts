/**
 * Hostile text in every modal field, in the command text and in everything a result quotes: the
 * pure functions never throw, Slack accepts what they build, user text is never markup, and the
 * secret is in no error message.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RESULT_CODES } from "../../src/autotask/result.js";
import { checkMessageBlocks, checkView } from "../../src/emulators/slack-block-limits.js";
import {
  type CheckContext,
  renderFinal,
  renderFinalReply,
  renderParentPending,
  renderReplyBatch,
  renderStatus,
  renderStepReply,
} from "../../src/slack/messages.js";
import {
  BLOCK_IDS,
  buildConnectModal,
  decodeMetadata,
  FIELD_MAX_LENGTH,
  parseSubmission,
} from "../../src/slack/modal.js";
import { escapeMrkdwn } from "../../src/slack/mrkdwn.js";
import { foreignMarkup, hostile, hostileSecret, mrkdwnTexts } from "./hostile.js";

const RUNS = { numRuns: 400 };
const REQUESTER = "U0REQ";
const CHANNEL = "C0CHAN";
const allowed = { userIds: [REQUESTER], channelIds: [CHANNEL] };
const values = (fields: Record<string, string | null>) =>
  Object.fromEntries(Object.entries(fields).map(([id, value]) => [id, { [id]: { value } }]));

describe("parseSubmission with hostile values", () => {
  it("never throws, keys errors by the four fields, and never quotes the secret", () => {
    fc.assert(
      fc.property(hostile, hostile, hostileSecret, hostile, (portalUrl, username, secret, trackingId) => {
        const parsed = parseSubmission(
          values({
            [BLOCK_IDS.portalUrl]: portalUrl,
            [BLOCK_IDS.username]: username,
            [BLOCK_IDS.secret]: secret,
            [BLOCK_IDS.trackingId]: trackingId,
          }),
        );
        if (!parsed.ok) {
          expect(
            Object.keys(parsed.errors).every((id) => Object.values(BLOCK_IDS).includes(id as never)),
          ).toBe(true);
          expect(JSON.stringify(parsed.errors)).not.toContain(secret);
          return;
        }
        const { submission } = parsed;
        expect(submission.username.length).toBeLessThanOrEqual(FIELD_MAX_LENGTH.username);
        expect(submission.trackingId.length).toBeLessThanOrEqual(FIELD_MAX_LENGTH.trackingId);
        expect(submission.username).not.toMatch(/[\p{Cc}\p{Cf}\p{Z}]/u);
        expect(submission.secret).not.toMatch(/\p{Cc}/u);
        // A portal URL that passes is the zone's own origin, never the typed text.
        expect(submission.portalUrl).toMatch(/^(https:\/\/[a-z0-9.]+\.autotask\.net)?$/);
      }),
      RUNS,
    );
  });

  it("treats missing and null values as empty fields, with an error, not an exception", () => {
    fc.assert(
      fc.property(fc.option(hostile), fc.option(hostile), (username, trackingId) => {
        const parsed = parseSubmission(
          values({ [BLOCK_IDS.username]: username, [BLOCK_IDS.trackingId]: trackingId }),
        );
        expect(parsed.ok).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});

describe("the modal with hostile command text and metadata", () => {
  it("is always a view Slack accepts, with private_metadata that decodes and fits", () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (portalUrl, username, trackingId, responseUrl) => {
        const view = buildConnectModal(
          { portalUrl, username, trackingId },
          { channelId: CHANNEL, responseUrl, teamId: "T0TEAM" },
        );
        expect(checkView(view)).toEqual([]);
        expect(decodeMetadata(view.private_metadata ?? "")?.channelId).toBe(CHANNEL);
        expect(foreignMarkup(mrkdwnTexts(view.blocks), allowed)).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe("messages quoting hostile text", () => {
  const context = (username: string, portalUrl: string, trackingId: string): CheckContext => ({
    requestId: "6f1c2a8e-0000-4000-8000-000000000001",
    requesterId: REQUESTER,
    username,
    trackingIdLast4: `…${trackingId}`,
    portalUrl,
    retryId: "r-1",
  });
  const step = fc.record({
    name: fc.constantFrom("domain" as const, "zone" as const, "credentials" as const, "permissions" as const),
    status: fc.constantFrom("pass" as const, "warn" as const, "fail" as const, "skip" as const),
    detail: hostile,
  });

  it("are messages Slack accepts, where user text is never a mention, link or broadcast", () => {
    fc.assert(
      fc.property(
        hostile,
        hostile,
        hostile,
        fc.constantFrom(...RESULT_CODES),
        fc.array(step, { maxLength: 6 }),
        hostile,
        (username, portalUrl, trackingId, code, checks, advice) => {
          const ctx = context(username, portalUrl, trackingId);
          const result = {
            requestId: ctx.requestId,
            outcome: code === "ok" ? ("ok" as const) : ("failed" as const),
            code,
            apiUrl: "https://webservices15.autotask.net",
            zone: "15",
            zoneName: "America West 2",
            username,
            checks,
            usage: null,
            advice,
          };
          const messages = [
            renderParentPending(ctx),
            renderReplyBatch([...checks.map(renderStepReply), renderFinalReply(result)]),
            renderFinal(result, ctx),
            renderFinalReply(result),
            ...checks.map(renderStepReply),
            renderStatus([
              {
                requestId: ctx.requestId,
                finishedAt: 1_700_000_000_000,
                outcome: code,
                code,
                username: username.slice(0, FIELD_MAX_LENGTH.username),
                apiUrl: "https://webservices15.autotask.net",
                requesterId: REQUESTER,
              },
            ]),
          ];
          for (const message of messages) {
            expect(checkMessageBlocks(message.blocks)).toEqual([]);
            expect(message.text.length).toBeLessThanOrEqual(4_000);
            expect(foreignMarkup(mrkdwnTexts(message), allowed)).toEqual([]);
          }
          // Where the username is shown as a value, it is inline code: *x* and _x_ stay literal.
          const shown = escapeMrkdwn(username.slice(0, 199));
          if (username.length <= 200 && username.trim() !== "" && !username.includes("\ud800")) {
            expect(JSON.stringify(renderFinal(result, ctx).blocks)).toContain(
              JSON.stringify(shown).slice(1, -1),
            );
          }
        },
      ),
      RUNS,
    );
  });
});
