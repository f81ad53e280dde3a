/**
 * The baseline for the queue side: BullMQ and undici making a check's HTTP calls, and nothing else.
 * Per job: zoneInformation, ThresholdInformation and two entity queries to the Autotask emulator,
 * and to the Slack emulator, by default ("issue"), the calls the bot made when issue 12 set its
 * targets: chat.postMessage for the parent, six thread replies and the final chat.update with
 * message metadata, probes one after another. With "bot", the calls the bot makes now: the
 * parent, the probes at once, the final update and one reply. With "bodies", those same calls
 * with the bot's message bodies, as JSON through undici; with "webclient", the same through the
 * Slack WebClient as the bot builds its posting client. Between them, what the bodies and what the
 * WebClient cost, without the rest of the bot.
 */
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { request } from "undici";
import { createLogger } from "../../src/ops/logger.js";
import { createPostingClient } from "../../src/slack/app.js";
import { PARENT_BODY, REPLY_BODY, UPDATE_BODY } from "./slack-bodies.js";

export type BareJob = {
  viewId: string;
  channelId: string;
  username: string;
  secret: string;
  trackingId: string;
};

export type BareCalls = "issue" | "bot" | "bodies" | "webclient";

export type BarePipelineOptions = {
  redisUrl: string;
  prefix: string;
  /** Jobs in flight, as the bot's WORKER_CONCURRENCY. */
  concurrency: number;
  /**
   * Which calls a job makes: "issue", the bot's as issue 12 measured them (the reference its
   * targets were set against), "bot", the bot's as they are now, "bodies", the bot's now with its
   * message bodies, or "webclient", those through its WebClient. @defaultValue "issue"
   */
  slackCalls?: BareCalls;
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

  /** The Autotask calls of a check: zoneInformation, then ThresholdInformation and the probes on its zone. */
  const autotask = (username: string, secret: string, trackingId: string) => {
    const auth = { ApiIntegrationCode: trackingId, UserName: username, Secret: secret };
    const zoneInformation = async () => {
      const zone = (await getJson(
        `${options.autotaskOrigin}/webservices.autotask.net${API}/zoneInformation?user=${encodeURIComponent(username)}`,
      )) as { url: string };
      return new URL(zone.url).host;
    };
    const thresholdInformation = (host: string) =>
      getJson(`${options.autotaskOrigin}/${host}${API}/ThresholdInformation`, auth);
    const probe = (host: string, entity: string) =>
      getJson(`${options.autotaskOrigin}/${host}${API}/${entity}/query?search=${PROBE}`, auth);
    return { zoneInformation, thresholdInformation, probe };
  };
  /** Slack's posting methods, as a job calls them. */
  type Poster = {
    postMessage(args: Record<string, unknown>): Promise<{ ts?: string }>;
    update(args: Record<string, unknown>): Promise<unknown>;
  };
  const undiciPoster: Poster = {
    postMessage: (args) => slack("chat.postMessage", args),
    update: (args) => slack("chat.update", args),
  };
  /** A WebClient built as the bot builds its posting client. */
  function webClientPoster(): Poster {
    const client = createPostingClient(
      { botToken: "xoxb-bench-token", apiUrl: options.slackApiUrl },
      createLogger({ level: "info", pretty: false }),
    );
    return {
      postMessage: (args) => client.chat.postMessage(args as never),
      update: (args) => client.chat.update(args as never),
    };
  }

  /** What a check's parent, final update and last reply say (without channel and ts). */
  type Bodies = { parent: object; update: object; reply: object };
  /** One line each, as short as a message can be. */
  const shortBodies = (username: string): Bodies => ({
    parent: { text: `Checking ${username}…` },
    update: {
      text: `${username}: ok`,
      metadata: { event_type: "autotask_connection_checked", event_payload: { username, outcome: "ok" } },
    },
    reply: { text: "Domain: pass. Zone: pass. Credentials: pass. Permissions: pass. Done." },
  });
  const botBodies = (): Bodies => ({ parent: PARENT_BODY, update: UPDATE_BODY, reply: REPLY_BODY });

  /** The bot's calls when issue 12 was written: a reply per step, probes one after another. */
  async function issueCalls(job: BareJob): Promise<void> {
    const { channelId: channel, username, secret, trackingId } = job;
    const calls = autotask(username, secret, trackingId);
    const bodies = shortBodies(username);
    const parent = await slack("chat.postMessage", { channel, ...bodies.parent });
    const reply = (text: string) => slack("chat.postMessage", { channel, thread_ts: parent.ts, text });
    await reply("Queued.");
    await reply("Domain: pass.");
    const host = await calls.zoneInformation();
    await reply("Zone: pass.");
    await calls.thresholdInformation(host);
    await reply("Credentials: pass.");
    for (const entity of ["Companies", "Tickets"]) await calls.probe(host, entity);
    await reply("Permissions: pass.");
    await slack("chat.update", { channel, ts: parent.ts, ...bodies.update });
    await reply("Done.");
  }

  /** The bot's calls now, on a quiet channel: the parent, probes at once, the final update, one reply. */
  function botCalls(poster: Poster, bodiesOf: (username: string) => Bodies): (job: BareJob) => Promise<void> {
    return async ({ channelId: channel, username, secret, trackingId }) => {
      const calls = autotask(username, secret, trackingId);
      const bodies = bodiesOf(username);
      const parent = await poster.postMessage({ channel, ...bodies.parent });
      const host = await calls.zoneInformation();
      await calls.thresholdInformation(host);
      await Promise.all(["Companies", "Tickets"].map((entity) => calls.probe(host, entity)));
      await poster.update({ channel, ts: parent.ts, ...bodies.update });
      await poster.postMessage({ channel, thread_ts: parent.ts, ...bodies.reply });
    };
  }

  const runs: Record<BareCalls, () => (job: BareJob) => Promise<void>> = {
    issue: () => issueCalls,
    bot: () => botCalls(undiciPoster, shortBodies),
    bodies: () => botCalls(undiciPoster, botBodies),
    webclient: () => botCalls(webClientPoster(), botBodies),
  };
  const run = runs[options.slackCalls ?? "issue"]();
  const worker = new Worker<BareJob>("bare", (job) => run(job.data), {
    connection: workerConnection,
    prefix: options.prefix,
    concurrency: options.concurrency,
  });

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
