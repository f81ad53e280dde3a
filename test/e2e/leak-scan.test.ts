/**
 * The secret leaves memory only towards Autotask. A full flow (success, a failed login, a
 * transient failure that is retried, "Fix and retry" and its resubmission) runs at LOG_LEVEL=debug;
 * then every log line, every Slack call and answer, and every Redis key and value of the run's
 * prefix (BullMQ's job hashes and events stream included) is searched for every secret typed, in
 * every spelling.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import type { SignedResponse } from "../../src/emulators/slack-requests.js";
import { RETRY_ACTION_ID } from "../../src/slack/messages.js";
import { BLOCK_IDS } from "../../src/slack/modal.js";
import { captureLines, credentialsOf, metadataOf, until } from "../support/e2e-helpers.js";
import { redisHaystack, scanTexts, spellingsOf } from "../support/leak-audit.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

// Characters that URL-encoding, form-encoding and JSON escaping each change.
const GOOD: EmulatedApiUser = {
  username: "leak-good@acme.example",
  secret: 'Gx7!q/Z+w=9 "k&é',
  trackingId: "TRACKLEAKGOOD1",
  zone: "15",
};
const FIXED: EmulatedApiUser = {
  username: "leak-fixed@acme.example",
  secret: "Fx2#right+Secret/=",
  trackingId: "TRACKLEAKFIX22",
  zone: "5",
};
const FLAKY: EmulatedApiUser = {
  username: "leak-flaky@acme.example",
  secret: "Fl4ky%Secret?&x",
  trackingId: "TRACKLEAKFLK3",
  zone: "15",
};
const WRONG_SECRET = "Wr0ng:Secret<typed>";
const SECRETS = [GOOD.secret, FIXED.secret, FLAKY.secret, WRONG_SECRET];

/** The BullMQ job hashes among the dumped keys. */
function jobHashes(keys: [string, string][]): [string, string][] {
  return keys.filter(([where]) => where.startsWith("Redis hash ") && /:checks:view-[^:]*$/.test(where));
}

