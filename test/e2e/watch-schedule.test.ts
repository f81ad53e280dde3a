/**
 * Watches on their schedule, through the real bot (HTTP receiver, BullMQ Job Schedulers, the test
 * Redis) with WATCH_INTERVAL_SECONDS=10. The tests wait for real runs, so they run concurrently,
 * each on its own API user, in one stack plus a second bot process of the same deployment.
 */

import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZONE_LOOKUP_HOST } from "../../src/autotask/domain.js";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import type { EmulatedMessage } from "../../src/emulators/slack.js";
import { blocksToText } from "../../src/slack/blocks-to-text.js";
import { WATCH_QUEUE } from "../../src/watch/scheduler.js";
import { createWatchStore } from "../../src/watch/store.js";
import { until } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import {
  alertsIn,
  checkOf,
  credentialLogins,
  payloadOf,
  pressWatchZone,
  startedReply,
  zoneLookups,
} from "../support/watch-helpers.js";

const INTERVAL_MS = 10_000;
/** Time for one run to finish and post after it is due (Autotask and Slack on loopback). */
const RUN_MARGIN_MS = 5_000;

const MOVED: EmulatedApiUser = {
  username: "moved@contoso.example",
  secret: "Mv5!zone-Secret",
  trackingId: "TRACKMOVED0015",
  zone: "5",
};
const QUIET: EmulatedApiUser = {
  username: "quiet@acme.example",
  secret: "Qu1et#Secret-9",
  trackingId: "TRACKQUIET0001",
  zone: "15",
};
const ROTATED: EmulatedApiUser = {
  username: "rotated@fabrikam.example",
  secret: "R0tate$Secret-Old",
  trackingId: "TRACKROTATE022",
  zone: "22",
};
const FLAKY: EmulatedApiUser = {
  username: "flaky-zone@acme.example",
  secret: "Fl4ky#Zone-Secret",
  trackingId: "TRACKFLAKYZONE",
  zone: "14",
};
const BUSY: EmulatedApiUser = {
  username: "busy@acme.example",
  secret: "Bu5y#Secret-80pc",
  trackingId: "TRACKBUSY00080",
  zone: "15",
};
const FLEET: EmulatedApiUser = {
  username: "fleet@acme.example",
  secret: "Fl33t#Secret-77",
  trackingId: "TRACKFLEET0077",
  zone: "15",
};

const prefix = uniquePrefix("e2e-watch-schedule");
const env = { WATCH_INTERVAL_SECONDS: "10", CREDENTIALS_KEY: randomBytes(32).toString("base64") };
let stack: Stack;
let second: Stack;
let redis: Redis;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix,
    env,
    autotask: { users: [MOVED, QUIET, ROTATED, FLAKY, BUSY, FLEET] },
  });
  // A second bot process (web and worker) of the same deployment: same Redis prefix, same Slack and Autotask.
  second = await startStack({
    redisUrl: testRedisUrl(),
    prefix,
    env,
    shared: stack.shared,
  });
  redis = new Redis(testRedisUrl());
});
afterAll(async () => {
  await redis?.quit();
  await second?.close();
  await stack?.close();
});

/** Resolves once `count` more zone lookups of `username` happened than `before` (each run makes one). */
function runsAfter(username: string, before: number, count: number, timeoutMs: number) {
  return until(
    `${count} more watch runs of ${username}`,
    async () => zoneLookups(stack, username).length >= before + count,
    timeoutMs,
  );
}

