/**
 * Slack rate-limits users.info (HTTP 429 with Retry-After) while an admin the bot has not looked
 * up yet runs the command. Nobody waits for that limit on the ack path: the new admin is told
 * when to try again, and an admin already known gets the form at once meanwhile.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN, type Stack, startStack } from "../../src/demo/stack.js";
import { viewsOpenWith } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const NEW_ADMIN = "U0NEWADMIN";
const RETRY_AFTER_SECONDS = 30;

describe("a 429 on users.info (AUTHORIZED_USERS=admins)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ redisUrl: testRedisUrl(), prefix: uniquePrefix("e2e-users-429") });
    stack.slack.setUser(NEW_ADMIN, { isAdmin: true, name: "nia" });
    // DEMO_ADMIN has used the bot: the web role knows their role.
    const first = await stack.slashCommand({ userId: DEMO_ADMIN });
    await stack.slack.waitFor(() => viewsOpenWith(stack, first.triggerId));
    stack.slack.injectFault("users.info", { status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS }, 5);
  });
  afterAll(async () => stack?.close());

  it("tells an admin not yet looked up to try again when Slack allows, in the command's answer", async () => {
    const command = await stack.slashCommand({ userId: NEW_ADMIN });
    expect(command.status).toBe(200);
    expect(command.json).toMatchObject({ response_type: "ephemeral" });
    const text = (command.json as { text: string }).text;
    expect(text).toMatch(/Slack is limiting how often I may look up roles/);
    expect(text).toMatch(/try again in (30|29) seconds/);
    expect(text).not.toContain("not allowed");
    expect(viewsOpenWith(stack, command.triggerId)).toBeUndefined();
  });

  it("opens the form for an admin already known meanwhile: their views.open is not held by the 429", async () => {
    const command = await stack.slashCommand({ userId: DEMO_ADMIN });
    const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, command.triggerId));
    expect(opened.response).toMatchObject({ ok: true });
  });

  it("answers a person whose views.open Slack rate-limits at once, and holds nobody else's form behind it", async () => {
    stack.slack.injectFault("views.open", { status: 429, retryAfterSeconds: RETRY_AFTER_SECONDS });
    const limited = await stack.slashCommand({ userId: DEMO_ADMIN });
    const told = await stack.slack.waitFor(() =>
      stack.slack.responsePosts.find(
        (post) => post.body && JSON.stringify(post.body).includes("open the form"),
      ),
    );
    expect(JSON.stringify(told.body)).toContain("run the command again");
    expect(viewsOpenWith(stack, limited.triggerId)?.response).toMatchObject({ status: 429 });
    const next = await stack.slashCommand({ userId: DEMO_ADMIN });
    const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, next.triggerId));
    expect(opened.response).toMatchObject({ ok: true });
  });

  it("does not ask Slack again during the Retry-After: the next try is answered at once", async () => {
    const asked = stack.slack.callsOf("users.info").length;
    const command = await stack.slashCommand({ userId: NEW_ADMIN });
    expect((command.json as { text: string }).text).toMatch(/Slack is limiting how often/);
    expect(stack.slack.callsOf("users.info")).toHaveLength(asked);
  });
});
