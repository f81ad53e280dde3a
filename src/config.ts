/**
 * The whole environment of the contract (DESIGN.md Part B, "Environment"), parsed in one place.
 * Nothing else reads process.env.
 */
import { z } from "zod";

export type Role = "all" | "web" | "worker";
/** What the configuration is for: running the bot in a role, or a CLI command that needs no Slack. */
export type ConfigPurpose = { kind: "start"; role: Role } | { kind: "cli" };

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const positiveInt = (fallback: number, max: number) => {
  const message = `a whole number from 1 to ${max}, default ${fallback}`;
  return z.coerce
    .number({ message })
    .int({ message })
    .min(1, { message })
    .max(max, { message })
    .default(fallback);
};

const hostPort = /^[A-Za-z0-9.-]+:[0-9]{1,5}$/;

const envSchema = z.object({
  SLACK_BOT_TOKEN: optionalText.pipe(
    z.string().startsWith("xoxb-", { message: "a bot token starting with xoxb-" }).optional(),
  ),
  SLACK_SIGNING_SECRET: optionalText.pipe(
    z
      .string()
      .regex(/^[0-9a-f]{16,}$/i, { message: "the app's signing secret (hex)" })
      .optional(),
  ),
  SLACK_APP_TOKEN: optionalText.pipe(
    z.string().startsWith("xapp-", { message: "an app-level token starting with xapp-" }).optional(),
  ),
  SLACK_API_URL: optionalText.pipe(
    z
      .url({
        protocol: /^https?$/,
        message: "an http(s) URL ending in /api/, e.g. http://127.0.0.1:4001/api/",
      })
      .optional(),
  ),
  PORT: z.coerce
    .number({ message: "a TCP port number, e.g. 3000" })
    .int({ message: "a TCP port number, e.g. 3000" })
    .min(0, { message: "a TCP port number, e.g. 3000" })
    .max(65_535, { message: "a TCP port number, e.g. 3000" })
    .default(3000),
  REDIS_URL: optionalText.pipe(
    z
      .url({ protocol: /^rediss?$/, message: "a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379" })
      .optional(),
  ),
  REDIS_CLUSTER_NODES: optionalText.pipe(
    z
      .string()
      .transform((value) => value.split(",").map((node) => node.trim()))
      .refine((nodes) => nodes.every((node) => hostPort.test(node)), {
        message: "comma-separated host:port pairs, e.g. 10.0.0.1:7000,10.0.0.2:7000",
      })
      .optional(),
  ),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[^\s:]+$/, { message: "a key prefix without spaces or colons, e.g. {autotask-connect}" })
    .default("{autotask-connect}"),
  CREDENTIALS_KEY: optionalText.pipe(
    z
      .string()
      .refine((value) => Buffer.from(value, "base64").length === 32 && /^[A-Za-z0-9+/]+=*$/.test(value), {
        message: "base64 of 32 random bytes, e.g. the output of: openssl rand -base64 32",
      })
      .transform((value) => Buffer.from(value, "base64"))
      .optional(),
  ),
  WORKER_CONCURRENCY: positiveInt(10, 1_000),
  AUTHORIZED_USERS: z
    .string()
    .trim()
    .default("admins")
    .transform((value) => value.split(",").map((entry) => entry.trim()))
    .refine(
      (entries) =>
        entries.length === 1
          ? ["admins", "*"].includes(entries[0] as string) || /^[UW][A-Z0-9]{2,}$/.test(entries[0] as string)
          : entries.every((entry) => /^[UW][A-Z0-9]{2,}$/.test(entry)),
      { message: "admins, * or comma-separated Slack user IDs such as U012ABCDEF" },
    )
    .transform((entries): AuthorizedUsers => {
      if (entries[0] === "admins") return { kind: "admins" };
      if (entries[0] === "*") return { kind: "everyone" };
      return { kind: "listed", userIds: entries };
    }),
  AUTOTASK_REQUIRED_ENTITIES: z
    .string()
    .default("Companies,Tickets")
    .transform((value) =>
      value
        .split(",")
        .map((entity) => entity.trim())
        .filter((entity) => entity !== ""),
    )
    .refine((entities) => entities.every((entity) => /^[A-Za-z][A-Za-z0-9]*$/.test(entity)), {
      message: "comma-separated Autotask entity names, e.g. Companies,Tickets",
    }),
  AUTOTASK_ORIGIN_OVERRIDE: optionalText.pipe(
    z
      .url({ protocol: /^https?$/, message: "an http(s) origin such as http://127.0.0.1:4002 (tests only)" })
      .transform((value) => value.replace(/\/+$/, ""))
      .optional(),
  ),
  AUTOTASK_TIMEOUT_MS: positiveInt(10_000, 120_000),
  CHECKS_PER_USER_PER_HOUR: positiveInt(20, 10_000),
  CHECKS_PER_WORKSPACE_PER_HOUR: positiveInt(200, 100_000),
  HTTPS_PROXY: optionalText.pipe(
    z.url({ protocol: /^https?$/, message: "a proxy URL such as http://proxy.example:3128" }).optional(),
  ),
  NO_PROXY: optionalText,
  LOG_LEVEL: z.enum(LOG_LEVELS, { message: LOG_LEVELS.join(", ") }).default("info"),
  WATCH_INTERVAL_SECONDS: z.coerce
    .number({ message: "a whole number of seconds, at least 10, default 86400 (a day)" })
    .int({ message: "a whole number of seconds, at least 10, default 86400 (a day)" })
    .min(10, { message: "a whole number of seconds, at least 10, default 86400 (a day)" })
    .max(366 * 86_400, { message: "a whole number of seconds, at least 10, default 86400 (a day)" })
    .default(86_400),
  WATCHES_PER_WORKSPACE: positiveInt(100, 100_000),
  CREDENTIALS_KEY_PREVIOUS: optionalText.pipe(
    z
      .string()
      .refine((value) => Buffer.from(value, "base64").length === 32 && /^[A-Za-z0-9+/]+=*$/.test(value), {
        message: "base64 of 32 bytes: the CREDENTIALS_KEY in use before the rotation",
      })
      .transform((value) => Buffer.from(value, "base64"))
      .optional(),
  ),
});

