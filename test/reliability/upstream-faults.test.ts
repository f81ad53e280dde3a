/**
 * Slack and Autotask misbehave: Slack answers 500, then 429 with Retry-After, or fails a call
 * outright; Autotask is slower than the deadline, resets connections, sends garbage or HTML error
 * pages. Every check still ends with one right result, in order, and no job hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser, Fault } from "../../src/emulators/autotask.js";
import { credentialsOf, openCheckQueue, replyLines, until } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import { expectEachReportedOnce, outcomeOf, waitForAll } from "./support/outcome.js";

const user = (name: string): EmulatedApiUser => ({
  username: `${name}@upstream.example`,
  secret: `${name}-Upstr3am-Secret!`,
  trackingId: `TRACK${name.toUpperCase()}5`,
  zone: "15",
});
const FAST_RETRY = { jobBackoffMs: 20, autotask: { attempts: 2, baseDelayMs: 1, maxDelayMs: 10 } };
const STEP_ORDER = ["*Domain*", "*Zone*", "*Credentials*", "*Permissions*", "Done: "];

describe("Slack failing for a while", () => {
  const storm = user("storm");
  const fatal = user("fatal");
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix("slack-faults"),
      autotask: { users: [storm, fatal] },
      retry: FAST_RETRY,
    });
  });
  afterAll(async () => stack?.close());

  it("posts every message once and in order through 500s and 429s with Retry-After", async () => {
    stack.slack.injectFault("chat.postMessage", { status: 500 }, 1);
    stack.slack.injectFault("chat.postMessage", { status: 429, retryAfterSeconds: 1 }, 1);
    stack.slack.injectFault("chat.update", { status: 500 }, 1);
    stack.slack.injectFault("chat.update", { status: 429, retryAfterSeconds: 1 }, 1);
    await stack.submitCheck(credentialsOf(storm));
    const [outcome] = await waitForAll(stack.slack, DEMO_CHANNEL, [storm.username]);
    const thread = stack.slack.thread(DEMO_CHANNEL).find((t) => t.text.includes(storm.username));
    const replies = thread ? replyLines(thread) : [];
    expect(STEP_ORDER.map((mark) => replies.findIndex((text) => text.includes(mark)))).toEqual([
      0, 1, 2, 3, 4,
    ]);
    expect(outcome?.code).toBe("ok");
    // Every injected failure was met (and retried), none left unused.
    const failed = stack.slack.calls.filter((call) =>
      [500, 429].includes((call.response as { status?: number }).status ?? 0),
    );
    expect(failed).toHaveLength(4);
    expectEachReportedOnce("Slack 500 then 429", 4, outcome ? [outcome] : []);
  }, 30_000);

  it("re-runs the job when the final update fails outright, continuing the same thread", async () => {
    stack.slack.injectFault("chat.update", { error: "fatal_error" }, 1);
    await stack.submitCheck(credentialsOf(fatal));
    const outcomes = await waitForAll(stack.slack, DEMO_CHANNEL, [fatal.username]);
    expect(outcomes[0]?.code).toBe("ok");
    const failedUpdates = stack.slack
      .callsOf("chat.update")
      .filter((call) => (call.response as { error?: string }).error === "fatal_error");
    expect(failedUpdates).toHaveLength(1);
    expectEachReportedOnce("Slack chat.update fails, job retried", 1, outcomes);
  }, 30_000);
});

describe("Autotask failing", () => {
  const toThreshold = /thresholdinformation/i;
  const cases: { name: string; path: RegExp; fault: Fault; times?: number; portal?: string; code: string }[] =
    [
      { name: "slow", path: toThreshold, fault: { kind: "delay", ms: 3_000 }, code: "autotask_unavailable" },
      { name: "reset", path: toThreshold, fault: { kind: "reset" }, code: "autotask_unavailable" },
      { name: "garbage", path: toThreshold, fault: { kind: "garbage" }, code: "autotask_unavailable" },
      { name: "html", path: toThreshold, fault: { kind: "html", status: 503 }, code: "autotask_unavailable" },
      {
        name: "htmlzone",
        path: /zoneinformation/i,
        fault: { kind: "html", status: 200 },
        portal: "",
        code: "autotask_unavailable",
      },
      { name: "busy", path: toThreshold, fault: { kind: "threadThreshold" }, code: "rate_limited" },
      // A reset fails the first job attempt (a login whose outcome is unknown is not sent again
      // inside the check); the job's retry, on a budget unit of its own, then passes.
      { name: "flaky", path: toThreshold, fault: { kind: "reset" }, times: 1, code: "ok" },
    ];
  const users = cases.map((c) => user(c.name));
  const prefix = uniquePrefix("autotask-faults");
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix,
      env: { AUTOTASK_TIMEOUT_MS: "300", CHECKS_PER_USER_PER_HOUR: "1000" },
      autotask: { users },
      retry: FAST_RETRY,
    });
    for (const [index, c] of cases.entries()) {
      stack.autotask.injectFault({ username: users[index]?.username, path: c.path }, c.fault, c.times);
    }
  });
  afterAll(async () => stack?.close());

  it("ends each check with the right code, reported once, and leaves no job hanging", async () => {
    const started = Date.now();
    for (const [index, c] of cases.entries()) {
      const u = users[index] as EmulatedApiUser;
      await stack.submitCheck(
        c.portal === undefined ? credentialsOf(u) : { ...credentialsOf(u), portalUrl: c.portal },
      );
    }
    const outcomes = await waitForAll(
      stack.slack,
      DEMO_CHANNEL,
      users.map((u) => u.username),
      20_000,
    );
    expect(Object.fromEntries(outcomes.map((o, i) => [cases[i]?.name, o.code]))).toEqual(
      Object.fromEntries(cases.map((c) => [c.name, c.code])),
    );
    const queue = openCheckQueue(testRedisUrl(), prefix);
    try {
      const jobs = await until("every job has finished", async () => {
        const all = await queue.jobs();
        return all.length === cases.length && all.every((job) => job.finishedOn) ? all : undefined;
      });
      expect(Date.now() - started).toBeLessThan(20_000);
      for (const job of jobs)
        expect(job.returnvalue, job.data.username).toMatchObject({ requestId: job.data.requestId });
    } finally {
      await queue.close();
    }
    // A transient failure said it would try again, once per retry, in the same thread.
    const flaky = stack.slack.thread(DEMO_CHANNEL).find((t) => t.text.includes("flaky@"));
    expect(flaky?.replies.filter((r) => r.text.includes("trying again"))).toHaveLength(1);
    expect(outcomeOf(stack.slack, DEMO_CHANNEL, users[0]?.username ?? "").code).toBe("autotask_unavailable");
    // Requests that met their fault (the flaky user's last one passed).
    const faults = cases.reduce((sum, c, index) => {
      const met = stack.autotask.requests.filter(
        (r) => c.path.test(r.path) && [r.headers.username, r.query.user].includes(users[index]?.username),
      ).length;
      return sum + Math.min(met, c.times ?? met);
    }, 0);
    expectEachReportedOnce("Autotask slow/reset/garbage/HTML/threshold", faults, outcomes);
  }, 30_000);
});
