/**
 * Child process: the bot under test, exactly as `autotask-connect start` runs it (web and worker
 * in one process, AUTHORIZED_USERS=admins, LOG_LEVEL=info to standard output, which the runner
 * points at /dev/null; abuse limits raised, not removed), wired to the emulators through SLACK_API_URL and AUTOTASK_ORIGIN_OVERRIDE.
 */
import { parseConfig, type Role } from "../src/config.js";
import { createLogger } from "../src/ops/logger.js";
import { type Runtime, startRuntime } from "../src/runtime.js";
import { generateCredentialsKey } from "../src/security/envelope.js";
import { serve } from "./lib/ipc.js";
import { readMemory } from "./lib/memory.js";

export type BotStartArgs = {
  slackApiUrl: string;
  autotaskOrigin: string;
  redisUrl: string;
  prefix: string;
  signingSecret: string;
  /** @defaultValue "all" */
  role?: Role;
  /** Extra environment, e.g. WORKER_CONCURRENCY. */
  env?: Record<string, string>;
};

let runtime: Runtime | undefined;

serve({
  async start(args: BotStartArgs): Promise<{ eventsUrl: string }> {
    const role = args.role ?? "all";
    const parsed = parseConfig(
      {
        SLACK_BOT_TOKEN: "xoxb-bench-token",
        SLACK_SIGNING_SECRET: args.signingSecret,
        SLACK_API_URL: args.slackApiUrl,
        PORT: "0",
        REDIS_URL: args.redisUrl,
        QUEUE_PREFIX: args.prefix,
        AUTOTASK_ORIGIN_OVERRIDE: args.autotaskOrigin,
        AUTHORIZED_USERS: "admins",
        // The abuse limits stay on the path (each command and submission consults them in
        // Redis), raised so thousands of checks an hour from 20 people in one workspace fit.
        CHECKS_PER_USER_PER_HOUR: "10000",
        CHECKS_PER_WORKSPACE_PER_HOUR: "100000",
        LOG_LEVEL: "info",
        ...args.env,
      },
      { kind: "start", role },
    );
    if (!parsed.ok) throw new Error(parsed.message);
    const config = parsed.config;
    const logger = createLogger({ level: config.logLevel, pretty: false });
    // Split roles share one key (CREDENTIALS_KEY in `env`); a single process makes its own.
    const credentialsKey = config.credentialsKey ?? generateCredentialsKey();
    runtime = await startRuntime({ config, role, logger, credentialsKey });
    return { eventsUrl: `http://127.0.0.1:${runtime.port}/slack/events` };
  },
  memory: (collect: boolean) => readMemory(collect),
  async stop() {
    await runtime?.stop(5_000);
  },
});
