/**
 * Hostile input through the whole bot (signed requests, real receiver, queue and worker): every
 * request gets a 200 with a valid answer, no Slack call shows user text as markup, no request
 * leaves for a host outside the allow-list, and no secret appears in Slack or the logs.
 */
import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isAllowedApiHost } from "../../src/autotask/domain.js";
import { DEMO_ADMIN, DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import { BLOCK_IDS } from "../../src/slack/modal.js";
import { captureLines, hasDoneLine } from "../support/e2e-helpers.js";
import { scanTexts } from "../support/leak-audit.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import { foreignMarkup, hostile, hostileSecret, hostileUsername, mrkdwnTexts } from "./hostile.js";

const logs = captureLines();
const secrets: string[] = [];
let stack: Stack;
let enqueued = 0;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix("hostile"),
    env: { AUTHORIZED_USERS: "*", CHECKS_PER_USER_PER_HOUR: "10000", AUTOTASK_TIMEOUT_MS: "1000" },
    logLevel: "debug",
    logDestination: logs.destination,
    retry: { jobBackoffMs: 10, autotask: { attempts: 1 } },
  });
});
afterAll(async () => stack?.close());

const portal = fc.oneof(
  hostile,
  hostile.map((path) => `https://ww15.autotask.net/${path}`),
  fc.constantFrom("", "ww5.autotask.net", "https://ww5.autotask.net.evil.com", "evil.com/ww5.autotask.net"),
);

it("answers every hostile command and submission with a valid 200, whatever was typed", async () => {
  await fc.assert(
    fc.asyncProperty(
      hostile,
      portal,
      hostileUsername,
      hostileSecret,
      fc.oneof(hostile, fc.stringMatching(/^[A-Z0-9]{8,20}$/)),
      fc.boolean(),
      async (commandText, portalUrl, username, secret, trackingId, known) => {
        secrets.push(secret);
        if (known) stack.autotask.addUser({ username, secret, trackingId, zone: "15" });
        const command = await stack.slashCommand({ text: commandText });
        expect(command.status).toBe(200);
        if (command.json !== undefined) expect(command.json).toMatchObject({ response_type: "ephemeral" });

        const { answer } = await stack.submitCheck({ portalUrl, username, secret, trackingId });
        expect(answer.status).toBe(200);
        const json = answer.json as { response_action: string; errors?: Record<string, string> };
        expect(["errors", "update"]).toContain(json.response_action);
        if (json.response_action === "update") enqueued += 1;
        else
          expect(
            Object.keys(json.errors ?? {}).every((id) => Object.values(BLOCK_IDS).includes(id as never)),
          ).toBe(true);
      },
    ),
    { numRuns: 25 },
  );
  expect(enqueued).toBeGreaterThan(0);
  // Every queued check reaches its final state.
  await stack.slack.waitFor(
    () =>
      stack.slack.thread(DEMO_CHANNEL).filter((thread) => thread.metadata && thread.replies.some(hasDoneLine))
        .length === enqueued,
    20_000,
  );

  const calls = stack.slack.calls.filter((call) => call.method !== "response_url");
  const shown = [
    ...calls.flatMap((call) => mrkdwnTexts(call.args)),
    ...stack.slack.responsePosts.flatMap((post) => mrkdwnTexts(post.body)),
    ...stack.slack.ephemerals.flatMap((message) => mrkdwnTexts(message)),
  ];
  expect(shown.length).toBeGreaterThan(50);
  expect(foreignMarkup(shown, { userIds: [DEMO_ADMIN], channelIds: [DEMO_CHANNEL] })).toEqual([]);

  const hosts = new Set(stack.autotask.requests.map((request) => request.host));
  expect([...hosts].filter((host) => !isAllowedApiHost(host))).toEqual([]);

  const haystack: [string, string][] = [
    ...stack.slack.calls.map((call, index): [string, string] => [
      `Slack call ${index}`,
      JSON.stringify(call),
    ]),
    ["response_url posts", JSON.stringify(stack.slack.responsePosts)],
    ...logs.lines.map((line, index): [string, string] => [`log line ${index}`, line]),
  ];
  expect(scanTexts(secrets, haystack).map((hit) => hit.where)).toEqual([]);
  process.stdout.write(
    `hostile input: ${secrets.length} submissions, ${enqueued} checks run, ${hosts.size} Autotask hosts\n`,
  );
}, 60_000);
