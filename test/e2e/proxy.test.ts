/**
 * A bot whose network reaches the internet only through a proxy (HTTPS_PROXY): a whole check goes
 * through it, Slack and Autotask alike; NO_PROXY hosts are reached directly; and the Autotask
 * allow-list still decides which hosts may be called, before anything reaches the proxy.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAutotaskClient } from "../../src/autotask/client.js";
import { type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { createOutboundDispatcher } from "../../src/ops/proxy.js";
import { type ConnectProxy, startConnectProxy } from "../support/connect-proxy.js";
import { credentialsOf, metadataOf } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const API_USER: EmulatedApiUser = {
  username: "proxied@acme.example",
  secret: "Proxied-S3cret#1",
  trackingId: "TRACKPROXY55X",
  zone: "5",
};

const hostOf = (url: string) => new URL(url).host;

describe("HTTPS_PROXY", () => {
  let proxy: ConnectProxy;
  let stack: Stack;
  beforeAll(async () => {
    proxy = await startConnectProxy();
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix("e2e-proxy"),
      env: { HTTPS_PROXY: proxy.url },
      autotask: { users: [API_USER] },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await proxy?.close();
  });

  it("runs a whole check through the proxy: Slack's Web API and Autotask both tunnel through it", async () => {
    await stack.submitCheck(credentialsOf(API_USER));
    const thread = await stack.waitForResult(API_USER.username);
    expect(metadataOf(thread).event_payload.code).toBe("ok");
    expect(proxy.tunnels).toContain(hostOf(stack.autotask.origin));
    expect(proxy.tunnels).toContain(hostOf(stack.slack.apiUrl));
  });

  it("reaches NO_PROXY hosts directly and the others through the proxy", async () => {
    const direct = await startStack({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix("e2e-no-proxy"),
      shared: stack.shared,
      env: { HTTPS_PROXY: proxy.url, NO_PROXY: `localhost,${hostOf(stack.slack.apiUrl)}` },
    });
    try {
      const before = proxy.tunnels.length;
      const user = { ...API_USER, username: "direct@acme.example" };
      stack.autotask.addUser(user);
      await direct.submitCheck(credentialsOf(user));
      const thread = await direct.waitForResult(user.username);
      expect(metadataOf(thread).event_payload.code).toBe("ok");
      const opened = proxy.tunnels.slice(before);
      expect(opened).toContain(hostOf(stack.autotask.origin));
      expect(opened).not.toContain(hostOf(stack.slack.apiUrl));
    } finally {
      await direct.close();
    }
  });

  it("still refuses a host outside the Autotask allow-list: nothing reaches the proxy", async () => {
    const dispatcher = createOutboundDispatcher({ url: proxy.url });
    const client = createAutotaskClient({ timeoutMs: 2_000, dispatcher });
    const before = proxy.tunnels.length;
    const reply = await client.thresholdInformation("https://webservices5.autotask.net.evil.example", {
      username: API_USER.username,
      secret: API_USER.secret,
      trackingId: API_USER.trackingId,
    });
    expect(reply.kind).toBe("blocked");
    expect(proxy.tunnels.length).toBe(before);
    await dispatcher?.close();
  });
});
