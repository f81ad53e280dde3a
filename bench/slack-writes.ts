/**
 * Slack writes per check and six checks in one rate-limited channel, for the notes of issues 10
 * and 12 (not a timed test). Usage:
 *   npx tsx bench/slack-writes.ts [--stack PATH/src/demo/stack.ts]
 * `--stack` runs another tree's bot (e.g. an export of an older commit) against this tree's
 * emulators, so before and after are measured the same way.
 */
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Stack, StackOptions } from "../src/demo/stack.js";
import { startAutotaskEmulator } from "../src/emulators/autotask.js";
import { type SlackEmulator, startSlackEmulator } from "../src/emulators/slack.js";
import { generateCredentialsKey } from "../src/security/envelope.js";
import { deletePrefixes, findBenchRedis } from "./lib/redis.js";

const { values } = parseArgs({ options: { stack: { type: "string" } } });
const stackModule = (await import(
  values.stack ? pathToFileURL(values.stack).href : "../src/demo/stack.js"
)) as { startStack: (options: StackOptions) => Promise<Stack> };

const user = (name: string) => ({
  username: `${name}@writes.example`,
  secret: `${name}-Wr1tes-Secret!`,
  trackingId: `TRACK${name.toUpperCase()}8`,
  zone: "15",
});
const isDone = (text: unknown) => /(^|\n)Done: /.test(String(text));
const WRITES = new Set(["chat.postMessage", "chat.update"]);

async function run(
  label: string,
  slackOptions: Parameters<typeof startSlackEmulator>[0],
  body: (s: Stack) => Promise<void>,
) {
  const redis = await findBenchRedis(process.env);
  const prefix = `{atc-writes-${randomUUID().slice(0, 8)}}`;
  const users = ["solo", "b1", "b2", "b3", "b4", "b5", "b6", "other"].map(user);
  const slack = await startSlackEmulator(slackOptions);
  const autotask = await startAutotaskEmulator({ users, latencyMs: 150 });
  const stack = await stackModule.startStack({
    redisUrl: redis.url,
    prefix,
    env: { AUTOTASK_REQUIRED_ENTITIES: "Companies,Tickets,Contacts,Resources", AUTHORIZED_USERS: "*" },
    shared: {
      slack,
      autotask,
      credentialsKey: generateCredentialsKey(),
      signingSecret: "0123456789abcdef0123456789abcdef",
    },
  });
  for (const id of ["C0BUSY", "C0OTHER"]) slack.setChannel(id, { kind: "public", botIsMember: true });
  try {
    await body(stack);
  } finally {
    await stack.close();
    await slack.close();
    await autotask.close();
    await deletePrefixes(redis.url, [prefix]);
    await redis.stop();
  }
  process.stdout.write(`(${label} done)\n`);
}

function writesIn(slack: SlackEmulator, channel: string) {
  return slack.calls.filter((call) => WRITES.has(call.method) && call.args.channel === channel);
}

function doneAt(slack: SlackEmulator, channel: string, username: string): number | undefined {
  const parent = slack.thread(channel).find((t) => t.text.includes(username));
  return slack
    .callsOf("chat.postMessage")
    .find(
      (call) =>
        call.args.channel === channel &&
        call.args.thread_ts === parent?.ts &&
        isDone(call.args.text) &&
        (call.response as { ok?: boolean }).ok,
    )?.at;
}

const results: Record<string, unknown> = {};

// One check, quiet channel, Slack answering in 30 ms and Autotask in 150 ms, 4 entities (issue 12).
await run("writes per check", { latencyMs: 30 }, async (stack) => {
  const u = user("solo");
  await stack.submitCheck({ portalUrl: "https://ww15.autotask.net", ...u }, { channelId: "C0DEMO" });
  await stack.waitForResult(u.username, { timeoutMs: 30_000 });
  const writes = writesIn(stack.slack, "C0DEMO");
  results.writesPerCheck = {
    "chat.postMessage": writes.filter((call) => call.method === "chat.postMessage").length,
    "chat.update": writes.filter((call) => call.method === "chat.update").length,
    total: writes.length,
  };
});

// Six checks in one channel at 1 post/s (burst 5), and one in another channel at the same time.
await run("busy channel", { latencyMs: 30, postRateLimit: { perSecond: 1, burst: 5 } }, async (stack) => {
  const busy = ["b1", "b2", "b3", "b4", "b5", "b6"].map(user);
  const other = user("other");
  const started = Date.now();
  await Promise.all([
    ...busy.map((u) =>
      stack.submitCheck({ portalUrl: "https://ww15.autotask.net", ...u }, { channelId: "C0BUSY" }),
    ),
    stack.submitCheck({ portalUrl: "https://ww15.autotask.net", ...other }, { channelId: "C0OTHER" }),
  ]);
  await stack.slack.waitFor(
    () =>
      [
        ...busy.map((u) => doneAt(stack.slack, "C0BUSY", u.username)),
        doneAt(stack.slack, "C0OTHER", other.username),
      ].every(Boolean),
    120_000,
  );
  const busyDone = busy.map((u) => doneAt(stack.slack, "C0BUSY", u.username) as number);
  results.busyChannel = {
    sixChecksLastFinalMs: Math.max(...busyDone) - started,
    otherChannelFinalMs: (doneAt(stack.slack, "C0OTHER", other.username) as number) - started,
    posts429: stack.slack.calls.filter((call) => (call.response as { status?: number }).status === 429)
      .length,
    parents: stack.slack.thread("C0BUSY").length,
    writesInBusyChannel: writesIn(stack.slack, "C0BUSY").filter(
      (call) => (call.response as { ok?: boolean }).ok,
    ).length,
  };
});

process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.exit(0);
