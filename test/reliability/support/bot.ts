/**
 * A bot process for the fault tests: what `autotask-connect start` runs, plus the test hooks a
 * process cannot get from the environment (fast stalled-job takeover, a short shutdown grace, fast
 * retries). Usage: `node --import tsx test/reliability/support/bot.ts <all|web|worker>` with the
 * bot's usual environment and TEST_LOCK_MS, TEST_STALLED_INTERVAL_MS, TEST_GRACE_MS.
 * TEST_STALL=production keeps the worker's own lock and stalled-sweep timing (the contract's
 * 10 s recovery is measured with it). TEST_BUSY_MS=N keeps the event loop busy N ms out of every
 * N + 100 ms (a worker loaded with CPU work), from the start.
 */
import { parseConfig, type Role } from "../../../src/config.js";
import { createLogger } from "../../../src/ops/logger.js";
import { startRuntime } from "../../../src/runtime.js";
import { generateCredentialsKey } from "../../../src/security/envelope.js";

const role = (process.argv[2] ?? "all") as Role;
const parsed = parseConfig(process.env, { kind: "start", role });
if (!parsed.ok) {
  process.stderr.write(`${parsed.message}\n`);
  process.exit(2);
}
const { config } = parsed;
const logger = createLogger({ level: config.logLevel, pretty: false });
const number = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const runtime = await startRuntime({
  config,
  role,
  logger,
  credentialsKey: config.credentialsKey ?? generateCredentialsKey(),
  stall:
    process.env.TEST_STALL === "production"
      ? undefined
      : {
          lockDurationMs: number("TEST_LOCK_MS", 1_000),
          stalledIntervalMs: number("TEST_STALLED_INTERVAL_MS", 300),
        },
  retry: { jobBackoffMs: 50, autotask: { baseDelayMs: 1, maxDelayMs: 20 } },
});

const busyMs = number("TEST_BUSY_MS", 0);
if (busyMs > 0) {
  setInterval(() => {
    const until = Date.now() + busyMs;
    while (Date.now() < until) {
      // CPU work that holds the event loop, as a loaded worker's does.
    }
  }, 100).unref();
}

// As `start` does: stop gracefully, then let the event loop end (no process.exit).
process.once("SIGTERM", async () => {
  logger.info({ signal: "SIGTERM" }, "stopping: no new requests, letting active checks finish");
  await runtime.stop(number("TEST_GRACE_MS", 20_000));
  logger.info("stopped");
});
