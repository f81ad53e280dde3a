/**
 * Who may do what: AUTHORIZED_USERS for the command and the "Fix and retry" button, and the
 * request signature that proves a request came from Slack.
 */
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN, DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import {
  inputValues,
  postSigned,
  slashCommandBody,
  viewSubmissionBody,
} from "../../src/emulators/slack-requests.js";
import { checkJobId } from "../../src/queue/jobs.js";
import { RETRY_ACTION_ID } from "../../src/slack/messages.js";
import { BLOCK_IDS, CONNECT_CALLBACK_ID } from "../../src/slack/modal.js";
import { credentialsOf, metadataOf, openCheckQueue, viewsOpenWith } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const MEMBER = "U0MEMBER";
const API_USER: EmulatedApiUser = {
  username: "retry@acme.example",
  secret: "Retry-S3cret#1",
  trackingId: "TRACKRETRY4F7A",
  zone: "15",
};

type Input = { block_id: string; type: string; element: { initial_value?: string } };

describe("AUTHORIZED_USERS=admins", () => {
  const prefix = uniquePrefix("e2e-access");
  let stack: Stack;
  let queue: ReturnType<typeof openCheckQueue>;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: testRedisUrl(), prefix, autotask: { users: [API_USER] } });
    stack.slack.setUser(MEMBER, { isAdmin: false, name: "mel" });
    queue = openCheckQueue(testRedisUrl(), prefix);
  });
  afterAll(async () => {
    await queue?.close();
    await stack?.close();
  });

  it("refuses a member who is not an admin in the ack, ephemerally, and opens no modal", async () => {
    const command = await stack.slashCommand({ userId: MEMBER });
    expect(command.status).toBe(200);
    expect(command.json).toMatchObject({ response_type: "ephemeral" });
    const text = (command.json as { text: string }).text;
    expect(text).toContain("Only workspace admins and owners");
    // The person can pass their user ID on to whoever grants access.
    expect(text).toContain(MEMBER);
    expect(viewsOpenWith(stack, command.triggerId)).toBeUndefined();
  });

  describe("requests not signed by Slack", () => {
    const now = () => Math.floor(Date.now() / 1000);
    const cases = [
      { name: "a forged signature", options: { signature: `v0=${"0".repeat(64)}` } },
      { name: "a signature made with another signing secret", secret: "0123456789abcdef0123456789abcdef" },
      { name: "a timestamp older than 5 minutes", options: { timestampSeconds: now() - 6 * 60 } },
    ];

    it.each(cases)(
      "answers a slash command with $name with 401 and opens nothing",
      async ({ options, secret }) => {
        const triggerId = stack.slack.issueTriggerId();
        const body = slashCommandBody({
          userId: DEMO_ADMIN,
          channelId: DEMO_CHANNEL,
          teamId: stack.slack.teamId,
          triggerId,
          responseUrl: stack.slack.responseUrlFor(DEMO_CHANNEL),
        });
        const answer = await postSigned(stack.botUrl, secret ?? stack.signingSecret, body, options);
        expect(answer.status).toBe(401);
        expect(viewsOpenWith(stack, triggerId)).toBeUndefined();
      },
    );

    it("answers an unsigned slash command with 401", async () => {
      const triggerId = stack.slack.issueTriggerId();
      const body = slashCommandBody({
        userId: DEMO_ADMIN,
        channelId: DEMO_CHANNEL,
        teamId: stack.slack.teamId,
        triggerId,
        responseUrl: stack.slack.responseUrlFor(DEMO_CHANNEL),
      });
      const answer = await request(stack.botUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body,
      });
      await answer.body.dump();
      expect(answer.statusCode).toBe(401);
      expect(viewsOpenWith(stack, triggerId)).toBeUndefined();
    });

    it.each(cases)(
      "answers a view submission with $name with 401 and queues nothing",
      async ({ options, secret }) => {
        const viewId = `VFORGED${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
        const body = viewSubmissionBody(
          {
            id: viewId,
            callbackId: CONNECT_CALLBACK_ID,
            privateMetadata: JSON.stringify({ channelId: DEMO_CHANNEL }),
            values: inputValues({
              [BLOCK_IDS.portalUrl]: "https://ww15.autotask.net",
              [BLOCK_IDS.username]: API_USER.username,
              [BLOCK_IDS.secret]: API_USER.secret,
              [BLOCK_IDS.trackingId]: API_USER.trackingId,
            }),
          },
          { id: DEMO_ADMIN, teamId: stack.slack.teamId },
        );
        const answer = await postSigned(stack.botUrl, secret ?? stack.signingSecret, body, options);
        expect(answer.status).toBe(401);
        expect(await queue.queue.getJob(checkJobId(viewId))).toBeUndefined();
      },
    );
  });

  describe("the Fix and retry button", () => {
    let parentTs: string;
    let retryValue: string;
    beforeAll(async () => {
      await stack.submitCheck({ ...credentialsOf(API_USER), secret: "a-wrong-secret" });
      const thread = await stack.waitForResult(API_USER.username);
      expect(metadataOf(thread).event_payload.code).toBe("invalid_credentials");
      parentTs = thread.ts;
      const button = (
        thread.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[]
      )
        .flatMap((block) => (block.type === "actions" ? (block.elements ?? []) : []))
        .find((element) => element.action_id === RETRY_ACTION_ID);
      retryValue = button?.value ?? "";
      expect(retryValue).not.toBe("");
    });

    it("carries an opaque id, not the username or tracking identifier", () => {
      expect(retryValue).not.toContain(API_USER.username);
      expect(retryValue).not.toContain("4F7A");
    });

    it("reopens the modal pre-filled with portal URL, username and tracking identifier, never the secret", async () => {
      const clicked = await stack.clickButton({
        channelId: DEMO_CHANNEL,
        messageTs: parentTs,
        actionId: RETRY_ACTION_ID,
        value: retryValue,
      });
      expect(clicked.status).toBe(200);
      const opened = await stack.slack.waitFor(() =>
        stack.slack
          .callsOf("views.open")
          .find((call) => JSON.stringify(call.args.view).includes(API_USER.username)),
      );
      expect(opened.response).toMatchObject({ ok: true });
      const inputs = (opened.args.view as { blocks: Input[] }).blocks.filter(
        (block) => block.type === "input",
      );
      const initial = Object.fromEntries(
        inputs.map((block) => [block.block_id, block.element.initial_value]),
      );
      expect(initial).toEqual({
        [BLOCK_IDS.portalUrl]: "https://ww15.autotask.net",
        [BLOCK_IDS.username]: API_USER.username,
        [BLOCK_IDS.secret]: undefined,
        [BLOCK_IDS.trackingId]: API_USER.trackingId,
      });
      expect(JSON.stringify(opened.args)).not.toContain("a-wrong-secret");
    });

    it("refuses a member who is not authorized, ephemerally, and opens no modal", async () => {
      const opensBefore = stack.slack.callsOf("views.open").length;
      const postsBefore = stack.slack.responsePosts.length;
      const clicked = await stack.clickButton({
        userId: MEMBER,
        channelId: DEMO_CHANNEL,
        messageTs: parentTs,
        actionId: RETRY_ACTION_ID,
        value: retryValue,
      });
      expect(clicked.status).toBe(200);
      const refusal = await stack.slack.waitFor(() => stack.slack.responsePosts.slice(postsBefore)[0]);
      expect(refusal.body).toMatchObject({ response_type: "ephemeral", replace_original: false });
      expect(JSON.stringify(refusal.body)).toContain("Only workspace admins and owners");
      expect(JSON.stringify(refusal.body)).toContain(MEMBER);
      expect(stack.slack.callsOf("views.open").length).toBe(opensBefore);
    });
  });
});

describe("AUTHORIZED_USERS as a list of user IDs", () => {
  const LISTED = "U0LISTED";
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix("e2e-listed"),
      env: { AUTHORIZED_USERS: `${LISTED},U0OTHER` },
    });
  });
  afterAll(async () => stack?.close());

  it("refuses anyone not listed, even a workspace admin, and says the list is AUTHORIZED_USERS", async () => {
    const command = await stack.slashCommand({ userId: DEMO_ADMIN });
    expect(command.json).toMatchObject({ response_type: "ephemeral" });
    expect((command.json as { text: string }).text).toContain("AUTHORIZED_USERS");
    expect((command.json as { text: string }).text).toContain(DEMO_ADMIN);
    expect(viewsOpenWith(stack, command.triggerId)).toBeUndefined();
  });

  it("opens the modal for a listed user without asking Slack who they are", async () => {
    const command = await stack.slashCommand({ userId: LISTED });
    const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, command.triggerId));
    expect(opened.response).toMatchObject({ ok: true });
    expect(stack.slack.callsOf("users.info")).toHaveLength(0);
  });
});
