/**
 * Managing watches through the real bot: the `watches` list with Stop watching and Check now, the
 * App Home tab, WATCHES_PER_WORKSPACE, AUTHORIZED_USERS, the operators' CLI, and a CREDENTIALS_KEY
 * rotation. Runs are started with Check now, so nothing here waits for an interval.
 */
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli.js";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { blocksToText } from "../../src/slack/blocks-to-text.js";
import { openKept } from "../../src/watch/kept-secret.js";
import { CHECK_NOW_ACTION_ID, UNWATCH_ACTION_ID } from "../../src/watch/render.js";
import { schedulerIdOf, WATCH_QUEUE } from "../../src/watch/scheduler.js";
import { createWatchStore, type WatchRecord } from "../../src/watch/store.js";
import { credentialsOf, until } from "../support/e2e-helpers.js";
import { redisHaystack, scanTexts } from "../support/leak-audit.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import {
  alertsIn,
  buttonsOf,
  checkOf,
  credentialLogins,
  pressWatchZone,
  startedReply,
  zoneLookups,
} from "../support/watch-helpers.js";

const MEMBER = "U0MEMBER";
const KEY_1 = randomBytes(32);
const KEY_2 = randomBytes(32);

const user = (name: string, zone: string, extra = ""): EmulatedApiUser => ({
  username: `${name}@acme.example`,
  secret: `${name}#Secret-${extra}9Zq`,
  trackingId: `TRACK${name.toUpperCase()}0001`,
  zone,
});
const LISTED = user("listed", "15");
const HOMED = user("homed", "14");
const FIRST = user("first", "15");
const SECOND = user("second", "5");
const THIRD = user("third", "22");
const GUARDED = user("guarded", "15");
const OTHER = user("other", "15");
const FAILING = user("failing", "15");

const prefix = uniquePrefix("e2e-watch-manage");
let stack: Stack;
let redis: Redis;
let queue: Queue;

beforeAll(async () => {
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix,
    env: { WATCHES_PER_WORKSPACE: "2", CREDENTIALS_KEY: KEY_1.toString("base64") },
    autotask: { users: [LISTED, HOMED, FIRST, SECOND, THIRD, GUARDED, OTHER, FAILING] },
  });
  stack.slack.setUser(MEMBER, { name: "member" });
  redis = new Redis(testRedisUrl());
  queue = new Queue(WATCH_QUEUE, { connection: redis, prefix });
});
afterAll(async () => {
  await queue?.close();
  await redis?.quit();
  await stack?.close();
});

const store = () => createWatchStore(redis, prefix);

async function watchOfThread(threadTs: string): Promise<WatchRecord> {
  return until("the watch of this thread", async () =>
    (await store().listAll()).find((watch) => watch.threadTs === threadTs),
  );
}

/** `/autotask-connect watches` as `userId`; resolves with the ephemeral answer's body. */
async function listWatches(userId?: string): Promise<{ text: string; blocks: unknown[] }> {
  const command = await stack.slashCommand({ text: "watches", ...(userId && { userId }) });
  if (command.json) return command.json as { text: string; blocks: unknown[] };
  const id = command.responseUrl.split("/").pop();
  const post = await stack.slack.waitFor(() => stack.slack.responsePosts.find((p) => p.id === id));
  return post.body as { text: string; blocks: unknown[] };
}

function buttonFor(list: { blocks: unknown[] }, actionId: string, watchId: string) {
  return buttonsOf(list).find((button) => button.action_id === actionId && button.value === watchId);
}

/** Clicks a list button in the channel; resolves with the next response_url post. */
async function clickListButton(actionId: string, watchId: string, userId?: string) {
  const before = stack.slack.responsePosts.length;
  await stack.clickButton({
    ...(userId && { userId }),
    channelId: DEMO_CHANNEL,
    messageTs: "1700000000.000001",
    actionId,
    value: watchId,
  });
  const post = await stack.slack.waitFor(() => stack.slack.responsePosts[before]);
  return post.body as { text: string; blocks?: unknown[]; replace_original?: boolean };
}

