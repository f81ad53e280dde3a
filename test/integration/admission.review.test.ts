import { createServer, type Server, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/ops/logger.js";
import { createCheckProducer } from "../../src/queue/producer.js";
import { connectRedis, type RedisClient } from "../../src/queue/redis.js";
import { createAdmissions } from "../../src/slack/admission.js";
import { BLOCK_IDS, buildConnectModal } from "../../src/slack/modal.js";
import { createSubmissionHandler } from "../../src/slack/submission.js";
import { createSlidingWindows } from "../../src/state/sliding-window.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

/** A TCP proxy to the test Redis that can stop passing bytes: a Redis that hangs without closing. */
async function hangableProxy(target: URL) {
  const sockets = new Set<Socket>();
  let hung = false;
  const server: Server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    upstream.connect(Number(target.port || 6379), target.hostname);
    client.on("data", (chunk) => {
      if (!hung) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!hung) client.write(chunk);
    });
    for (const socket of [client, upstream]) socket.on("error", () => {});
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    hang: () => {
      hung = true;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("a submission while Redis hangs (connected, but answering nothing)", () => {
  it("gets an error on the modal within 2 s", async () => {
    const proxy = await hangableProxy(new URL(testRedisUrl()));
    cleanups.push(proxy.close);
    const redis: RedisClient = connectRedis({ url: proxy.url }, "fail-fast", "ignore");
    cleanups.push(() => redis.disconnect());
    if (redis.status !== "ready") await new Promise((resolve) => redis.once("ready", resolve));
    const prefix = uniquePrefix("hang");
    const producer = createCheckProducer({ connection: redis, prefix });
    cleanups.push(() => producer.close().catch(() => {}));
    const admissions = createAdmissions({
      windows: createSlidingWindows({
        redis,
        prefix,
        windows: [
          { name: "user-checks", limit: 20, windowMs: 3_600_000 },
          { name: "workspace-checks", limit: 200, windowMs: 3_600_000 },
        ],
      }),
      limits: { checksPerUserPerHour: 20, checksPerWorkspacePerHour: 200 },
    });
    const handler = createSubmissionHandler({
      enqueue: producer.enqueue,
      sealSecret: () => "sealed",
      authorize: async () => ({ ok: true }),
      admit: admissions.admit,
      logger: createLogger({ level: "silent", pretty: false }),
    });
    const modal = buildConnectModal({}, { channelId: "C1", teamId: "T1" });
    const value = (v: string, id: string) => ({ [id]: { [id]: { value: v } } });
    const values = {
      ...value("https://ww5.autotask.net", BLOCK_IDS.portalUrl),
      ...value("api@example.com", BLOCK_IDS.username),
      ...value("a-secret-value", BLOCK_IDS.secret),
      ...value("TRACKING1A2B", BLOCK_IDS.trackingId),
    };

    // Warm up: the same submission path works while Redis answers.
    const warm = await new Promise<{ response_action: string }>((resolve) => {
      void handler({
        ack: async (response: { response_action: string }) => resolve(response),
        body: { team: { id: "T1" }, user: { id: "U1", team_id: "T1" } },
        view: { id: "V-warm", private_metadata: modal.private_metadata, state: { values } },
      } as unknown as Parameters<typeof handler>[0]);
    });
    expect(warm.response_action).toBe("update");

    proxy.hang();
    const started = Date.now();
    const acked = new Promise<{ response_action: string }>((resolve) => {
      void handler({
        ack: async (response: { response_action: string }) => resolve(response),
        body: { team: { id: "T1" }, user: { id: "U1", team_id: "T1" } },
        view: { id: "V-hang", private_metadata: modal.private_metadata, state: { values } },
      } as unknown as Parameters<typeof handler>[0]);
    });
    const outcome = await Promise.race([
      acked,
      new Promise<"no ack">((resolve) => setTimeout(() => resolve("no ack"), 3_000).unref()),
    ]);
    expect(outcome).toMatchObject({ response_action: "errors" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});
