/**
 * Slack's posting limit through the real flow: the Slack emulator allows one chat.postMessage per
 * second per channel with a burst of 5, and answers 429 with Retry-After past it, as Slack does.
 * Six checks started together in one channel all finish, one parent each, every step in order,
 * while a check in another channel is not held up by them.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import type { RecordedCall } from "../../src/emulators/slack.js";
import { expectEachReportedOnce, outcomeOf, waitForAll } from "../reliability/support/outcome.js";
import { credentialsOf, hasDoneLine, replyLines } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const BUSY = "C0BUSY";
const QUIET = "C0QUIET";
const STEPS = ["*Domain*", "*Zone*", "*Credentials*", "*Permissions*", "Done: "];

const user = (name: string): EmulatedApiUser => ({
  username: `${name}@busy.example`,
  secret: `${name}-Bu5y-Secret!`,
  trackingId: `TRACK${name.toUpperCase()}3`,
  zone: "15",
});
const busyUsers = ["one", "two", "three", "four", "five", "six"].map(user);
const quietUser = user("quiet");

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix("busy"),
    autotask: { users: [...busyUsers, quietUser] },
    slackEmulator: { postRateLimit: { perSecond: 1, burst: 5 } },
  });
  stack.slack.setChannel(BUSY, { kind: "public", botIsMember: true, name: "busy" });
  stack.slack.setChannel(QUIET, { kind: "public", botIsMember: true, name: "quiet" });
});
afterAll(async () => stack?.close());

const status = (call: RecordedCall) => (call.response as { status?: number }).status;
const postsIn = (channel: string) =>
  stack.slack.callsOf("chat.postMessage").filter((call) => call.args.channel === channel);

it("finishes six checks in a rate-limited channel, one parent each and every step in order, without holding up another channel", async () => {
  // One of the busy channel's replies is also told to wait 5 s, so "not held up" is plain to see.
  stack.slack.injectFault(
    "chat.postMessage",
    { status: 429, retryAfterSeconds: 5 },
    1,
    (args) => args.channel === BUSY && args.thread_ts !== undefined,
  );
  await Promise.all(busyUsers.map((u) => stack.submitCheck(credentialsOf(u), { channelId: BUSY })));
  const isLongWait = (call: RecordedCall) => (call.response as { retryAfter?: number }).retryAfter === 5;
  await stack.slack.waitFor(() => stack.slack.calls.some(isLongWait), 30_000);
  await stack.submitCheck(credentialsOf(quietUser), { channelId: QUIET });

  const quiet = await stack.waitForResult(quietUser.username, { channelId: QUIET, timeoutMs: 30_000 });
  // The other channel's check is done while the busy channel is still working through its posts,
  // before the busy channel's long Retry-After is over.
  const busyDone = busyUsers.filter((u) => outcomeOf(stack.slack, BUSY, u.username).done > 0);
  expect(busyDone.length).toBeLessThan(busyUsers.length);
  expect(postsIn(QUIET).filter((call) => status(call) === 429)).toEqual([]);

  const outcomes = await waitForAll(
    stack.slack,
    BUSY,
    busyUsers.map((u) => u.username),
    60_000,
  );
  const calls = stack.slack.calls;
  const longWait = calls.findIndex(isLongWait);
  const quietDone = calls.findIndex(
    (call) => call.args.channel === QUIET && /(^|\n)Done: /.test(String(call.args.text)),
  );
  const busyAfterWait = calls.findIndex(
    (call, index) =>
      index > longWait &&
      call.method === "chat.postMessage" &&
      call.args.channel === BUSY &&
      status(call) !== 429,
  );
  expect(busyAfterWait).toBeGreaterThan(longWait);
  expect(quietDone).toBeLessThan(busyAfterWait);
  // Not held up: the other channel's check was reported while the busy channel was still waiting
  // out the Retry-After Slack gave it (the bound is Slack's own answer, not a performance target).
  expect((calls[quietDone] as RecordedCall).at).toBeLessThan((calls[longWait] as RecordedCall).at + 5_000);
  // Slack's limit was really met: some posts were refused with 429 and sent again after Retry-After.
  expect(postsIn(BUSY).filter((call) => status(call) === 429).length).toBeGreaterThan(0);
  expect(outcomes.map((outcome) => outcome.code)).toEqual(busyUsers.map(() => "ok"));
  expectEachReportedOnce("six checks in one rate-limited channel", 0, outcomes);
  for (const thread of [...stack.slack.thread(BUSY), quiet]) {
    const lines = replyLines(thread);
    expect(STEPS.map((step) => lines.findIndex((line) => line.includes(step)))).toEqual([0, 1, 2, 3, 4]);
    expect(lines).toHaveLength(STEPS.length);
    expect(thread.replies.filter(hasDoneLine)).toHaveLength(1);
  }
  expect(stack.slack.thread(BUSY)).toHaveLength(busyUsers.length);
}, 90_000);