export type AuthorizedUsers =
  | { kind: "admins" }
  | { kind: "everyone" }
  | { kind: "listed"; userIds: string[] };

type Env = z.infer<typeof envSchema>;

/** Every environment variable the bot reads (for .env.example and docker-compose checks). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export type Config = {
  slack: { botToken?: string; signingSecret?: string; appToken?: string; apiUrl?: string };
  /** HTTP port of the Slack receiver and the ops endpoints. @defaultValue 3000 */
  port: number;
  redis: { url: string; clusterNodes?: string[] };
  /** BullMQ key prefix, hash-tagged so every key of a queue lands in one Redis Cluster slot. */
  queuePrefix: string;
  /** AES-256-GCM key for secrets in job data; absent in single-process mode without one. */
  credentialsKey?: Buffer;
  /** @defaultValue 10 */
  workerConcurrency: number;
  authorizedUsers: AuthorizedUsers;
  autotask: {
    requiredEntities: string[];
    /** Tests and emulators only: every Autotask request goes here, real host as first path segment. */
    originOverride?: string;
    /** Deadline of one Autotask request in milliseconds. @defaultValue 10_000 */
    timeoutMs: number;
  };
  /** Abuse limits on submitted checks, per Slack user and per workspace, in a sliding hour. */
  limits: { checksPerUserPerHour: number; checksPerWorkspacePerHour: number };
  /**
   * Outbound proxy for Slack and Autotask (HTTPS_PROXY / NO_PROXY, or their lower-case forms).
   * `url` unset: connect directly. `noProxy`: comma-separated hosts (and subdomains), `host:port`
   * or `*`, reached directly. The Autotask allow-list applies to the target host either way.
   */
  proxy: { url?: string; noProxy?: string };
  logLevel: (typeof LOG_LEVELS)[number];
  /** Watches: saved connections re-checked on a schedule. */
  watch: {
    /** Seconds between two runs of one watch (minimum 10). @defaultValue 86_400 */
    intervalSeconds: number;
    /** Most watches one workspace may keep. @defaultValue 100 */
    perWorkspace: number;
  };
  /** The key before a rotation: kept secrets sealed under it are read, then re-sealed under credentialsKey. */
  credentialsKeyPrevious?: Buffer;
};

