/**
 * Slack off the Autotask path (issue 12): the parent is posted while the check runs, no Autotask
 * call waits for a Slack answer, and the final update does not wait for the thread replies.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { credentialsOf, replyLines } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const FAST: EmulatedApiUser = {
  username: "fast@path.example",
  secret: "Fa5t-Path-Secret!",
  trackingId: "TRACKFAST77",
  zone: "15",
};

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix("critical"),
    autotask: { users: [FAST] },
    // Slack slow, Autotask quick: any Autotask call that waited for Slack would come after an answer.
    slackEmulator: { latencyMs: 500 },
    env: { AUTOTASK_REQUIRED_ENTITIES: "Companies,Tickets,Contacts,Resources" },
  });
});
afterAll(async () => stack?.close());

it("makes every Autotask call before Slack has answered the parent post, and writes the verdict before the last reply", async () => {
  await stack.submitCheck(credentialsOf(FAST));
  const thread = await stack.waitForResult(FAST.username, { timeoutMs: 20_000 });
  const parentPost = stack.slack
    .callsOf("chat.postMessage")
    .find((call) => !call.args.thread_ts && String(call.args.text).includes(FAST.username));
  const calls = stack.autotask.requests.filter(
    (request) => /zoneinformation/i.test(request.path) || request.headers.username === FAST.username,
  );
  expect(calls.length).toBe(6); // zone, credentials, four entities
  const lastAutotaskCall = Math.max(...calls.map((request) => request.at));
  expect(lastAutotaskCall).toBeLessThan(parentPost?.answeredAt as number);

  // The final update went out before the reply carrying the last steps and "Done".
  const update = stack.slack.callsOf("chat.update").find((call) => call.args.ts === thread.ts);
  const doneReply = stack.slack
    .callsOf("chat.postMessage")
    .find((call) => call.args.thread_ts === thread.ts && /(^|\n)Done: /.test(String(call.args.text)));
  expect(stack.slack.calls.indexOf(update as never)).toBeLessThan(
    stack.slack.calls.indexOf(doneReply as never),
  );
  expect(replyLines(thread)).toHaveLength(5);
  expect(stack.slack.thread(DEMO_CHANNEL).filter((t) => t.text.includes(FAST.username))).toHaveLength(1);
});
