import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN, fieldValues, type Stack, startStack } from "../../src/demo/stack.js";
import { BLOCK_IDS } from "../../src/slack/modal.js";
import { viewsOpenWith } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const USER = {
  username: "api@limits.example",
  secret: "Limit-Secret-1",
  trackingId: "LIMITSTRACK0001",
  zone: "3",
};
const credentials = { portalUrl: "https://ww3.autotask.net", ...USER };

describe("abuse limits through the real flow (2 checks per user per hour, 3 per workspace)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix("limits"),
      env: { CHECKS_PER_USER_PER_HOUR: "2", CHECKS_PER_WORKSPACE_PER_HOUR: "3", AUTHORIZED_USERS: "*" },
      autotask: { users: [USER] },
    });
  });
  afterAll(async () => stack?.close());

  it("refuses a user's third check with an ephemeral message saying how long to wait, and opens no form", async () => {
    for (let i = 0; i < 2; i += 1) {
      const { answer } = await stack.submitCheck(credentials);
      expect(answer.json).toMatchObject({ response_action: "update" });
    }
    const command = await stack.slashCommand({ userId: DEMO_ADMIN });
    expect(command.json).toMatchObject({
      response_type: "ephemeral",
      text: expect.stringMatching(/^You have started 2 checks in the last hour.*Try again in 60 minutes\.$/),
    });
    expect(viewsOpenWith(stack, command.triggerId)).toBeUndefined();
  });

  it("refuses on the form itself when the limit is reached while it was open", async () => {
    const opened = await stack.slashCommand({ userId: "U0OTHER" });
    const view = await stack.slack.waitFor(() => viewsOpenWith(stack, opened.triggerId));
    const viewId = (view.response as { view: { id: string } }).view.id;
    // Another person uses up the workspace's last check meanwhile.
    expect((await stack.submitCheck(credentials, { userId: "U0THIRD" })).answer.json).toMatchObject({
      response_action: "update",
    });
    const answer = await stack.submitView(viewId, fieldValues(credentials), "U0OTHER");
    expect(answer.json).toMatchObject({
      response_action: "errors",
      errors: {
        [BLOCK_IDS.portalUrl]: expect.stringMatching(/^This workspace has run 3 checks in the last hour/),
      },
    });
  });
});
