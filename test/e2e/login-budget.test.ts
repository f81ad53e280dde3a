/**
 * The login budget and honest diagnosis through the real bot (signed Slack requests, BullMQ on a
 * real Redis, the worker, the Autotask emulator on loopback): what reaches Autotask, and what a
 * person reads in the thread. Each test prints the authenticated requests the emulator saw.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUOTE_CHARS } from "../../src/autotask/diagnosis.js";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import { type EmulatedApiUser, OBJECT_REFERENCE_ERROR } from "../../src/emulators/autotask.js";
import type { EmulatedThread } from "../../src/emulators/slack.js";
import { credentialsOf, hasDoneLine, metadataOf, readable, threadText } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const user = (name: string): EmulatedApiUser => ({
  username: `${name}@budget.example`,
  secret: `${name}-Budg3t-Secret!`,
  trackingId: `TRACK${name.toUpperCase()}77`,
  zone: "15",
});

const CROWD = user("crowd");
const SLOW = user("slow");
const ODD = user("odd");
const ECHO = { ...user("echo"), secret: "Qx7Echo-Straddling-Secret-9931" };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix("e2e-budget"),
    env: { AUTOTASK_TIMEOUT_MS: "300", AUTHORIZED_USERS: "*" },
    autotask: { users: [CROWD, SLOW, ODD, ECHO] },
    retry: { jobBackoffMs: 20, autotask: { baseDelayMs: 1, maxDelayMs: 10 } },
  });
});
afterAll(async () => stack?.close());

/** Authenticated requests that reached the emulator for this API username. */
function loginsOf(username: string): number {
  return stack.autotask.requests.filter(
    (request) => request.authenticated && request.headers.username?.toLowerCase() === username,
  ).length;
}

/** Every thread about this username whose check is finished (final metadata and a "Done" reply). */
function finishedFor(username: string): EmulatedThread[] {
  return stack.slack
    .thread(DEMO_CHANNEL)
    .filter(
      (thread) =>
        metadataOf(thread)?.event_payload?.username === username && thread.replies.some(hasDoneLine),
    );
}

async function waitForFinished(username: string, count: number): Promise<EmulatedThread[]> {
  return stack.slack.waitFor(() => {
    const finished = finishedFor(username);
    return finished.length >= count ? finished : undefined;
  }, 30_000);
}

function figures(scenario: string, username: string): void {
  process.stdout.write(
    `budget figures: ${JSON.stringify({ scenario, authenticated: loginsOf(username) })}\n`,
  );
}

describe("the login budget through the bot", () => {
  it("lets at most 3 of six concurrent checks of one bad username log in, and reports each check once", async () => {
    const wrong = { ...credentialsOf(CROWD), secret: "wrong-secret-typed" };
    await Promise.all(Array.from({ length: 6 }, () => stack.submitCheck(wrong)));
    const threads = await waitForFinished(CROWD.username, 6);
    figures("six concurrent checks, bad secret", CROWD.username);

    expect(loginsOf(CROWD.username)).toBeLessThanOrEqual(3);
    const parents = stack.slack.thread(DEMO_CHANNEL).filter((thread) => thread.text.includes(CROWD.username));
    expect(parents).toHaveLength(6);
    for (const thread of threads) {
      expect(thread.replies.filter(hasDoneLine)).toHaveLength(1);
    }
    const codes = threads.map((thread) => metadataOf(thread).event_payload.code).sort();
    expect(codes.filter((code) => code === "invalid_credentials").length).toBe(loginsOf(CROWD.username));
    expect(codes.filter((code) => code === "too_many_failures").length).toBe(6 - loginsOf(CROWD.username));
  });

  it("sends at most 3 logins for three checks in a row of a login that times out, and says the budget went to timeouts", async () => {
    stack.autotask.injectFault({ username: SLOW.username, path: /thresholdinformation/i }, { kind: "hang" });
    const codes: string[] = [];
    for (let i = 1; i <= 3; i++) {
      await stack.submitCheck(credentialsOf(SLOW));
      const threads = await waitForFinished(SLOW.username, i);
      codes.push(metadataOf(threads[i - 1] as EmulatedThread).event_payload.code);
    }
    figures("login times out, three checks in a row", SLOW.username);

    expect(loginsOf(SLOW.username)).toBeLessThanOrEqual(3);
    // The first check's job ran three times, one login each; the next two sent nothing.
    expect(codes).toEqual(["autotask_unavailable", "too_many_failures", "too_many_failures"]);
    const refused = readable(finishedFor(SLOW.username)[2] as EmulatedThread);
    expect(refused).not.toMatch(/failed to log in 3 times/);
    expect(refused).toMatch(/3 timed out, were cut off or got an unexplained error/);
  });
});

describe("an answer the bot does not recognise", () => {
  it("sends a login answered 500 with an unknown error once, ends autotask_error and quotes Autotask", async () => {
    stack.autotask.injectFault({ username: ODD.username, path: /thresholdinformation/i }, { kind: "errors" });
    await stack.submitCheck(credentialsOf(ODD));
    const [thread] = await waitForFinished(ODD.username, 1);
    figures("unknown 500 on the login", ODD.username);

    expect(loginsOf(ODD.username)).toBe(1);
    expect(metadataOf(thread as EmulatedThread).event_payload).toMatchObject({
      outcome: "failed",
      code: "autotask_error",
    });
    const shown = threadText(thread as EmulatedThread);
    expect(shown).toContain("Autotask answered with an error it did not explain");
    expect(shown).toContain(`"${OBJECT_REFERENCE_ERROR}"`);
    expect(shown).toContain("Kaseya support");
    expect(shown).not.toContain("could not be reached");
    expect(shown).not.toContain("trying again");
    process.stdout.write(`autotask_error as read in Slack:\n${readable(thread as EmulatedThread)}\n`);
  });

  it("never shows a prefix of the secret when Autotask's 401 quotes it across the cut point", async () => {
    // The secret starts 12 characters before the quote is cut.
    const message = `${"Invalid credentials: ".padEnd(QUOTE_CHARS - 12, ".")}${ECHO.secret} was rejected`;
    stack.autotask.injectFault(
      { username: ECHO.username, path: /thresholdinformation/i },
      { kind: "status", status: 401, body: JSON.stringify({ errors: [message] }) },
    );
    await stack.submitCheck(credentialsOf(ECHO));
    const [thread] = await waitForFinished(ECHO.username, 1);
    figures("401 quoting the secret across the cut", ECHO.username);

    expect(metadataOf(thread as EmulatedThread).event_payload.code).toBe("invalid_credentials");
    const slackCalls = JSON.stringify(stack.slack.calls);
    const shown = threadText(thread as EmulatedThread);
    for (let length = 5; length <= ECHO.secret.length; length++) {
      const prefix = ECHO.secret.slice(0, length);
      expect(shown, prefix).not.toContain(prefix);
      expect(slackCalls, prefix).not.toContain(prefix);
    }
    expect(shown).toContain("[redacted]");
  });
});