describe("the secret never leaks", () => {
  const prefix = uniquePrefix("e2e-leak");
  const logs = captureLines();
  const answers: SignedResponse[] = [];
  let stack: Stack;
  /** [where, text] per Redis key: "Redis <type> <key>", the key and every part of its value. */
  let redisKeys: [string, string][];

  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix,
      autotask: { users: [GOOD, FIXED, FLAKY] },
      logLevel: "debug",
      logDestination: logs.destination,
      retry: { jobBackoffMs: 20, autotask: { baseDelayMs: 1, maxDelayMs: 10 } },
    });
    stack.autotask.injectFault(
      { username: FLAKY.username, path: /thresholdinformation/i },
      { kind: "status", status: 503, body: "" },
      3,
    );

    // A success, and a transient failure that a job retry gets through.
    answers.push((await stack.submitCheck(credentialsOf(GOOD))).answer);
    answers.push((await stack.submitCheck(credentialsOf(FLAKY))).answer);
    // A failed login, then "Fix and retry" with the right secret.
    answers.push((await stack.submitCheck({ ...credentialsOf(FIXED), secret: WRONG_SECRET })).answer);
    const failed = await stack.waitForResult(FIXED.username);
    expect(metadataOf(failed).event_payload.code).toBe("invalid_credentials");
    const retryValue = JSON.stringify(failed.blocks).match(/"value":"([A-Za-z0-9_-]+)"/)?.[1] ?? "";
    answers.push(
      await stack.clickButton({
        channelId: DEMO_CHANNEL,
        messageTs: failed.ts,
        actionId: RETRY_ACTION_ID,
        value: retryValue,
      }),
    );
    const reopened = await stack.slack.waitFor(() =>
      stack.slack
        .callsOf("views.open")
        .find(
          (call) =>
            JSON.stringify(call.args.view).includes(FIXED.username) && (call.response as { ok: boolean }).ok,
        ),
    );
    const viewId = (reopened.response as { view: { id: string } }).view.id;
    answers.push(
      await stack.submitView(viewId, {
        [BLOCK_IDS.portalUrl]: "https://ww5.autotask.net",
        [BLOCK_IDS.username]: FIXED.username,
        [BLOCK_IDS.secret]: FIXED.secret,
        [BLOCK_IDS.trackingId]: FIXED.trackingId,
      }),
    );
    await stack.waitForResult(GOOD.username);
    await stack.waitForResult(FLAKY.username);
    await stack.slack.waitFor(() =>
      stack.slack
        .thread(DEMO_CHANNEL)
        .find(
          (thread) =>
            metadataOf(thread)?.event_payload?.username === FIXED.username &&
            metadataOf(thread).event_payload.code === "ok",
        ),
    );
    // Every job finished (its last Redis writes done) before Redis is read.
    await until("every job finished", async () => {
      const jobs = jobHashes(await redisHaystack(testRedisUrl(), prefix));
      return jobs.length === 4 && jobs.every(([, text]) => text.split("\n").includes("finishedOn"))
        ? true
        : undefined;
    });
    redisKeys = await redisHaystack(testRedisUrl(), prefix);
  });
  afterAll(async () => stack?.close());

  it("was given to Autotask, so the scan below is meaningful", () => {
    const matched = stack.autotask.requests.filter((request) => request.headers.secret === "[matched]");
    const usernames = new Set(matched.map((request) => request.headers.username));
    expect(usernames).toEqual(new Set([GOOD.username, FLAKY.username, FIXED.username]));
    expect(stack.autotask.requests.some((request) => request.headers.secret === "[not matched]")).toBe(true);
    // The scanner itself finds each spelling it claims to.
    for (const spelling of spellingsOf(GOOD.secret)) {
      expect(scanTexts([GOOD.secret], [["self-test", `a ${spelling} b`]])).not.toEqual([]);
    }
    expect(spellingsOf(GOOD.secret).length).toBeGreaterThanOrEqual(5);
    expect(logs.lines.some((line) => line.includes(GOOD.username))).toBe(true);
  });

  it("is in no log line at debug level", () => {
    expect(logs.lines.length).toBeGreaterThan(100);
    expect(logs.lines.some((line) => line.includes('"level":20'))).toBe(true);
    expect(
      scanTexts(
        SECRETS,
        logs.lines.map((line, index) => [`log line ${index}`, line]),
      ),
    ).toEqual([]);
  });

  it("is in no Slack call, answer, ephemeral, response_url post or view", () => {
    const viewIds = stack.slack
      .callsOf("views.open")
      .map((call) => (call.response as { view?: { id: string } }).view?.id)
      .filter((id): id is string => id !== undefined);
    const haystack: [string, string][] = [
      ...stack.slack.calls.map((call, index): [string, string] => [
        `Slack call ${index} (${call.method})`,
        JSON.stringify(call),
      ]),
      ["ephemerals", JSON.stringify(stack.slack.ephemerals)],
      ["response_url posts", JSON.stringify(stack.slack.responsePosts)],
      ...viewIds.map((id): [string, string] => [`view ${id}`, JSON.stringify(stack.slack.view(id))]),
      ["messages", JSON.stringify(stack.slack.thread(DEMO_CHANNEL))],
      ...answers.map((answer, index): [string, string] => [`bot answer ${index}`, answer.text]),
    ];
    // The scan covered the whole flow of every check (replies of the same moment share a post).
    expect(stack.slack.calls.length).toBeGreaterThan(15);
    expect(scanTexts(SECRETS, haystack)).toEqual([]);
  });

  it("is in no Redis key or value: job data, return values, failed reasons, events stream", () => {
    const types = new Set(redisKeys.map(([where]) => where.split(" ")[1]));
    expect(types).toContain("stream");
    expect(types).toContain("hash");
    // The transient failure left a failed attempt's reason in the job and the events stream.
    expect(redisKeys.some(([, text]) => text.includes("autotask_unavailable: retrying"))).toBe(true);
    expect(scanTexts(SECRETS, redisKeys)).toEqual([]);
  });

  it("leaves no ciphertext behind once the jobs are finished", () => {
    const jobs = jobHashes(redisKeys);
    expect(jobs).toHaveLength(4);
    for (const [, text] of jobs) {
      const parts = text.split("\n");
      const data = JSON.parse(parts[parts.indexOf("data") + 1] as string) as { sealedSecret: string };
      expect(data.sealedSecret).toBe("");
    }
  });
});
