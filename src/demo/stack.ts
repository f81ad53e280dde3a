/**
 * The whole bot on loopback: Slack and Autotask emulators, the real runtime (HTTP receiver fed
 * signed requests, BullMQ queue and worker on a real Redis). Used by the offline demo, the
 * end-to-end tests and the benchmarks, so all three exercise the same path a deployment does.
 */
import { randomBytes } from "node:crypto";
import { type DestinationStream, levels } from "pino";
import { type Config, parseConfig, type Role } from "../config.js";
import {
  type AutotaskEmulator,
  type EmulatedApiUser,
  type EmulatorOptions,
  startAutotaskEmulator,
} from "../emulators/autotask.js";
import {
  type EmulatedThread,
  type SlackEmulator,
  type SlackEmulatorOptions,
  startSlackEmulator,
} from "../emulators/slack.js";
import type { SignedResponse } from "../emulators/slack-requests.js";
import { type Credentials, createSlackUser, fieldValues, type TypedValues } from "../emulators/slack-user.js";
import { createLogger } from "../ops/logger.js";
import { type Runtime, type RuntimeOptions, startRuntime } from "../runtime.js";
import { generateCredentialsKey } from "../security/envelope.js";
import type { SecretScrubber } from "../security/redact.js";

export const DEMO_CHANNEL = "C0DEMO";
export const DEMO_ADMIN = "U0ADMIN";

export type StackOptions = {
  redisUrl: string;
  /** Queue prefix; every stack in a shared Redis needs its own. */
  prefix: string;
  /** Extra environment (AUTHORIZED_USERS, AUTOTASK_REQUIRED_ENTITIES, ...). */
  env?: Record<string, string>;
  autotask?: EmulatorOptions;
  /** Options of the Slack emulator (latency, per-channel posting limit); ignored with `shared`. */
  slackEmulator?: SlackEmulatorOptions;
  logLevel?: string;
  /** Where log lines go. @defaultValue nowhere */
  logDestination?: DestinationStream;
  scrubber?: SecretScrubber;
  role?: Role;
  stall?: RuntimeOptions["stall"];
  /** Faster retries of transient Autotask failures (tests). */
  retry?: RuntimeOptions["retry"];
  /** Reuse emulators of another stack (several bot processes, one Slack and Autotask): its `shared`. */
  shared?: SharedEmulators;
};

/** What several stacks share to act as processes of one deployment. */
export type SharedEmulators = {
  slack: SlackEmulator;
  autotask: AutotaskEmulator;
  credentialsKey: Buffer;
  signingSecret: string;
};

/**
 * Test-only observer of every stack in a process (the CI leak audit): it sees every log line at
 * debug level, every secret a stack is given, and each Slack emulator's calls when its stack closes.
 */
export type StackAudit = {
  /** Every log line, at debug level whatever the stack's own level. */
  logLine(line: string): void;
  /** A secret the stack was given (typed into the modal, or an emulated API user's) and its queue prefix. */
  secret(value: string): void;
  prefix(value: string): void;
  /** Everything the Slack emulator saw, once, when the stack that owns it closes. */
  slack(dump: { calls: unknown[]; ephemerals: unknown[]; responsePosts: unknown[] }): void;
};

let audit: StackAudit | null = null;

/** Installs (or with null removes) the audit of every stack started afterwards in this process. */
export function setStackAudit(sink: StackAudit | null): void {
  audit = sink;
}

/** Writes lines at or above `level` to `destination`, and every line to the audit. */
function auditedDestination(
  sink: StackAudit,
  level: string,
  destination: DestinationStream | undefined,
): DestinationStream {
  const threshold = levels.values[level] ?? Number.POSITIVE_INFINITY;
  return {
    write(line: string) {
      sink.logLine(line);
      const lineLevel = Number(/"level":(\d+)/.exec(line)?.[1] ?? Number.POSITIVE_INFINITY);
      if (destination && lineLevel >= threshold) destination.write(line);
    },
  };
}

export { type Credentials, fieldValues };

export type Stack = {
  slack: SlackEmulator;
  autotask: AutotaskEmulator;
  runtime: Runtime;
  config: Config;
  botUrl: string;
  signingSecret: string;
  credentialsKey: Buffer;
  /** Pass as another stack's `shared` option to make it a further process of this deployment. */
  shared: SharedEmulators;
  /** Sends `/autotask-connect <text>` as Slack would; resolves with the HTTP answer and the trigger used. */
  slashCommand(options: {
    userId?: string;
    channelId?: string;
    text?: string;
  }): Promise<SignedResponse & { triggerId: string; responseUrl: string }>;
  /** Opens the modal through the command, then submits it with these values. */
  submitCheck(
    credentials: Credentials,
    options?: { userId?: string; channelId?: string },
  ): Promise<{ viewId: string; answer: SignedResponse }>;
  /** Submits an already opened view (by id) again or with other values. */
  submitView(viewId: string, values: TypedValues, userId?: string): Promise<SignedResponse>;
  /** Clicks a button in a message (channelId, messageTs) or in the App Home tab (inHome). */
  clickButton(options: {
    userId?: string;
    channelId?: string;
    messageTs?: string;
    inHome?: boolean;
    actionId: string;
    value?: string;
  }): Promise<SignedResponse>;
  /** Opens the bot's App Home tab as this user (`app_home_opened`). */
  openAppHome(userId?: string): Promise<SignedResponse>;
  /** Resolves with the thread whose parent carries final metadata for this username. */
  waitForResult(
    username: string,
    options?: { channelId?: string; timeoutMs?: number },
  ): Promise<EmulatedThread>;
  close(): Promise<void>;
};