describe.concurrent("watches on their schedule (WATCH_INTERVAL_SECONDS=10)", { timeout: 90_000 }, () => {
  it("alerts once, within two intervals, when Autotask moves the tenant from ww5 to ww15, with the new Domain first", async () => {
    const thread = await checkOf(stack, MOVED, { watch: true, portalUrl: "https://ww5.autotask.net" });
    await startedReply(stack, thread.ts);

    const movedAt = Date.now();
    stack.autotask.addUser({ ...MOVED, zone: "15" });
    const alert = await stack.slack.waitFor(
      () => alertsIn(stack, thread.ts)[0],
      2 * INTERVAL_MS + RUN_MARGIN_MS,
    );
    expect(Date.now() - movedAt).toBeLessThan(2 * INTERVAL_MS + RUN_MARGIN_MS);
    const text = blocksToText(alert);
    expect(text.split("\n")[0]).toContain("paste `https://webservices15.autotask.net` as the Domain");
    expect(text).toContain("Before: `https://webservices5.autotask.net`");
    expect(alert.broadcast).toBe(true);
    expect(payloadOf(alert)).toEqual({
      watch_id: expect.any(String),
      username: MOVED.username,
      api_url: "https://webservices15.autotask.net",
      zone: "15",
      previous_api_url: "https://webservices5.autotask.net",
      previous_zone: "5",
      outcome: "warning",
      code: "zone_mismatch",
      previous_code: "ok",
    });

    // Two more runs see the same new zone: no second alert.
    await runsAfter(
      MOVED.username,
      zoneLookups(stack, MOVED.username).length,
      2,
      2 * INTERVAL_MS + RUN_MARGIN_MS,
    );
    expect(alertsIn(stack, thread.ts)).toHaveLength(1);
  });

  it("posts nothing over three runs when nothing changed, and a zone watch never sends credentials", async () => {
    const thread = await checkOf(stack, QUIET);
    const loginsBefore = credentialLogins(stack, QUIET.username).length;
    await pressWatchZone(stack, thread);
    await startedReply(stack, thread.ts);
    const repliesBefore = stack.slack.thread(DEMO_CHANNEL).find((m) => m.ts === thread.ts)?.replies.length;

    await runsAfter(
      QUIET.username,
      zoneLookups(stack, QUIET.username).length,
      3,
      3 * INTERVAL_MS + 2 * RUN_MARGIN_MS,
    );
    const replies = stack.slack.thread(DEMO_CHANNEL).find((m) => m.ts === thread.ts)?.replies ?? [];
    expect(replies).toHaveLength(repliesBefore ?? -1);
    expect(alertsIn(stack, thread.ts)).toEqual([]);
    expect(credentialLogins(stack, QUIET.username)).toHaveLength(loginsBefore);
  });

  it("alerts once when the secret is rotated in Autotask, then stops sending it and keeps watching the zone", async () => {
    const thread = await checkOf(stack, ROTATED, { watch: true });
    await startedReply(stack, thread.ts);
    const watchId = payloadOfWatchIdFromKeys(thread.ts);

    stack.autotask.addUser({ ...ROTATED, secret: "R0tate$Secret-NEW" });
    const alert = await stack.slack.waitFor(
      () => alertsIn(stack, thread.ts)[0],
      2 * INTERVAL_MS + RUN_MARGIN_MS,
    );
    const text = blocksToText(alert);
    expect(text).toContain("Autotask rejected the username or secret");
    expect(text).toContain("I stopped sending the secret");
    expect(text).toContain("To resume");
    expect(payloadOf(alert)).toMatchObject({
      code: "invalid_credentials",
      outcome: "failed",
      previous_code: "ok",
    });
    const loginsAtAlert = credentialLogins(stack, ROTATED.username).length;
    expect(await redis.exists(`${prefix}:watch:${await watchId}:secret`)).toBe(0);

    await runsAfter(
      ROTATED.username,
      zoneLookups(stack, ROTATED.username).length,
      2,
      2 * INTERVAL_MS + RUN_MARGIN_MS,
    );
    expect(credentialLogins(stack, ROTATED.username)).toHaveLength(loginsAtAlert);
    expect(alertsIn(stack, thread.ts)).toHaveLength(1);
  });

  it("alerts when a zone lookup starts failing, and again when it recovers", async () => {
    const thread = await checkOf(stack, FLAKY);
    await pressWatchZone(stack, thread);
    await startedReply(stack, thread.ts);

    stack.autotask.injectFault(
      { host: ZONE_LOOKUP_HOST, username: FLAKY.username },
      { kind: "status", status: 500, body: '{"errors":["Zone information could not be determined"]}' },
      1,
    );
    const [worse, recovered] = await stack.slack.waitFor(
      () => {
        const alerts = alertsIn(stack, thread.ts);
        return alerts.length >= 2 ? (alerts as [EmulatedMessage, EmulatedMessage]) : undefined;
      },
      3 * INTERVAL_MS + RUN_MARGIN_MS,
    );
    expect(payloadOf(worse)).toMatchObject({
      code: "unknown_username",
      outcome: "failed",
      previous_code: "ok",
    });
    expect(blocksToText(recovered)).toContain("Recovered");
    expect(payloadOf(recovered)).toMatchObject({
      code: "ok",
      outcome: "ok",
      previous_code: "unknown_username",
      api_url: "https://webservices14.autotask.net",
      zone: "14",
    });
    expect(payloadOf(recovered)).not.toHaveProperty("previous_api_url");
  });

  it("alerts when the API usage crosses 80% of the hourly limit", async () => {
    const thread = await checkOf(stack, BUSY, { watch: true });
    await startedReply(stack, thread.ts);
    // Other integrations of the same Autotask database use up the shared limit.
    stack.autotask.setUsage(BUSY.username, 8_500);
    const alert = await stack.slack.waitFor(
      () => alertsIn(stack, thread.ts)[0],
      2 * INTERVAL_MS + RUN_MARGIN_MS,
    );
    expect(blocksToText(alert).split("\n")[0]).toContain("API usage is at 85% of the limit");
    expect(blocksToText(alert)).toContain("about to be slowed down or refused");
    expect(alert.broadcast).toBe(true);
  });

  it("runs a watch once per interval with two bot processes, even when Watch zone reached both", async () => {
    const thread = await checkOf(stack, FLEET);
    // A double click that a load balancer spread over both processes.
    await pressWatchZone(stack, thread);
    await pressWatchZone(second, thread);
    await startedReply(stack, thread.ts);
    // One Job Scheduler for the watch, whichever process took which press.
    const watchId = await payloadOfWatchIdFromKeys(thread.ts);
    const queue = new Queue(WATCH_QUEUE, { connection: redis, prefix });
    const schedulers = await queue.getJobSchedulers(0, -1);
    await queue.close();
    expect(
      schedulers.filter((s) => (s.template?.data as { watchId?: string })?.watchId === watchId),
    ).toHaveLength(1);
    const before = zoneLookups(stack, FLEET.username).length;
    await runsAfter(FLEET.username, before, 3, 3 * INTERVAL_MS + 2 * RUN_MARGIN_MS);
    const runs = zoneLookups(stack, FLEET.username)
      .slice(before)
      .map((request) => request.at);
    const gaps = runs.slice(1).map((at, i) => at - (runs[i] as number));
    // Twice per interval (each process on its own) would show gaps near 0.
    for (const gap of gaps) expect(gap).toBeGreaterThan(INTERVAL_MS / 2);
  });
});

/** The watch id of a check's thread: the watch record whose thread is this parent. */
async function payloadOfWatchIdFromKeys(threadTs: string): Promise<string> {
  const store = createWatchStore(redis, prefix);
  const all = await store.listAll();
  const watch = all.find((w) => w.threadTs === threadTs);
  if (!watch) throw new Error("no watch for this thread");
  return watch.id;
}
