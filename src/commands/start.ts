/**
 * `autotask-connect start [--role all|web|worker]`: runs the bot. With no REDIS_URL and nothing on
 * 127.0.0.1:6379 it starts a private redis-server under ./.data/redis; in single-process mode
 * without CREDENTIALS_KEY it keeps a generated key in ./.data/credentials.key.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Config, parseConfig, type Role } from "../config.js";
import { type EmbeddedRedis, redisAnswers, startEmbeddedRedis } from "../ops/embedded-redis.js";
import { createLogger } from "../ops/logger.js";
import { SlackTokenRejectedError, startRuntime } from "../runtime.js";
import { loadOrCreateKeyFile } from "../security/key-file.js";
import type { CommandIO } from "./command.js";

const ROLES: readonly Role[] = ["all", "web", "worker"];
const DATA_DIR = resolve(".data");

const SLACK_SETUP_HELP = `
To connect the bot to Slack:
  1. Create the app from manifest.yml (https://api.slack.com/apps > Create New App > From a manifest).
  2. Install it to your workspace and copy the Bot User OAuth Token (xoxb-...) into SLACK_BOT_TOKEN.
  3. Copy the Signing Secret (Basic Information) into SLACK_SIGNING_SECRET,
     or an app-level token (xapp-...) into SLACK_APP_TOKEN for Socket Mode.
See README.md, "Create the Slack app". To see the bot work without Slack: npm run demo`;

export async function run({ argv, env, stderr }: CommandIO): Promise<number> {
  let role: Role;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { role: { type: "string", default: "all" } },
      strict: true,
    });
    if (!ROLES.includes(values.role as Role)) throw new Error(`--role must be one of ${ROLES.join(", ")}`);
    role = values.role as Role;
  } catch (error) {
    stderr.write(`autotask-connect start: ${(error as Error).message}\n`);
    return 2;
  }

  const parsed = parseConfig(env, { kind: "start", role });
  if (!parsed.ok) {
    const slackMissing = /SLACK_BOT_TOKEN: required|SLACK_SIGNING_SECRET: required/.test(parsed.message);
    stderr.write(`${parsed.message}\n${slackMissing ? `${SLACK_SETUP_HELP}\n` : ""}`);
    return 2;
  }
  let config: Config = parsed.config;
  const logger = createLogger({ level: config.logLevel });
  if (config.autotask.originOverride) {
    logger.warn(
      { origin: config.autotask.originOverride },
      "AUTOTASK_ORIGIN_OVERRIDE is set: every Autotask request, credentials included, goes to this origin. It is for tests and emulators only.",
    );
  }

  let embedded: EmbeddedRedis | null = null;
  if (!env.REDIS_URL && !config.redis.clusterNodes && !(await redisAnswers("127.0.0.1", 6379))) {
    try {
      embedded = await startEmbeddedRedis({ dir: resolve(DATA_DIR, "redis") });
    } catch (error) {
      logger.fatal((error as Error).message);
      return 1;
    }
    logger.info(
      { url: embedded.url, dir: resolve(DATA_DIR, "redis") },
      "no Redis configured or running: started a private redis-server (AOF on)",
    );
    config = { ...config, redis: { ...config.redis, url: embedded.url } };
  }

  let credentialsKey = config.credentialsKey;
  if (!credentialsKey) {
    const keyFile = loadOrCreateKeyFile(resolve(DATA_DIR, "credentials.key"));
    if ("error" in keyFile) {
      logger.fatal(`CREDENTIALS_KEY is not set and ${keyFile.error}`);
      await embedded?.stop();
      return 1;
    }
    credentialsKey = keyFile.key;
    logger.warn(
      { created: keyFile.created },
      "CREDENTIALS_KEY is not set: using the key in .data/credentials.key (single-process mode only; set CREDENTIALS_KEY when you split roles)",
    );
  }

  let runtime: Awaited<ReturnType<typeof startRuntime>>;
  try {
    runtime = await startRuntime({ config, role, logger, credentialsKey });
  } catch (error) {
    // A refused token is a configuration error with one line to say it, not a stack trace.
    if (error instanceof SlackTokenRejectedError)
      logger.fatal({ slackError: error.slackError }, error.message);
    else logger.fatal({ message: (error as Error).message }, "could not start");
    await embedded?.stop();
    return 1;
  }

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = async (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, "stopping: no new requests, letting active checks finish");
      await runtime.stop();
      await embedded?.stop();
      logger.info("stopped");
      resolveExit(0);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    // Slack refused the token on a retry after start-up (it was unreachable at first).
    void runtime.fatal.then(async (line) => {
      if (stopping) return;
      stopping = true;
      logger.fatal(line);
      await runtime.stop();
      await embedded?.stop();
      resolveExit(1);
    });
  });
}