describe("managing watches", () => {
  it("lists a credentials watch with Stop watching and Check now; the CLI lists it; Stop removes its scheduler and kept secret at once", async () => {
    const thread = await checkOf(stack, LISTED, { watch: true });
    await startedReply(stack, thread.ts);
    const watch = await watchOfThread(thread.ts);
    const secretKey = `${prefix}:watch:${watch.id}:secret`;
    const sealed = await redis.get(secretKey);
    expect(sealed).toMatch(/^v1\./);
    expect(await queue.getJobScheduler(schedulerIdOf(watch.id))).toBeDefined();

    const list = await listWatches();
    const text = blocksToText(list);
    expect(text).toContain(LISTED.username);
    expect(text).toContain("credentials watch");
    expect(text).toContain("Domain `https://webservices15.autotask.net`");
    expect(text).toContain("next run");
    expect(buttonFor(list, CHECK_NOW_ACTION_ID, watch.id)).toBeDefined();
    expect(buttonFor(list, UNWATCH_ACTION_ID, watch.id)).toBeDefined();

    const out: string[] = [];
    const sink = { write: (chunk: string) => out.push(chunk) > 0 } as unknown as NodeJS.WritableStream;
    const code = await main(["watches", "--json"], {
      stdin: process.stdin,
      stdout: sink,
      stderr: sink,
      env: { REDIS_URL: testRedisUrl(), QUEUE_PREFIX: prefix },
    });
    expect(code).toBe(0);
    const listed = JSON.parse(out.join("")) as { id: string; kind: string; keepsSecret: boolean }[];
    expect(listed.find((entry) => entry.id === watch.id)).toMatchObject({
      kind: "credentials",
      keepsSecret: true,
      username: LISTED.username,
      apiUrl: "https://webservices15.autotask.net",
    });
    expect(out.join("")).not.toContain(LISTED.trackingId);

    const answer = await clickListButton(UNWATCH_ACTION_ID, watch.id);
    expect(answer.replace_original).toBe(true);
    expect(blocksToText({ text: answer.text, blocks: answer.blocks ?? [] })).toContain(
      `Stopped watching \`${LISTED.username}\``,
    );
    expect(await queue.getJobScheduler(schedulerIdOf(watch.id))).toBeUndefined();
    expect(await redis.exists(secretKey)).toBe(0);
    expect(await store().get(watch.id)).toBeNull();
    const pending = await queue.getJobs(["delayed", "waiting", "prioritized"]);
    expect(pending.filter((job) => job?.data?.watchId === watch.id)).toEqual([]);
    // Neither the secret (in any spelling) nor its ciphertext is anywhere in Redis any more.
    const keys = await redisHaystack(testRedisUrl(), prefix);
    expect(scanTexts([LISTED.secret, sealed as string], keys)).toEqual([]);
  });

  it("shows the list on the App Home tab, runs a watch at once with Check now, and stops it from there", async () => {
    const thread = await checkOf(stack, HOMED);
    await pressWatchZone(stack, thread);
    await startedReply(stack, thread.ts);
    const watch = await watchOfThread(thread.ts);

    await stack.openAppHome();
    const home = await stack.slack.waitFor(() => {
      const view = stack.slack.homeView("U0ADMIN") as { blocks: unknown[] } | undefined;
      return view && blocksToText(view).includes(HOMED.username) ? view : undefined;
    });
    expect(blocksToText(home)).toContain("zone watch");
    expect(buttonFor(home, CHECK_NOW_ACTION_ID, watch.id)).toBeDefined();

    const lookups = zoneLookups(stack, HOMED.username).length;
    const publishes = stack.slack.callsOf("views.publish").length;
    await stack.clickButton({ inHome: true, actionId: CHECK_NOW_ACTION_ID, value: watch.id });
    await until("the Check now run", async () => zoneLookups(stack, HOMED.username).length > lookups);
    const noted = await stack.slack.waitFor(() => stack.slack.callsOf("views.publish")[publishes]);
    expect(blocksToText(noted.args.view as { blocks: unknown[] })).toContain(
      `Checking \`${HOMED.username}\` now`,
    );
    expect(alertsIn(stack, thread.ts)).toEqual([]);

    await stack.clickButton({ inHome: true, actionId: UNWATCH_ACTION_ID, value: watch.id });
    await stack.slack.waitFor(() => {
      const view = stack.slack.homeView("U0ADMIN") as { blocks: unknown[] } | undefined;
      return view && blocksToText(view).includes(`Stopped watching \`${HOMED.username}\``);
    });
    expect(await store().get(watch.id)).toBeNull();
    expect(await queue.getJobScheduler(schedulerIdOf(watch.id))).toBeUndefined();
  });

  it("refuses a watch past WATCHES_PER_WORKSPACE, saying so in the thread", async () => {
    const watched: WatchRecord[] = [];
    for (const api of [FIRST, SECOND]) {
      const thread = await checkOf(stack, api);
      await pressWatchZone(stack, thread);
      await startedReply(stack, thread.ts);
      watched.push(await watchOfThread(thread.ts));
    }
    const thread = await checkOf(stack, THIRD);
    const before = stack.slack.responsePosts.length;
    await pressWatchZone(stack, thread);
    const refusal = await stack.slack.waitFor(() =>
      stack.slack
        .thread(DEMO_CHANNEL)
        .find((message) => message.ts === thread.ts)
        ?.replies.find((reply) => reply.text.includes("Not watched")),
    );
    expect(refusal.text).toContain(
      "this workspace already keeps 2 watches, the most allowed (WATCHES_PER_WORKSPACE)",
    );
    const answer = await stack.slack.waitFor(() => stack.slack.responsePosts[before]);
    expect(JSON.stringify(answer.body)).toContain("Not watched");
    expect((await store().list(stack.slack.teamId)).map((watch) => watch.username).sort()).toEqual(
      [FIRST.username, SECOND.username].sort(),
    );
    for (const watch of watched) await clickListButton(UNWATCH_ACTION_ID, watch.id);
    expect(await store().list(stack.slack.teamId)).toEqual([]);
  });

  it("starts no watch from a failed check with the box ticked, and says why in its thread", async () => {
    await stack.submitCheck({ ...credentialsOf(FAILING), secret: "wrong-secret-typed", watch: true });
    const thread = await stack.waitForResult(FAILING.username);
    const reply = await stack.slack.waitFor(() =>
      stack.slack
        .thread(DEMO_CHANNEL)
        .find((message) => message.ts === thread.ts)
        ?.replies.find((r) => r.text.includes("Not watched")),
    );
    expect(reply.text).toContain("a watch starts only from a check that works");
    expect((await store().listAll()).filter((watch) => watch.username === FAILING.username)).toEqual([]);
  });

  it("lets only AUTHORIZED_USERS create, stop, run or list watches", async () => {
    const guarded = await checkOf(stack, GUARDED);
    await pressWatchZone(stack, guarded);
    await startedReply(stack, guarded.ts);
    const watch = await watchOfThread(guarded.ts);
    const other = await checkOf(stack, OTHER);

    const before = stack.slack.responsePosts.length;
    await pressWatchZone(stack, other, MEMBER);
    const refused = await stack.slack.waitFor(() => stack.slack.responsePosts[before]);
    expect(JSON.stringify(refused.body)).toContain("Only workspace admins and owners");

    const lookups = zoneLookups(stack, GUARDED.username).length;
    for (const actionId of [UNWATCH_ACTION_ID, CHECK_NOW_ACTION_ID]) {
      const answer = await clickListButton(actionId, watch.id, MEMBER);
      expect(JSON.stringify(answer)).toContain("Only workspace admins and owners");
    }
    const list = await stack.slashCommand({ userId: MEMBER, text: "watches" });
    expect(JSON.stringify(list.json)).toContain("Only workspace admins and owners");
    await stack.openAppHome(MEMBER);
    const home = await stack.slack.waitFor(() => stack.slack.homeView(MEMBER) as { blocks: unknown[] });
    expect(blocksToText(home)).toContain("Only the people allowed");
    expect(blocksToText(home)).not.toContain(GUARDED.username);

    expect((await store().list(stack.slack.teamId)).map((w) => w.id)).toEqual([watch.id]);
    expect(await queue.getJobScheduler(schedulerIdOf(watch.id))).toBeDefined();
    expect(zoneLookups(stack, GUARDED.username)).toHaveLength(lookups);
    await clickListButton(UNWATCH_ACTION_ID, watch.id);
  });
});

