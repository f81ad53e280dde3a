/**
 * Bot processes for the fault tests, on one Slack and one Autotask emulator: start them, drive them
 * with signed requests, kill them, and read their threads.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import {
  type AutotaskEmulator,
  type EmulatedApiUser,
  startAutotaskEmulator,
} from "../../../src/emulators/autotask.js";
import { type SlackEmulator, startSlackEmulator } from "../../../src/emulators/slack.js";
import type { SignedResponse } from "../../../src/emulators/slack-requests.js";
import { createSlackUser, fieldValues } from "../../../src/emulators/slack-user.js";
import { activeAudit } from "../../support/leak-audit-setup.js";
import { uniquePrefix } from "../../support/redis.js";

export const CHANNEL = "C0FAULTS";
export const ADMIN = "U0FAULTADMIN";

export type BotProcess = {
  label: string;
  child: ChildProcess;
  port: number;
  botUrl: string;
  /** Every line it wrote to stdout and stderr. */
  lines: string[];
  /** Resolves with the exit code (null when killed by a signal) once it has ended. */
  exited: Promise<number | null>;
};

export type Fleet = {
  slack: SlackEmulator;
  autotask: AutotaskEmulator;
  redisUrl: string;
  /** The fleet's queue prefix. */
  prefix: string;
  signingSecret: string;
  /** Starts `bot.ts <role>`; resolves once it logged "autotask-connect started". */
  start(label: string, role: "all" | "web" | "worker", env?: Record<string, string>): Promise<BotProcess>;
  /** Sends the command, then submits the modal with these values, as Slack would. */
  submit(
    bot: BotProcess,
    user: EmulatedApiUser,
    portalUrl?: string,
  ): Promise<{ viewId: string; answer: SignedResponse }>;
  /** Submits an opened view again (the person pressed Check once more). */
  submitAgain(bot: BotProcess, viewId: string, user: EmulatedApiUser): Promise<SignedResponse>;
  close(): Promise<void>;
};

export async function startFleet(options: { redisUrl: string; users: EmulatedApiUser[] }): Promise<Fleet> {
  const slack = await startSlackEmulator();
  const autotask = await startAutotaskEmulator({ users: options.users });
  slack.setChannel(CHANNEL, { kind: "public", botIsMember: true, name: "faults" });
  slack.setUser(ADMIN, { isAdmin: true, name: "fay" });
  const signingSecret = randomBytes(16).toString("hex");
  const credentialsKey = randomBytes(32).toString("base64");
  const prefix = uniquePrefix("faults");
  const audit = activeAudit();
  for (const secret of [signingSecret, credentialsKey, ...options.users.map((user) => user.secret)]) {
    audit?.secret(secret);
  }
  const bots: BotProcess[] = [];

  async function start(label: string, role: string, env: Record<string, string> = {}): Promise<BotProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "test/reliability/support/bot.ts", role], {
      env: {
        PATH: process.env.PATH,
        SLACK_BOT_TOKEN: "xoxb-fault-tests",
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.apiUrl,
        PORT: "0",
        REDIS_URL: options.redisUrl,
        QUEUE_PREFIX: prefix,
        CREDENTIALS_KEY: credentialsKey,
        AUTOTASK_ORIGIN_OVERRIDE: autotask.origin,
        AUTHORIZED_USERS: "*",
        LOG_LEVEL: "debug",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    exited.then(() => audit?.output(label, `${lines.join("\n")}\n`));
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => lines.push(line));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${label} did not start:\n${lines.join("\n")}`)),
        20_000,
      );
      exited.then((code) => reject(new Error(`${label} exited with ${code}:\n${lines.join("\n")}`)));
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        lines.push(line);
        const parsed = safeJson(line) as { msg?: string; port?: number } | null;
        if (parsed?.msg === "autotask-connect started" && parsed.port) {
          clearTimeout(timer);
          resolve(parsed.port);
        }
      });
    });
    const bot = { label, child, port, botUrl: `http://127.0.0.1:${port}/slack/events`, lines, exited };
    bots.push(bot);
    return bot;
  }

  const personAt = (bot: BotProcess) => createSlackUser({ slack, botUrl: bot.botUrl, signingSecret });
  const typed = (user: EmulatedApiUser, portalUrl: string) => ({ portalUrl, ...user });

  return {
    slack,
    autotask,
    redisUrl: options.redisUrl,
    prefix,
    signingSecret,
    start,
    submit: (bot, user, portalUrl = `https://ww${user.zone}.autotask.net`) =>
      personAt(bot).submitCheck(typed(user, portalUrl), { userId: ADMIN, channelId: CHANNEL }),
    submitAgain: (bot, viewId, user) =>
      personAt(bot).submitView(
        viewId,
        fieldValues(typed(user, `https://ww${user.zone}.autotask.net`)),
        ADMIN,
      ),
    async close() {
      for (const bot of bots)
        if (bot.child.exitCode === null && bot.child.signalCode === null) bot.child.kill("SIGKILL");
      await Promise.all(bots.map((bot) => bot.exited));
      await slack.close();
      await autotask.close();
    },
  };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}
