/**
 * The modal's answer matches what happened to the check: a form submitted twice is one check
 * (one job, one abuse-limit slot) and says so; an add that Redis answers only after the modal's
 * deadline is not reported as "could not queue" while the check runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN, DEMO_CHANNEL, fieldValues, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { checkJobId } from "../../src/queue/jobs.js";
import { BLOCK_IDS } from "../../src/slack/modal.js";
import { credentialsOf, openCheckQueue, parentsFor, viewsOpenWith } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import { type HoldProxy, startHoldProxy } from "../support/tcp-hold-proxy.js";

const API_USER: EmulatedApiUser = {
  username: "honest@acme.example",
  secret: "Honest-S3cret#1",
  trackingId: "TRACKHONEST7K1",
  zone: "5",
};

type Answer = { response_action?: string; errors?: Record<string, string>; view?: unknown };

/** Opens the modal through the command and returns its view id. */
async function openForm(stack: Stack, userId = DEMO_ADMIN): Promise<string> {
  const command = await stack.slashCommand({ userId });
  const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, command.triggerId));
  return (opened.response as { view: { id: string } }).view.id;
}

describe("a form submitted twice (CHECKS_PER_USER_PER_HOUR=2)", () => {
  const prefix = uniquePrefix("e2e-enqueue-dup");
  let stack: Stack;
  let queue: ReturnType<typeof openCheckQueue>;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix,
      env: { CHECKS_PER_USER_PER_HOUR: "2" },
      autotask: { users: [API_USER] },
    });
    queue = openCheckQueue(testRedisUrl(), prefix);
  });
  afterAll(async () => {
    await queue?.close();
    await stack?.close();
  });

  it("says the check is queued already, queues one job, posts one result and uses one slot", async () => {
    const values = fieldValues(credentialsOf(API_USER));
    const viewId = await openForm(stack);
    const first = (await stack.submitView(viewId, values, DEMO_ADMIN)).json as Answer;
    expect(first.response_action).toBe("update");
    expect(JSON.stringify(first.view)).toContain("Checking");
    const again = (await stack.submitView(viewId, values, DEMO_ADMIN)).json as Answer;
    expect(again.response_action).toBe("update");
    expect(JSON.stringify(again.view)).toContain("queued already");

    await stack.waitForResult(API_USER.username);
    expect((await queue.jobs()).filter((job) => job.id === checkJobId(viewId))).toHaveLength(1);
    expect(parentsFor(stack, DEMO_CHANNEL, API_USER.username)).toHaveLength(1);

    // The second of two checks an hour is still allowed: the repeated form counted once.
    const secondCommand = await stack.slashCommand({ userId: DEMO_ADMIN });
    expect((secondCommand.json as { text?: string } | null)?.text ?? "").not.toMatch(/You have started/);
    const secondView = await stack.slack.waitFor(() => viewsOpenWith(stack, secondCommand.triggerId));
    const secondViewId = (secondView.response as { view: { id: string } }).view.id;
    const second = (await stack.submitView(secondViewId, values, DEMO_ADMIN)).json as Answer;
    expect(second.response_action).toBe("update");
    const third = await stack.slashCommand({ userId: DEMO_ADMIN });
    expect((third.json as { text?: string }).text).toMatch(/^You have started 2 checks in the last hour/);
  });
});

describe("an add that Redis answers only after the modal's deadline", () => {
  const prefix = uniquePrefix("e2e-enqueue-late");
  let proxy: HoldProxy;
  let stack: Stack;
  let queue: ReturnType<typeof openCheckQueue>;
  beforeAll(async () => {
    proxy = await startHoldProxy(new URL(testRedisUrl()));
    stack = await startStack({ redisUrl: proxy.url, prefix, autotask: { users: [API_USER] } });
    queue = openCheckQueue(testRedisUrl(), prefix);
  });
  afterAll(async () => {
    proxy?.release();
    await queue?.close();
    await stack?.close();
    await proxy?.close();
  });

  it("does not say 'could not queue' while the check runs, and a second Check finds it queued", async () => {
    const values = fieldValues(credentialsOf(API_USER));
    const viewId = await openForm(stack);
    proxy.hold();
    const answer = (await stack.submitView(viewId, values, DEMO_ADMIN)).json as Answer;
    // Within the contract's 2 s, on the modal, with everything typed kept.
    expect(answer.response_action).toBe("errors");
    const message = answer.errors?.[BLOCK_IDS.portalUrl] ?? "";
    expect(message).not.toMatch(/could not queue/i);
    expect(message).toMatch(/can't tell yet whether your check was queued/);
    expect(message).toMatch(/never run twice/);

    proxy.release();
    const thread = await stack.waitForResult(API_USER.username);
    expect(thread.replies.length).toBeGreaterThan(0);

    const again = (await stack.submitView(viewId, values, DEMO_ADMIN)).json as Answer;
    expect(again.response_action).toBe("update");
    expect(JSON.stringify(again.view)).toContain("queued already");
    expect((await queue.jobs()).filter((job) => job.id === checkJobId(viewId))).toHaveLength(1);
    expect(parentsFor(stack, DEMO_CHANNEL, API_USER.username)).toHaveLength(1);
  });
});
