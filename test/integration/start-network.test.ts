/**
 * `autotask-connect start` as a real process in a real network: a bot token Slack refuses stops
 * it with one clear line and a non-zero exit; a Slack it cannot reach (a firewall resetting the
 * connection) is retried with backoff while /readyz answers 503 naming Slack, then 200 once
 * Slack answers. Never a stack trace.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { startSlackEmulator } from "../../src/emulators/slack.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import { startHoldProxy } from "../support/tcp-hold-proxy.js";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Bot = { process: ChildProcess; lines: string[]; exited: Promise<number | null> };

function startBot(env: Record<string, string>): Bot {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "start"], {
    env: {
      PATH: process.env.PATH,
      SLACK_SIGNING_SECRET: randomBytes(16).toString("hex"),
      PORT: "0",
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: uniquePrefix("start-net"),
      CREDENTIALS_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream as NodeJS.ReadableStream }).on("line", (line) => lines.push(line));
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  return { process: child, lines, exited };
}

/** Messages of the bot's JSON log lines; anything else it printed, as is. */
function messages(lines: string[]): string[] {
  return lines.map((line) => {
    try {
      return String((JSON.parse(line) as { msg?: unknown }).msg ?? line);
    } catch {
      return line;
    }
  });
}

const STACK_FRAME = /^\s+at .+[(:]\d+/;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function readyz(
  port: number,
): Promise<{ status: number; body: { checks?: Record<string, { ok: boolean; detail?: string }> } }> {
  const response = await request(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
  return { status: response.statusCode, body: (await response.body.json()) as never };
}

describe("autotask-connect start with a bot token Slack refuses", () => {
  it("exits non-zero with one line naming Slack's error and what to check, and no stack trace", async () => {
    const slack = await startSlackEmulator({ token: "xoxb-the-installed-token" });
    cleanups.push(() => slack.close());
    const bot = startBot({ SLACK_BOT_TOKEN: "xoxb-a-revoked-token", SLACK_API_URL: slack.apiUrl });
    const code = await bot.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    const said = messages(bot.lines);
    const rejected = said.filter((line) => line.includes("Slack rejected SLACK_BOT_TOKEN"));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toContain("(invalid_auth)");
    expect(rejected[0]).toMatch(/Bot User OAuth Token/);
    expect(said).not.toContain("autotask-connect started");
    expect(bot.lines.filter((line) => STACK_FRAME.test(line))).toEqual([]);
    expect(bot.lines.join("\n")).not.toContain("xoxb-a-revoked-token");
  }, 30_000);
});

describe("autotask-connect start while Slack cannot be reached", () => {
  it("keeps retrying with /readyz 503 naming Slack, and becomes ready once Slack answers", async () => {
    const slack = await startSlackEmulator();
    cleanups.push(() => slack.close());
    const firewall = await startHoldProxy(new URL(slack.origin));
    cleanups.push(() => firewall.close());
    firewall.refuse();
    const bot = startBot({
      SLACK_BOT_TOKEN: "xoxb-start-network",
      SLACK_API_URL: `http://127.0.0.1:${firewall.port}/api/`,
    });
    const port = await until(
      "the started line",
      () => {
        for (const line of bot.lines) {
          const parsed = JSON.parse(line) as { msg?: string; port?: number };
          if (parsed.msg === "autotask-connect started" && parsed.port) return parsed.port;
        }
        return undefined;
      },
      20_000,
    );
    const unready = await readyz(port);
    expect(unready.status).toBe(503);
    expect(unready.body.checks?.slack).toMatchObject({ ok: false });
    expect(unready.body.checks?.slack?.detail).toMatch(
      /Slack is unreachable at 127\.0\.0\.1:\d+: connection (reset|closed)/,
    );
    // Retried, one clear line per attempt.
    await until(
      "a second attempt",
      () =>
        messages(bot.lines).filter((line) => line.startsWith("Slack is unreachable")).length >= 2
          ? true
          : undefined,
      20_000,
    );
    expect(messages(bot.lines).find((line) => line.startsWith("Slack is unreachable"))).toMatch(
      /Check DNS, the firewall, and HTTPS_PROXY \/ NO_PROXY; retrying\.$/,
    );

    firewall.admit();
    await until("/readyz 200", async () => ((await readyz(port)).status === 200 ? true : undefined), 40_000);
    expect(messages(bot.lines)).toContain("connected to Slack");
    expect(bot.process.exitCode).toBeNull();
    expect(bot.lines.filter((line) => STACK_FRAME.test(line))).toEqual([]);
    bot.process.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  }, 90_000);

  it("stops with the refused-token line and a non-zero exit when Slack, once reachable, refuses the token", async () => {
    const slack = await startSlackEmulator({ token: "xoxb-the-installed-token" });
    cleanups.push(() => slack.close());
    const firewall = await startHoldProxy(new URL(slack.origin));
    cleanups.push(() => firewall.close());
    firewall.refuse();
    const bot = startBot({
      SLACK_BOT_TOKEN: "xoxb-an-old-token",
      SLACK_API_URL: `http://127.0.0.1:${firewall.port}/api/`,
    });
    await until(
      "an unreachable line",
      () => (messages(bot.lines).some((line) => line.startsWith("Slack is unreachable")) ? true : undefined),
      20_000,
    );
    firewall.admit();
    // Its next retry (within 2 s of the first) gets invalid_auth: the process must end on its own.
    const stillRunning = new Promise<string>((resolve) =>
      setTimeout(() => resolve("still running"), 30_000).unref(),
    );
    expect(await Promise.race([bot.exited, stillRunning])).toBe(1);
    const said = messages(bot.lines);
    expect(
      said.filter((line) => line.includes("Slack rejected SLACK_BOT_TOKEN (invalid_auth)")),
    ).toHaveLength(1);
    expect(bot.lines.filter((line) => STACK_FRAME.test(line))).toEqual([]);
  }, 90_000);
});
