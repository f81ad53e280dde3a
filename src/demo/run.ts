/**
 * The offline demo: the real bot against the Slack and Autotask emulators on loopback and a
 * private Redis. Drives three checks (a success, a zone mismatch, a bad secret) and prints each
 * channel thread as a person would read it.
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
import { type Credentials, startStack } from "./stack.js";

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
  } finally {
    await stack.close();
    await redis.stop();
  }
  const seconds = ((performance.now() - started) / 1_000).toFixed(1);
  out.write(
    `${allAsExpected ? "All three checks ended as expected" : "Some checks did not end as expected"} (${seconds} s).\n`,
  );
  return allAsExpected;
}