/** The thread of the check for `username` in this channel once its final state is written. */
export function finishedThread(
  slack: SlackEmulator,
  channelId: string,
  username: string,
): EmulatedThread | undefined {
  return slack
    .thread(channelId)
    .find(
      (thread) =>
        (thread.metadata as { event_payload?: { username?: string } } | undefined)?.event_payload
          ?.username === username && thread.replies.length > 0,
    );
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const slack = options.shared?.slack ?? (await startSlackEmulator(options.slackEmulator));
  const autotask = options.shared?.autotask ?? (await startAutotaskEmulator(options.autotask));
  const signingSecret = options.shared?.signingSecret ?? randomBytes(16).toString("hex");
  slack.setChannel(DEMO_CHANNEL, { kind: "public", botIsMember: true, name: "msp-ops" });
  slack.setUser(DEMO_ADMIN, { isAdmin: true, name: "dana" });

  const parsed = parseConfig(
    {
      SLACK_BOT_TOKEN: "xoxb-emulated-token",
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      PORT: "0",
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.prefix,
      AUTOTASK_ORIGIN_OVERRIDE: autotask.origin,
      LOG_LEVEL: options.logLevel ?? "silent",
      ...options.env,
    },
    { kind: "start", role: options.role ?? "all" },
  );
  if (!parsed.ok) throw new Error(parsed.message);
  const config = parsed.config;
  const auditing = audit;
  if (auditing) {
    auditing.prefix(options.prefix);
    auditing.secret(signingSecret);
    for (const user of options.autotask?.users ?? []) auditing.secret(user.secret);
    if (!options.shared) {
      const addUser = autotask.addUser.bind(autotask);
      autotask.addUser = (user) => {
        auditing.secret(user.secret);
        addUser(user);
      };
    }
  }
  // As `start` does: CREDENTIALS_KEY wins, so a split web/worker pair can be given mismatched keys.
  const credentialsKey = config.credentialsKey ?? options.shared?.credentialsKey ?? generateCredentialsKey();
  if (auditing) auditing.secret(credentialsKey.toString("base64"));
  const logger = createLogger({
    level: auditing ? "debug" : config.logLevel,
    pretty: false,
    destination: auditing
      ? auditedDestination(auditing, config.logLevel, options.logDestination)
      : (options.logDestination ?? { write: () => {} }),
    scrubber: options.scrubber,
  });
  const runtime = await startRuntime({
    config,
    role: options.role ?? "all",
    logger,
    credentialsKey,
    scrubber: options.scrubber,
    stall: options.stall,
    retry: options.retry,
  });
  const botUrl = `http://127.0.0.1:${runtime.port}/slack/events`;
  const person = createSlackUser({
    slack,
    botUrl,
    signingSecret,
    onSecretTyped: (secret) => auditing?.secret(secret),
  });

  const stack: Stack = {
    slack,
    autotask,
    runtime,
    config,
    botUrl,
    signingSecret,
    credentialsKey,
    shared: { slack, autotask, credentialsKey, signingSecret },

    slashCommand: ({ userId = DEMO_ADMIN, channelId = DEMO_CHANNEL, text = "" }) =>
      person.slashCommand({ userId, channelId, text }),
    submitCheck: (credentials, { userId = DEMO_ADMIN, channelId = DEMO_CHANNEL } = {}) =>
      person.submitCheck(credentials, { userId, channelId }),
    submitView: (viewId, values, userId = DEMO_ADMIN) => person.submitView(viewId, values, userId),
    clickButton: ({ userId = DEMO_ADMIN, ...click }) => person.clickButton({ userId, ...click }),
    openAppHome: (userId = DEMO_ADMIN) => person.openAppHome(userId),

    waitForResult(username, { channelId = DEMO_CHANNEL, timeoutMs = 15_000 } = {}) {
      return slack.waitFor(() => {
        const thread = finishedThread(slack, channelId, username);
        // The "Done" line may share its reply with the last steps.
        return thread?.replies.some((reply) => /(^|\n)Done: /.test(reply.text)) ? thread : undefined;
      }, timeoutMs);
    },

    async close() {
      await runtime.stop(2_000);
      if (!options.shared) {
        auditing?.slack({
          calls: slack.calls,
          ephemerals: slack.ephemerals,
          responsePosts: slack.responsePosts,
        });
        await slack.close();
        await autotask.close();
      }
    },
  };
  return stack;
}

export type { EmulatedApiUser };
