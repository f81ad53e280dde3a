/**
 * The baseline for the queue side: BullMQ and undici doing the same HTTP calls per job as the bot,
 * and nothing else. Per job: zoneInformation, ThresholdInformation and two entity queries to the
 * Autotask emulator; chat.postMessage for the parent, six thread replies and the final
 * chat.update with message metadata to the Slack emulator, in the bot's order.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { request } from "undici";

export type BareJob = {
  viewId: string;
  channelId: string;
  username: string;
  secret: string;
  trackingId: string;
};

export type BarePipelineOptions = {
  redisUrl: string;
  prefix: string;
  /** Jobs in flight, as the bot's WORKER_CONCURRENCY. */
  concurrency: number;
  slackApiUrl: string;
  autotaskOrigin: string;
};

export type BarePipeline = { enqueue(job: BareJob): Promise<void>; close(): Promise<void> };

const API = "/atservicesrest/v1.0";
const PROBE = encodeURIComponent(
  JSON.stringify({ MaxRecords: 1, IncludeFields: ["id"], filter: [{ op: "gte", field: "id", value: 0 }] }),
);

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await request(url, { headers: { accept: "application/json", ...headers } });
  return response.body.json();
}

export function startBarePipeline(options: BarePipelineOptions): BarePipeline {
  const queueConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const workerConnection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue<BareJob>("bare", { connection: queueConnection, prefix: options.prefix });

  async function slack(method: string, args: Record<string, unknown>): Promise<{ ts?: string }> {
    const response = await request(`${options.slackApiUrl}${method}`, {
      method: "POST",
      headers: {
        authorization: "Bearer xoxb-bench-token",
        "content-type": "application/json; charset=utf-8",
      },
      body: JSON.stringify(args),
    });
    return (await response.body.json()) as { ts?: string };
  }

  const worker = new Worker<BareJob>(
    "bare",
    async (job) => {
      const { channelId: channel, username, secret, trackingId } = job.data;
      const parent = await slack("chat.postMessage", { channel, text: `Checking ${username}…` });
      const reply = (text: string) => slack("chat.postMessage", { channel, thread_ts: parent.ts, text });
      await reply("Queued.");
      await reply("Domain: pass.");
      const zone = (await getJson(
        `${options.autotaskOrigin}/webservices.autotask.net${API}/zoneInformation?user=${encodeURIComponent(username)}`,
      )) as { url: string };
      const host = new URL(zone.url).host;
      await reply("Zone: pass.");
      const auth = { ApiIntegrationCode: trackingId, UserName: username, Secret: secret };
      await getJson(`${options.autotaskOrigin}/${host}${API}/ThresholdInformation`, auth);
      await reply("Credentials: pass.");
      for (const entity of ["Companies", "Tickets"]) {
        await getJson(`${options.autotaskOrigin}/${host}${API}/${entity}/query?search=${PROBE}`, auth);
      }
      await reply("Permissions: pass.");
      await slack("chat.update", {
        channel,
        ts: parent.ts,
        text: `${username}: ok`,
        metadata: { event_type: "autotask_connection_checked", event_payload: { username, outcome: "ok" } },
      });
      await reply("Done.");
    },
    { connection: workerConnection, prefix: options.prefix, concurrency: options.concurrency },
  );

  return {
    async enqueue(job) {
      await queue.add("check", job, {
        jobId: `view-${job.viewId}`,
        removeOnComplete: { count: 1_000 },
        removeOnFail: { count: 1_000 },
      });
    },
    async close() {
      await worker.close();
      await queue.close();
      await workerConnection.quit();
      await queueConnection.quit();
    },
  };
}
