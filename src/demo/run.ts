/**
 * The offline demo: the real bot against the Slack and Autotask emulators on loopback and a
 * private Redis. Drives three checks (a success, a zone mismatch, a bad secret) and a watched
 * connection whose tenant Autotask moves from ww5 to ww15, and prints each channel thread as a
 * person would read it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResultCode } from "../autotask/result.js";
import type { EmulatedThread } from "../emulators/slack.js";
import {
  type EmbeddedRedis,
  REDIS_INSTALL_HINT,
  redisAnswers,
  startEmbeddedRedis,
} from "../ops/embedded-redis.js";
import { blocksToText } from "../slack/blocks-to-text.js";
import { CHANGE_EVENT_TYPE, CHECK_NOW_ACTION_ID } from "../watch/render.js";
import { type Credentials, DEMO_CHANNEL, type Stack, startStack } from "./stack.js";

type Scenario = { title: string; submitted: Credentials; expected: ResultCode };

const ACME = { username: "api-ok@acme.example", secret: "Gq7#pLx2!vR9", trackingId: "ACME0INTEGRATION7F3A" };
const CONTOSO = {
  username: "api@contoso.example",
  secret: "Zt5$wQ8m*Kd1",
  trackingId: "CONTOSO1INTEGRATION2B9C",
};
const FABRIKAM = {
  username: "sync@fabrikam.example",
  secret: "Hn3&yU6c^Bs4",
  trackingId: "FABRIKAM2INTEGRATION6D1E",
};

const NORTHWIND = {
  username: "psa-sync@northwind.example",
  secret: "Nw8%tRq3#Lm5",
  trackingId: "NORTHWIND3INTEGRATION8C2D",
};

const SCENARIOS: Scenario[] = [
  {
    title: "1. Everything right",
    submitted: { portalUrl: "https://ww15.autotask.net/Mvc/Framework/Navigation.mvc/Landing", ...ACME },
    expected: "ok",
  },
  {
    title: "2. Stale portal URL (the tenant moved from ww5 to ww15)",
    submitted: { portalUrl: "https://ww5.autotask.net", ...CONTOSO },
    expected: "zone_mismatch",
  },
  {
    title: "3. Secret copied badly",
    submitted: { portalUrl: "ww22.autotask.net", ...FABRIKAM, secret: "Hn3&yU6c^Bs" },
    expected: "invalid_credentials",
  },
];

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => (line.trim() === "" ? "" : `${prefix}${line}`))
    .join("\n");
}

/** A channel thread as text: the parent's final state, then each reply. */
export function threadToText(thread: EmulatedThread): string {
  const parts = [indent(blocksToText(thread), "│ ")];
  for (const reply of thread.replies) parts.push(indent(blocksToText(reply), "│   ↳ "));
  return parts.join("\n│\n");
}