function toConfig(env: Env): Config {
  return {
    slack: {
      botToken: env.SLACK_BOT_TOKEN,
      signingSecret: env.SLACK_SIGNING_SECRET,
      appToken: env.SLACK_APP_TOKEN,
      apiUrl: env.SLACK_API_URL,
    },
    port: env.PORT,
    redis: { url: env.REDIS_URL ?? "redis://127.0.0.1:6379", clusterNodes: env.REDIS_CLUSTER_NODES },
    queuePrefix: env.QUEUE_PREFIX,
    credentialsKey: env.CREDENTIALS_KEY,
    workerConcurrency: env.WORKER_CONCURRENCY,
    authorizedUsers: env.AUTHORIZED_USERS,
    autotask: {
      requiredEntities: env.AUTOTASK_REQUIRED_ENTITIES,
      originOverride: env.AUTOTASK_ORIGIN_OVERRIDE,
      timeoutMs: env.AUTOTASK_TIMEOUT_MS,
    },
    limits: {
      checksPerUserPerHour: env.CHECKS_PER_USER_PER_HOUR,
      checksPerWorkspacePerHour: env.CHECKS_PER_WORKSPACE_PER_HOUR,
    },
    proxy: { url: env.HTTPS_PROXY, noProxy: env.NO_PROXY },
    logLevel: env.LOG_LEVEL,
    watch: { intervalSeconds: env.WATCH_INTERVAL_SECONDS, perWorkspace: env.WATCHES_PER_WORKSPACE },
    credentialsKeyPrevious: env.CREDENTIALS_KEY_PREVIOUS,
  };
}

/** The lower-case proxy variables many tools set; the upper-case ones win when both are set. */
const LOWER_CASE_ALIASES: Record<string, string> = { https_proxy: "HTTPS_PROXY", no_proxy: "NO_PROXY" };

export type ConfigResult = { ok: true; config: Config } | { ok: false; message: string };

const REQUIRED_FOR_START: Record<string, string> = {
  SLACK_BOT_TOKEN: "the bot token from your Slack app's OAuth & Permissions page (xoxb-...)",
};

/**
 * Parses the environment for a purpose. On failure the message names every bad variable and
 * what it should look like, so one start-up attempt shows all that needs fixing.
 */
export function parseConfig(env: NodeJS.ProcessEnv, purpose: ConfigPurpose): ConfigResult {
  // An empty variable (PORT= in a .env file) means "not set", not "" or 0.
  const present: Record<string, string> = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== "",
    ),
  );
  for (const [lower, upper] of Object.entries(LOWER_CASE_ALIASES)) {
    const value = present[lower];
    if (value !== undefined && present[upper] === undefined) present[upper] = value;
  }
  const parsed = envSchema.safeParse(present);
  const problems = new Map<string, string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? "environment");
      if (!problems.has(name)) problems.set(name, issue.message);
    }
  }
  if (purpose.kind === "start") {
    for (const [name, expected] of Object.entries(REQUIRED_FOR_START)) {
      if (!env[name]?.trim() && !problems.has(name)) problems.set(name, `required: ${expected}`);
    }
    const socketMode = Boolean(env.SLACK_APP_TOKEN?.trim());
    if (purpose.role !== "worker" && !socketMode && !env.SLACK_SIGNING_SECRET?.trim()) {
      problems.set(
        "SLACK_SIGNING_SECRET",
        "required in HTTP mode: the signing secret from your Slack app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)",
      );
    }
    if (purpose.role !== "all" && !env.CREDENTIALS_KEY?.trim() && !problems.has("CREDENTIALS_KEY")) {
      problems.set(
        "CREDENTIALS_KEY",
        "required when web and worker run as separate processes: base64 of 32 random bytes (openssl rand -base64 32), the same in every process",
      );
    }
  }
  if (problems.size > 0 || !parsed.success) {
    const lines = [...problems].map(([name, expected]) => `  ${name}: ${expected}`);
    return { ok: false, message: `The configuration is not valid:\n${lines.join("\n")}` };
  }
  return { ok: true, config: toConfig(parsed.data) };
}
