/**
 * Redis goes away: restarted (AOF on) between enqueue and processing, and down when a modal is
 * submitted to a bot process. Nothing queued is lost, the process stays up and recovers by itself.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "undici";
import { afterEach, expect, it } from "vitest";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { credentialsOf, openCheckQueue, until } from "../support/e2e-helpers.js";
import { uniquePrefix } from "../support/redis.js";
import { type PrivateRedis, startPrivateRedis } from "../support/redis-server.js";
import { expectEachReportedOnce, outcomeOf, waitForAll } from "./support/outcome.js";
import { CHANNEL, type Fleet, startFleet } from "./support/processes.js";

const user = (name: string): EmulatedApiUser => ({
  username: `${name}@redis.example`,
  secret: `${name}-R3dis-Secret!`,
  trackingId: `TRACK${name.toUpperCase()}7`,
  zone: "15",
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

it("completes checks queued before a Redis restart (AOF on), on a worker started after it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "atc-aof-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  let redis: PrivateRedis = await startPrivateRedis({ appendOnly: true, dir });
  cleanups.push(() => redis.stop());
  const users = [user("queued1"), user("queued2")];
  const after = user("after");
  const prefix = uniquePrefix("aof");
  const key = randomBytes(32).toString("base64");
  const web: Stack = await startStack({
    redisUrl: redis.url,
    prefix,
    role: "web",
    env: { CREDENTIALS_KEY: key },
    autotask: { users: [...users, after] },
  });
  cleanups.push(() => web.close());
  for (const u of users) {
    expect((await web.submitCheck(credentialsOf(u))).answer.json).toMatchObject({
      response_action: "update",
    });
  }

  await redis.stop();
  redis = await startPrivateRedis({ appendOnly: true, dir, port: redis.port });
  const queue = openCheckQueue(redis.url, prefix);
  cleanups.push(() => queue.close());
  expect((await queue.jobs()).map((job) => job.data.username).sort()).toEqual(users.map((u) => u.username));

  const worker = await startStack({
    redisUrl: redis.url,
    prefix,
    role: "worker",
    env: { CREDENTIALS_KEY: key },
    shared: web.shared,
  });
  cleanups.push(() => worker.close());
  // The web process reconnected by itself: a check submitted after the restart goes through too.
  await until("the web process can enqueue again", async () => {
    const { answer } = await web.submitCheck(credentialsOf(after));
    return (answer.json as { response_action?: string }).response_action === "update";
  });
  const all = [...users, after].map((u) => u.username);
  const outcomes = await waitForAll(web.slack, DEMO_CHANNEL, all);
  expect(outcomes.map((outcome) => outcome.code)).toEqual(["ok", "ok", "ok"]);
  expectEachReportedOnce("Redis restart between enqueue and processing", 1, outcomes);
}, 30_000);

it("shows an error on the modal within 2 s while Redis is down, stays up, and works again once it is back", async () => {
  let redis: PrivateRedis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  const users = [user("down1"), user("down2"), user("down3")];
  const fleet: Fleet = await startFleet({ redisUrl: redis.url, users });
  cleanups.push(() => fleet.close());
  const bot = await fleet.start("bot", "all");

  await redis.stop();
  const views: string[] = [];
  for (const u of users) {
    const { viewId, answer } = await fleet.submit(bot, u);
    views.push(viewId);
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(2_000);
    const json = answer.json as { response_action: string; errors: Record<string, string> };
    expect(json.response_action).toBe("errors");
    expect(Object.values(json.errors).join(" ")).toContain("Nothing you typed is lost");
  }
  const health = await request(`http://127.0.0.1:${bot.port}/healthz`);
  await health.body.dump();
  expect(health.statusCode).toBe(200);
  expect(bot.child.exitCode).toBeNull();
  expect(fleet.slack.callsOf("chat.postMessage")).toHaveLength(0);

  redis = await startPrivateRedis({ port: redis.port });
  await until("the same process is ready again", async () => {
    const ready = await request(`http://127.0.0.1:${bot.port}/readyz`);
    await ready.body.dump();
    return ready.statusCode === 200;
  });
  for (const [index, u] of users.entries()) {
    const again = await fleet.submitAgain(bot, views[index] as string, u);
    expect(again.json).toMatchObject({ response_action: "update" });
  }
  const outcomes = await waitForAll(
    fleet.slack,
    CHANNEL,
    users.map((u) => u.username),
  );
  expect(outcomes.map((outcome) => outcome.code)).toEqual(["ok", "ok", "ok"]);
  expect(bot.child.exitCode).toBeNull();
  expectEachReportedOnce("Redis down at submission", 1, outcomes);
}, 40_000);

it("posts one parent and one final when the Redis connection drops right after the parent is posted", async () => {
  const dir = mkdtempSync(join(tmpdir(), "atc-blip-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  let redis: PrivateRedis = await startPrivateRedis({ appendOnly: true, dir });
  cleanups.push(() => redis.stop());
  const blip = user("blip");
  const stack = await startStack({
    redisUrl: redis.url,
    prefix: uniquePrefix("blip"),
    // Slack holds its answer to the parent post for 400 ms after taking it; each Autotask call
    // takes 300 ms, so the check is still running when Redis comes back.
    slackEmulator: { latencyMs: 400 },
    autotask: { users: [blip], latencyMs: 300 },
    env: { AUTOTASK_REQUIRED_ENTITIES: "Companies" },
  });
  cleanups.push(() => stack.close());
  await stack.submitCheck(credentialsOf(blip));

  // Redis goes away between Slack taking the parent and the bot recording where it is.
  await stack.slack.waitFor(
    () =>
      stack.slack
        .callsOf("chat.postMessage")
        .some((call) => !call.args.thread_ts && String(call.args.text).includes(blip.username)),
    10_000,
  );
  await redis.stop();
  // Down until Slack has answered the parent post, and a second more: the bot's record of where the
  // parent is, made right after that answer, meets no Redis at first. The check's own Redis steps
  // (the login budget) ride out the same outage.
  await until(
    "Slack answered the parent post",
    async () =>
      stack.slack
        .callsOf("chat.postMessage")
        .some((call) => !call.args.thread_ts && call.answeredAt !== undefined),
    10_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  redis = await startPrivateRedis({ appendOnly: true, dir, port: redis.port });

  await stack.waitForResult(blip.username, { timeoutMs: 30_000 });
  const outcome = outcomeOf(stack.slack, DEMO_CHANNEL, blip.username);
  expect(outcome.code).toBe("ok");
  expectEachReportedOnce("Redis connection dropped after the parent post", 1, [outcome]);
}, 60_000);