async function demoRedis(): Promise<{ url: string; stop: () => Promise<void>; note: string }> {
  const dir = mkdtempSync(join(tmpdir(), "autotask-connect-demo-"));
  let redis: EmbeddedRedis;
  try {
    redis = await startEmbeddedRedis({ dir, appendOnly: false });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    // No redis-server binary: a Redis already running locally will do (the demo uses its own prefix).
    if (await redisAnswers("127.0.0.1", 6379)) {
      return { url: "redis://127.0.0.1:6379", stop: async () => {}, note: "the Redis on 127.0.0.1:6379" };
    }
    throw new Error(`${(error as Error).message}\n${REDIS_INSTALL_HINT}`);
  }
  return {
    url: redis.url,
    note: `a private redis-server on port ${redis.port}`,
    stop: async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the demo, writing to `out`; resolves true when every scenario ended as expected. */
export async function runDemo(out: NodeJS.WritableStream): Promise<boolean> {
  const started = performance.now();
  const redis = await demoRedis();
  const stack = await startStack({
    redisUrl: redis.url,
    prefix: `{autotask-connect-demo-${process.pid}}`,
    autotask: {
      users: [
        { ...ACME, zone: "15" },
        { ...CONTOSO, zone: "15" },
        { ...FABRIKAM, zone: "22" },
        { ...NORTHWIND, zone: "5" },
      ],
    },
  });
  out.write(
    `autotask-connect demo: the real bot (HTTP receiver with signed requests, BullMQ queue and worker on ${redis.note})\n` +
      `against Slack and Autotask emulators on loopback. Nothing leaves this machine.\n\n`,
  );
  let allAsExpected = true;
  try {
    for (const scenario of SCENARIOS) {
      const { answer } = await stack.submitCheck(scenario.submitted);
      const thread = await stack.waitForResult(scenario.submitted.username);
      const code = (thread.metadata as { event_payload: { code: ResultCode } }).event_payload.code;
      const asExpected = code === scenario.expected && answer.status === 200;
      allAsExpected &&= asExpected;
      out.write(`${scenario.title}\n`);
      out.write(
        `  /autotask-connect in #msp-ops · submitted in ${answer.ms.toFixed(0)} ms · result: ${code}${asExpected ? "" : ` (expected ${scenario.expected})`}\n`,
      );
      out.write(`${threadToText(thread)}\n\n`);
    }
    allAsExpected = (await watchStory(stack, out)) && allAsExpected;
  } finally {
    await stack.close();
    await redis.stop();
  }
  const seconds = ((performance.now() - started) / 1_000).toFixed(1);
  out.write(
    `${allAsExpected ? "All four stories ended as expected" : "Some stories did not end as expected"} (${seconds} s).\n`,
  );
  return allAsExpected;
}

/**
 * The fourth story: a connection checked with "Watch this connection" ticked; Autotask then moves
 * the tenant from ww5 to ww15. The watch's next run (here started with Check now instead of waiting
 * WATCH_INTERVAL_SECONDS) alerts the channel with the new Domain. True when the alert came.
 */
async function watchStory(stack: Stack, out: NodeJS.WritableStream): Promise<boolean> {
  const submitted = { portalUrl: "https://ww5.autotask.net", ...NORTHWIND, watch: true };
  await stack.submitCheck(submitted);
  const checked = await stack.waitForResult(NORTHWIND.username);
  await stack.slack.waitFor(() =>
    stack.slack
      .thread(DEMO_CHANNEL)
      .find((message) => message.ts === checked.ts)
      ?.replies.some((reply) => reply.text.includes("started watching")),
  );
  stack.autotask.addUser({ ...NORTHWIND, zone: "15" });

  const listed = await stack.slashCommand({ text: "watches" });
  const id = listed.responseUrl.split("/").pop();
  const list = await stack.slack.waitFor(() => stack.slack.responsePosts.find((post) => post.id === id));
  const body = list.body as { text?: string; blocks?: unknown[] };
  const checkNow = (body.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[])
    .flatMap((block) => block.elements ?? [])
    .find((element) => element.action_id === CHECK_NOW_ACTION_ID);
  await stack.clickButton({
    channelId: DEMO_CHANNEL,
    messageTs: checked.ts,
    actionId: CHECK_NOW_ACTION_ID,
    value: checkNow?.value,
  });
  const thread = await stack.slack.waitFor(() => {
    const now = stack.slack.thread(DEMO_CHANNEL).find((message) => message.ts === checked.ts);
    return now?.replies.some(
      (reply) => (reply.metadata as { event_type?: string } | undefined)?.event_type === CHANGE_EVENT_TYPE,
    )
      ? now
      : undefined;
  }, 15_000);
  const alert = thread.replies.find((reply) => reply.broadcast);
  out.write("4. A watched connection: Autotask moves the tenant from ww5 to ww15\n");
  out.write(
    "  /autotask-connect with Watch this connection ticked · Autotask moves the tenant · the watch's next run (Check now here)\n",
  );
  out.write(`  /autotask-connect watches (ephemeral):\n${indent(blocksToText(body), "  │ ")}\n`);
  out.write(`${threadToText(thread)}\n`);
  if (alert)
    out.write(`  In #msp-ops (sent to the channel too):\n${indent(blocksToText(alert), "  │ ")}\n\n`);
  return alert !== undefined;
}