describe("rotating CREDENTIALS_KEY", () => {
  const ROTATING = user("rotating", "15");
  const rotationPrefix = uniquePrefix("e2e-watch-rotation");

  it("reads a kept secret with CREDENTIALS_KEY_PREVIOUS and re-seals it under the new key on its next run", async () => {
    const before = await startStack({
      redisUrl: testRedisUrl(),
      prefix: rotationPrefix,
      env: { CREDENTIALS_KEY: KEY_1.toString("base64") },
      autotask: { users: [ROTATING] },
    });
    let after: Stack | null = null;
    try {
      const thread = await checkOf(before, ROTATING, { watch: true });
      await startedReply(before, thread.ts);
      const rotationStore = createWatchStore(redis, rotationPrefix);
      const watch = await until("the watch", async () => (await rotationStore.listAll())[0]);
      const sealedUnderOld = (await rotationStore.sealedSecret(watch.id)) as string;
      expect(openKept(sealedUnderOld, { current: KEY_1 }, watch.id)).toMatchObject({ ok: true });
      await before.runtime.stop(2_000);

      // The same deployment restarted with a new key, the old one as CREDENTIALS_KEY_PREVIOUS.
      after = await startStack({
        redisUrl: testRedisUrl(),
        prefix: rotationPrefix,
        env: {
          CREDENTIALS_KEY: KEY_2.toString("base64"),
          CREDENTIALS_KEY_PREVIOUS: KEY_1.toString("base64"),
        },
        shared: before.shared,
      });
      // The schedule lives in Redis: it survived the restart, due one interval after the watch started.
      const rotationQueue = new Queue(WATCH_QUEUE, { connection: redis, prefix: rotationPrefix });
      const scheduled = await rotationQueue.getJobScheduler(schedulerIdOf(watch.id));
      await rotationQueue.close();
      expect(scheduled?.next).toBeGreaterThanOrEqual(watch.createdAt + 86_400_000 - 1_000);
      const logins = credentialLogins(after, ROTATING.username).length;
      await after.clickButton({
        channelId: DEMO_CHANNEL,
        messageTs: thread.ts,
        actionId: CHECK_NOW_ACTION_ID,
        value: watch.id,
      });
      const resealed = await until("the secret re-sealed", async () => {
        const sealed = await rotationStore.sealedSecret(watch.id);
        return sealed && sealed !== sealedUnderOld ? sealed : undefined;
      });
      expect(openKept(resealed, { current: KEY_2 }, watch.id)).toEqual({
        ok: true,
        secret: ROTATING.secret,
        resealed: null,
      });
      expect(openKept(resealed, { current: KEY_1 }, watch.id).ok).toBe(false);
      const run = await until(
        "the run's login",
        async () => credentialLogins(after as Stack, ROTATING.username).slice(logins)[0],
      );
      expect(run.headers.secret).toBe("[matched]");
      await until(
        "the run's result",
        async () => ((await rotationStore.get(watch.id))?.last?.at ?? 0) > run.at,
      );
      expect(alertsIn(after, thread.ts)).toEqual([]);
    } finally {
      await after?.close();
      await before.slack.close();
      await before.autotask.close();
      const keys = await redis.keys(`${rotationPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
  });
});
