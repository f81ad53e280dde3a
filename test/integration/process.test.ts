/**
 * The bot as a real process (`autotask-connect start`): ops endpoints, and SIGTERM in the middle of
 * a check (the check finishes, its result is posted once, the process exits 0).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishedThread, type Stack, startStack } from "../../src/demo/stack.js";
import { type AutotaskEmulator, startAutotaskEmulator } from "../../src/emulators/autotask.js";
import { type SlackEmulator, startSlackEmulator } from "../../src/emulators/slack.js";
import { createSlackUser } from "../../src/emulators/slack-user.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import { startPrivateRedis } from "../support/redis-server.js";

const USER = {
  username: "api@sigterm.example",
  secret: "Sig-Term-Secret-1",
  trackingId: "SIGTERMTRACK0042",
  zone: "5",
};
const CHANNEL = "C0PROC";
const ADMIN = "U0PROCADMIN";

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await request(url, { signal: AbortSignal.timeout(5_000) });
  return { status: response.statusCode, text: await response.body.text() };
}

describe("autotask-connect start, as a process", () => {
  let slack: SlackEmulator;
  let autotask: AutotaskEmulator;
  let bot: ChildProcess;
  let port: number;
  const signingSecret = randomBytes(16).toString("hex");
  const output: string[] = [];

  beforeAll(async () => {
    slack = await startSlackEmulator();
    autotask = await startAutotaskEmulator({ users: [USER] });
    slack.setChannel(CHANNEL, { kind: "public", botIsMember: true });
    slack.setUser(ADMIN, { isAdmin: true });
    bot = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "start"], {
      env: {
        PATH: process.env.PATH,
        SLACK_BOT_TOKEN: "xoxb-process-test",
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.apiUrl,
        PORT: "0",
        REDIS_URL: testRedisUrl(),
        QUEUE_PREFIX: uniquePrefix("process"),
        CREDENTIALS_KEY: randomBytes(32).toString("base64"),
        AUTOTASK_ORIGIN_OVERRIDE: autotask.origin,
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    bot.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bot did not start:\n${output.join("")}`)), 20_000);
      createInterface({ input: bot.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        output.push(line);
        const parsed = JSON.parse(line) as { msg?: string; port?: number };
        if (parsed.msg === "autotask-connect started" && parsed.port) {
          clearTimeout(timer);
          resolve(parsed.port);
        }
      });
    });
  }, 30_000);

  afterAll(async () => {
    if (bot && bot.exitCode === null) bot.kill("SIGKILL");
    await slack?.close();
    await autotask?.close();
  });

  it("answers /healthz, and /readyz with Redis and the worker ready", async () => {
    expect((await get(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await get(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({ checks: { redis: { ok: true }, worker: { ok: true } } });
  });

  it("finishes a check that is running when SIGTERM arrives, posts it once, and exits 0", async () => {
    // The credentials call takes 1.5 s, so SIGTERM lands in the middle of the check.
    autotask.injectFault({ path: /ThresholdInformation/i }, { kind: "delay", ms: 1_500 }, 1);
    const person = createSlackUser({ slack, botUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret });
    const { answer } = await person.submitCheck(
      { portalUrl: "https://ww5.autotask.net", ...USER },
      { userId: ADMIN, channelId: CHANNEL },
    );
    expect(answer.json).toMatchObject({ response_action: "update" });
    await slack.waitFor(() =>
      autotask.requests.some((req) => /ThresholdInformation/i.test(req.path)) ? true : undefined,
    );

    const exited = new Promise<number | null>((resolve) => bot.once("exit", (code) => resolve(code)));
    bot.kill("SIGTERM");
    expect(await exited).toBe(0);

    const thread = finishedThread(slack, CHANNEL, USER.username);
    expect(thread?.metadata).toMatchObject({ event_payload: { outcome: "ok", code: "ok" } });
    expect(slack.thread(CHANNEL)).toHaveLength(1);
    expect(thread?.replies.filter((reply) => /(^|\n)Done: /.test(reply.text))).toHaveLength(1);
  }, 30_000);
});

describe("/readyz and /metrics of a running bot", () => {
  let stack: Stack;
  let stopRedis: () => Promise<void>;

  beforeAll(async () => {
    const redis = await startPrivateRedis();
    stopRedis = redis.stop;
    stack = await startStack({
      redisUrl: redis.url,
      prefix: uniquePrefix("ops"),
      autotask: { users: [USER] },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await stopRedis?.();
  });

  it("counts finished checks by outcome and code in /metrics", async () => {
    await stack.submitCheck({ portalUrl: "", ...USER, secret: "wrong" });
    await stack.waitForResult(USER.username);
    const metrics = await get(`http://127.0.0.1:${stack.runtime.port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /autotask_connect_checks_total\{outcome="failed",code="invalid_credentials"\} 1/,
    );
    expect(metrics.text).toMatch(/autotask_connect_check_duration_seconds_count\{outcome="failed"\} 1/);
    expect(metrics.text).toMatch(/autotask_connect_queue_jobs\{state="waiting"\} 0/);
    expect(metrics.text).toMatch(/autotask_connect_autotask_call_errors_total\{kind="http_401"\} 1/);
  });

  it("reports 503 naming Redis once Redis is gone", async () => {
    await stopRedis();
    const ready = await get(`http://127.0.0.1:${stack.runtime.port}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ checks: { redis: { ok: false } } });
  });
});
