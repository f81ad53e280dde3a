/**
 * `autotask-connect watches [--json]`: every watch kept in Redis (all workspaces), for operators.
 * Reads REDIS_URL / REDIS_CLUSTER_NODES and QUEUE_PREFIX; never shows a secret or a tracking identifier.
 */
import { parseArgs } from "node:util";
import { parseConfig } from "../config.js";
import { withDeadline } from "../ops/deadline.js";
import { connectRedis } from "../queue/redis.js";
import { createWatchScheduler } from "../watch/scheduler.js";
import { createWatchStore, type WatchRecord } from "../watch/store.js";
import { type CommandIO, EXIT } from "./command.js";

const USAGE = `Usage: autotask-connect watches [--json]

Lists every watch kept in Redis (REDIS_URL, QUEUE_PREFIX): workspace, channel, API username,
kind, Domain, last result and when, next run. --json prints one JSON array.
`;

/** One watch as the CLI prints it. No secret, no tracking identifier. */
export type WatchSummary = {
  id: string;
  teamId: string;
  channelId: string;
  threadTs: string;
  kind: WatchRecord["kind"];
  username: string;
  /** A credentials watch that holds an encrypted secret now (false once Autotask rejected it). */
  keepsSecret: boolean;
  apiUrl: string | null;
  zone: string | null;
  lastOutcome: string | null;
  lastCode: string | null;
  lastRunAt: string | null;
  nextRunAt: string | null;
  createdBy: string;
  createdAt: string;
};

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

export async function run(io: CommandIO): Promise<number> {
  let json = false;
  try {
    const { values } = parseArgs({
      args: io.argv,
      options: { json: { type: "boolean", default: false }, help: { type: "boolean", short: "h" } },
      strict: true,
    });
    if (values.help) {
      io.stdout.write(USAGE);
      return EXIT.ok;
    }
    json = values.json ?? false;
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const parsed = parseConfig(io.env, { kind: "cli" });
  if (!parsed.ok) {
    io.stderr.write(`${parsed.message}\n`);
    return EXIT.usage;
  }
  const { config } = parsed;
  // Queues commands until connected (a fresh process has no connection yet); the deadline below bounds it.
  const redis = connectRedis(config.redis, "worker", "ignore");
  const store = createWatchStore(redis, config.queuePrefix);
  const scheduler = createWatchScheduler({
    connection: redis,
    prefix: config.queuePrefix,
    intervalSeconds: config.watch.intervalSeconds,
  });
  try {
    const summaries = await withDeadline(
      (async () => {
        const watches = await store.listAll();
        return Promise.all(
          watches.map(async (watch): Promise<WatchSummary> => {
            const sealed = watch.kind === "credentials" ? await store.sealedSecret(watch.id) : null;
            return {
              id: watch.id,
              teamId: watch.teamId,
              channelId: watch.channelId,
              threadTs: watch.threadTs,
              kind: watch.kind,
              username: watch.username,
              keepsSecret: sealed !== null,
              apiUrl: watch.last?.apiUrl ?? null,
              zone: watch.last?.zone ?? null,
              lastOutcome: watch.last?.outcome ?? null,
              lastCode: watch.last?.code ?? null,
              lastRunAt: iso(watch.last?.at),
              nextRunAt: iso(await scheduler.nextRunAt(watch.id)),
              createdBy: watch.createdBy,
              createdAt: iso(watch.createdAt) as string,
            };
          }),
        );
      })(),
      10_000,
      () => null,
    );
    if (summaries === null) throw new Error("Redis did not answer within 10 s");
    io.stdout.write(json ? `${JSON.stringify(summaries, null, 2)}\n` : formatWatches(summaries));
    return EXIT.ok;
  } catch (error) {
    io.stderr.write(
      `Could not read the watches from Redis (${config.redis.url}): ${(error as Error).message}\n`,
    );
    return EXIT.failed;
  } finally {
    await scheduler.close().catch(() => {});
    await withDeadline(redis.quit(), 1_000, () => null).catch(() => redis.disconnect());
  }
}

/** The readable form: one line per watch. */
export function formatWatches(summaries: WatchSummary[]): string {
  if (summaries.length === 0) return "No watches.\n";
  const lines = summaries.map(
    (s) =>
      `${s.teamId}  #${s.channelId}  ${s.username}  ${s.kind}${s.keepsSecret ? " (keeps an encrypted secret)" : ""}  ` +
      `Domain ${s.apiUrl ?? "-"}  last ${s.lastCode ?? "-"} at ${s.lastRunAt ?? "-"}  next ${s.nextRunAt ?? "-"}  id ${s.id}`,
  );
  return `${summaries.length} watch${summaries.length === 1 ? "" : "es"}:\n${lines.join("\n")}\n`;
}
