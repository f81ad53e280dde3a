/**
 * "Fix and retry" on someone else's failed check: anyone allowed may press it, but the tracking
 * identifier goes back only to the person who ran the check. Nobody else receives it in any Slack
 * call: not in the modal's initial values, its private_metadata, a button value or a message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN, DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { RETRY_ACTION_ID } from "../../src/slack/messages.js";
import { BLOCK_IDS } from "../../src/slack/modal.js";
import { credentialsOf, metadataOf } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const OTHER_ADMIN = "U0OTHERADMIN";
const API_USER: EmulatedApiUser = {
  username: "privacy@acme.example",
  secret: "Privacy-S3cret#1",
  trackingId: "TRACKPRIVATE9Q2Z",
  zone: "15",
};

type Input = { block_id: string; type: string; element: { initial_value?: string } };

/** Everything the Slack emulator saw or answered, as one string. */
function everythingSlackSaw(stack: Stack): string {
  return JSON.stringify([stack.slack.calls, stack.slack.responsePosts, stack.slack.ephemerals]);
}

function initialValues(view: unknown): Record<string, string | undefined> {
  const inputs = (view as { blocks: Input[] }).blocks.filter((block) => block.type === "input");
  return Object.fromEntries(inputs.map((block) => [block.block_id, block.element.initial_value]));
}

describe("Fix and retry pressed by someone other than the person who ran the check", () => {
  let stack: Stack;
  let parentTs: string;
  let retryValue: string;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix("e2e-retry-privacy"),
      autotask: { users: [API_USER] },
    });
    stack.slack.setUser(OTHER_ADMIN, { isAdmin: true, name: "olu" });
    await stack.submitCheck({ ...credentialsOf(API_USER), secret: "a-wrong-secret" });
    const thread = await stack.waitForResult(API_USER.username);
    expect(metadataOf(thread).event_payload.code).toBe("invalid_credentials");
    parentTs = thread.ts;
    const button = (thread.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[])
      .flatMap((block) => (block.type === "actions" ? (block.elements ?? []) : []))
      .find((element) => element.action_id === RETRY_ACTION_ID);
    retryValue = button?.value ?? "";
    expect(retryValue).not.toBe("");
  });
  afterAll(async () => stack?.close());

  const press = (userId: string) =>
    stack.clickButton({
      userId,
      channelId: DEMO_CHANNEL,
      messageTs: parentTs,
      actionId: RETRY_ACTION_ID,
      value: retryValue,
    });

  it("opens the form for another admin with portal URL and username, without the tracking identifier", async () => {
    const opensBefore = stack.slack.callsOf("views.open").length;
    expect((await press(OTHER_ADMIN)).status).toBe(200);
    const opened = await stack.slack.waitFor(() => stack.slack.callsOf("views.open")[opensBefore]);
    expect(opened.response).toMatchObject({ ok: true });
    expect(initialValues(opened.args.view)).toEqual({
      [BLOCK_IDS.portalUrl]: "https://ww15.autotask.net",
      [BLOCK_IDS.username]: API_USER.username,
      [BLOCK_IDS.secret]: undefined,
      [BLOCK_IDS.trackingId]: undefined,
    });
  });

  it("has sent the full tracking identifier in no Slack call, message, button value or metadata so far", () => {
    // The check's own messages show its last 4 characters only.
    expect(everythingSlackSaw(stack)).toContain(API_USER.trackingId.slice(-4));
    expect(everythingSlackSaw(stack)).not.toContain(API_USER.trackingId);
  });

  it("still pre-fills the tracking identifier for the person who ran the check", async () => {
    const opensBefore = stack.slack.callsOf("views.open").length;
    expect((await press(DEMO_ADMIN)).status).toBe(200);
    const opened = await stack.slack.waitFor(() => stack.slack.callsOf("views.open")[opensBefore]);
    expect(initialValues(opened.args.view)).toMatchObject({
      [BLOCK_IDS.username]: API_USER.username,
      [BLOCK_IDS.trackingId]: API_USER.trackingId,
    });
    expect(everythingSlackSaw(stack)).not.toContain("a-wrong-secret");
  });
});
