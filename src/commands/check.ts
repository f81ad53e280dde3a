/**
 * `autotask-connect check --username U --tracking-id T [--portal-url P] [--json]`: the whole
 * validation without Slack. Exit 0 ok or warning, 1 failed, 2 usage.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { createOneAttemptBudget, type LoginBudget, loginInFlightMs } from "../autotask/budget.js";
import { runCheck } from "../autotask/check.js";
import { createAutotaskClient } from "../autotask/client.js";
import { resolvePortalUrl } from "../autotask/domain.js";
import type { CheckResult, CheckStatus } from "../autotask/result.js";
import { type Config, parseConfig } from "../config.js";
import { createOutboundDispatcher } from "../ops/proxy.js";
import { connectRedis, pingRedis, type RedisClient } from "../queue/redis.js";
import { createRedisLoginBudget } from "../state/login-budget.js";
import { type CommandIO, EXIT } from "./command.js";
import { promptHidden } from "./secret-prompt.js";

const USAGE = `Usage: autotask-connect check --username U --tracking-id T [--portal-url P] [--json]

  --username      the API user's username (Admin > Resources/Users > the API user)
  --tracking-id   the API tracking identifier of that user
  --portal-url    optional: the address of your Autotask portal, e.g. https://ww5.autotask.net
  --json          print the result as one JSON object

The secret is read from AUTOTASK_SECRET, or asked for without echo when run in a terminal.
Login attempts count against the same budget as the bot's (3 per API username in 15 minutes
may fail) when Redis answers at REDIS_URL (default redis://127.0.0.1:6379); without Redis, one
login attempt per run.
`;

/** Said on stderr when no Redis answers: the run cannot share the bot's login budget. */
export const NO_REDIS_NOTE =
  "Redis (REDIS_URL) did not answer, so this run cannot count login attempts with the bot's: it makes one login attempt at most and retries none (Autotask locks an API user after repeated failed logins).\n";

/**
 * The login budget of a run: the bot's, in Redis, when Redis answers within a second; otherwise one
 * login attempt for the run. `close` ends the Redis connection.
 */
async function openBudget(
  config: Config,
  stderr: NodeJS.WritableStream,
): Promise<{ budget: LoginBudget; close: () => Promise<void> }> {
  const redis: RedisClient = connectRedis(config.redis, "fail-fast", "ignore");
  // A fail-fast connection refuses commands until it is ready: wait for that first.
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 1_000);
    redis.once("ready", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (ready && (await pingRedis(redis, 1_000))) {
    return {
      budget: createRedisLoginBudget({
        redis,
        prefix: config.queuePrefix,
        inFlightMs: loginInFlightMs(config.autotask.timeoutMs),
      }),
      close: async () => {
        await redis.quit().catch(() => redis.disconnect());
      },
    };
  }
  redis.disconnect();
  stderr.write(NO_REDIS_NOTE);
  return { budget: createOneAttemptBudget(), close: async () => {} };
}

// What an HTTP header value can carry (visible Latin-1): the client refuses anything else, and the
// check would end as if Autotask were unreachable.
const SENDABLE = /^[\x20-\x7e\x80-\xff]*$/;
const UNSENDABLE =
  "contains characters that cannot be sent to Autotask (a line break, a control character, or one such as € or an emoji)";

const MARKS: Record<CheckStatus, string> = { pass: "[pass]", warn: "[warn]", fail: "[FAIL]", skip: "[skip]" };

/** The readable form: a line per check with its mark, usage, the Domain to paste and the advice. */
export function formatCheckResult(result: CheckResult): string {
  const lines = [`Result: ${result.outcome} (${result.code})`, ""];
  for (const check of result.checks)
    lines.push(`${MARKS[check.status]} ${check.name.padEnd(11)} ${check.detail}`);
  lines.push("");
  if (result.usage) {
    const { used, limit, timeframeMinutes } = result.usage;
    lines.push(
      `Usage:   ${used.toLocaleString("en-US")} of ${limit.toLocaleString("en-US")} requests in ${timeframeMinutes} minutes`,
    );
  }
  // The Domain is proven once Autotask accepted the credentials there.
  const proven = result.checks.some((check) => check.name === "credentials" && check.status === "pass");
  if (result.apiUrl && proven) lines.push(`Domain:  ${result.apiUrl}`);
  lines.push(`Advice:  ${result.advice}`, "");
  return lines.join("\n");
}

export async function run(io: CommandIO): Promise<number> {
  const usageError = (message: string) => {
    io.stderr.write(`${message}\n\n${USAGE}`);
    return EXIT.usage;
  };
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(io.argv).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const username = values.username?.trim() ?? "";
  const trackingId = values["tracking-id"]?.trim() ?? "";
  const portalUrl = values["portal-url"]?.trim() ?? "";
  if (username === "") return usageError("--username is required.");
  if (trackingId === "") return usageError("--tracking-id is required.");
  if (!SENDABLE.test(username)) return usageError(`--username ${UNSENDABLE}.`);
  if (!SENDABLE.test(trackingId)) return usageError(`--tracking-id ${UNSENDABLE}.`);
  if (portalUrl !== "") {
    const resolved = resolvePortalUrl(portalUrl);
    if (!resolved.ok) return usageError(`--portal-url cannot be used: ${resolved.reason}.`);
  }
  const config = parseConfig(io.env, { kind: "cli" });
  if (!config.ok) {
    io.stderr.write(`${config.message}\n`);
    return EXIT.usage;
  }
  const secret = await readSecret(io);
  if (secret === null) {
    return usageError("No secret: set AUTOTASK_SECRET, or run the command in a terminal to be asked for it.");
  }
  if (!SENDABLE.test(secret)) return usageError(`The secret ${UNSENDABLE}.`);

  const controller = new AbortController();
  const cancel = () => controller.abort();
  process.once("SIGINT", cancel);
  const { budget, close } = await openBudget(config.config, io.stderr);
  try {
    const { autotask } = config.config;
    const result = await runCheck(
      { requestId: randomUUID(), portalUrl, username, secret, trackingId },
      {
        client: createAutotaskClient({
          timeoutMs: autotask.timeoutMs,
          originOverride: autotask.originOverride,
          dispatcher: createOutboundDispatcher(config.config.proxy),
        }),
        requiredEntities: autotask.requiredEntities,
        budget,
        signal: controller.signal,
      },
    );
    io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatCheckResult(result));
    return result.outcome === "failed" ? EXIT.failed : EXIT.ok;
  } finally {
    process.removeListener("SIGINT", cancel);
    await close();
  }
}

async function readSecret(io: CommandIO): Promise<string | null> {
  const fromEnv = io.env.AUTOTASK_SECRET;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!io.stdin.isTTY) return null;
  const typed = await promptHidden(io.stdin, io.stderr, "Autotask API secret (not shown): ");
  return typed === null || typed === "" ? null : typed;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      username: { type: "string" },
      "tracking-id": { type: "string" },
      "portal-url": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
    strict: true,
  });
}
