import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../src/demo/stack.js";
import { uniquePrefix } from "../support/redis.js";
import { type LocalCluster, startLocalCluster } from "../support/redis-cluster.js";

const USER = {
  username: "api@cluster.example",
  secret: "cl-Secret-77",
  trackingId: "CLUSTERTRACK9999",
  zone: "14",
};

describe("on a 3-master Redis Cluster (REDIS_CLUSTER_NODES)", () => {
  let cluster: LocalCluster;
  let stack: Stack;
  const prefix = uniquePrefix("cluster");

  beforeAll(async () => {
    cluster = await startLocalCluster(3);
    stack = await startStack({
      // REDIS_URL is ignored when cluster nodes are configured; point it nowhere to prove it.
      redisUrl: "redis://127.0.0.1:1",
      prefix,
      env: { REDIS_CLUSTER_NODES: cluster.nodes.join(",") },
      autotask: { users: [USER] },
    });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await cluster?.stop();
  });

  it("runs a full check through the cluster and posts its result", async () => {
    const { answer } = await stack.submitCheck({ portalUrl: "https://ww14.autotask.net", ...USER });
    expect(answer.json).toMatchObject({ response_action: "update" });
    const thread = await stack.waitForResult(USER.username);
    expect(thread.metadata).toMatchObject({
      event_payload: { outcome: "ok", code: "ok", api_url: "https://webservices14.autotask.net" },
    });
  });

  it("keeps every key of the bot in the one hash slot of its prefix", async () => {
    const client = new Cluster(
      cluster.nodes.map((node) => ({ host: "127.0.0.1", port: Number(node.split(":")[1]) })),
    );
    try {
      await new Promise((resolve, reject) => client.once("ready", resolve).once("error", reject));
      const keys: string[] = [];
      for (const node of client.nodes("master")) {
        keys.push(...(await node.keys(`${prefix}*`)));
      }
      expect(keys.length).toBeGreaterThan(0);
      const slots = new Set(await Promise.all(keys.map((key) => client.cluster("KEYSLOT", key))));
      expect(slots.size).toBe(1);
    } finally {
      client.disconnect();
    }
  });
});
