/**
 * Where results go when the bot cannot post where the command was typed, and what the modal says
 * when the queue's Redis is down.
 */
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { BLOCK_IDS } from "../../src/slack/modal.js";
import { credentialsOf, metadataOf, readable, replyLines, until } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import { type PrivateRedis, startPrivateRedis } from "../support/redis-server.js";

const user = (name: string): EmulatedApiUser => ({
  username: `${name}@acme.example`,
  secret: `${name}-S3cret!`,
  trackingId: `TRACK${name.toUpperCase()}01`,
  zone: "15",
});
const IN_PRIVATE = user("private");
const IN_DM = user("dm");
const IN_PUBLIC = user("public");
const WHILE_DOWN = user("redisdown");

/** The bot's DM with the admin, as the emulator names it. */
const ADMIN_DM = `D${DEMO_ADMIN.slice(1)}`;

describe("channels the bot cannot post in", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      redisUrl: testRedisUrl(),
      prefix: uniquePrefix("e2e-fallback"),
      autotask: { users: [IN_PRIVATE, IN_DM, IN_PUBLIC] },
    });
    stack.slack.setChannel("GPRIVATE", { kind: "private", botIsMember: false, name: "secret-ops" });
    stack.slack.setChannel("CPUBLIC", { kind: "public", botIsMember: false, name: "general" });
  });
  afterAll(async () => stack?.close());

  const cases = [
    { where: "a private channel the bot is not in", channelId: "GPRIVATE", apiUser: IN_PRIVATE },
    { where: "a direct message between people", channelId: "D0PEOPLE", apiUser: IN_DM },
  ];

  it.each(cases)(
    "from $where: says so via response_url, reports by DM, and sends the result there too",
    async ({ channelId, apiUser }) => {
      const { viewId } = await stack.submitCheck(credentialsOf(apiUser), { channelId });
      const responseUrl = JSON.parse(String(stack.slack.view(viewId)?.private_metadata))
        .responseUrl as string;
      const responseId = responseUrl.split("/").pop();

      const thread = await stack.waitForResult(apiUser.username, { channelId: ADMIN_DM });
      expect(metadataOf(thread).event_payload).toMatchObject({ outcome: "ok", username: apiUser.username });
      expect(thread.replies.at(-1)?.text.split("\n").at(-1)).toMatch(/^Done: /);
      expect(stack.slack.thread(channelId)).toHaveLength(0);
      expect(stack.slack.callsOf("conversations.open").some((call) => call.args.users === DEMO_ADMIN)).toBe(
        true,
      );

      const posts = await stack.slack.waitFor(() => {
        const found = stack.slack.responsePosts.filter((post) => post.id === responseId);
        return found.length >= 2 ? found : undefined;
      });
      const [notice, final] = posts.map(
        (post) => post.body as { text: string; blocks?: unknown[]; response_type: string },
      );
      expect(notice?.response_type).toBe("ephemeral");
      expect(notice?.text).toContain("I can't post in this channel");
      expect(notice?.text).toContain("direct message");
      expect(final?.response_type).toBe("ephemeral");
      expect(readable(final as { text: string })).toContain(
        "Domain to paste: `https://webservices15.autotask.net`",
      );
    },
  );

  it("posts normally in a public channel it has not joined (chat:write.public)", async () => {
    const opensBefore = stack.slack.callsOf("conversations.open").length;
    const { viewId } = await stack.submitCheck(credentialsOf(IN_PUBLIC), { channelId: "CPUBLIC" });
    const responseUrl = JSON.parse(String(stack.slack.view(viewId)?.private_metadata)).responseUrl as string;

    const thread = await stack.waitForResult(IN_PUBLIC.username, { channelId: "CPUBLIC" });
    expect(replyLines(thread)).toHaveLength(5);
    expect(stack.slack.callsOf("conversations.open")).toHaveLength(opensBefore);
    expect(stack.slack.responsePosts.filter((post) => responseUrl.endsWith(post.id))).toHaveLength(0);
  });
});

describe("Redis down at submission", () => {
  let redis: PrivateRedis;
  let stack: Stack;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    stack = await startStack({
      redisUrl: redis.url,
      prefix: uniquePrefix("e2e-redis-down"),
      autotask: { users: [WHILE_DOWN] },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await redis?.stop();
  });

  it("puts an error on the modal within 2 s, and the same form goes through once Redis is back", async () => {
    const command = await stack.slashCommand({});
    const opened = await stack.slack.waitFor(() =>
      stack.slack.callsOf("views.open").find((call) => call.args.trigger_id === command.triggerId),
    );
    const viewId = (opened.response as { view: { id: string } }).view.id;
    const typed = {
      [BLOCK_IDS.portalUrl]: "https://ww15.autotask.net",
      [BLOCK_IDS.username]: WHILE_DOWN.username,
      [BLOCK_IDS.secret]: WHILE_DOWN.secret,
      [BLOCK_IDS.trackingId]: WHILE_DOWN.trackingId,
    };

    await redis.stop();
    const answer = await stack.submitView(viewId, typed);
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(2_000);
    // "errors" keeps the modal open with everything typed; "update" or "clear" would lose it.
    const json = answer.json as { response_action: string; errors: Record<string, string> };
    expect(json.response_action).toBe("errors");
    expect(Object.values(json.errors).join(" ")).toContain("Nothing you typed is lost");
    expect(stack.slack.callsOf("chat.postMessage")).toHaveLength(0);

    redis = await startPrivateRedis({ port: redis.port });
    await until(
      "the bot is ready again",
      async () => {
        const ready = await request(`http://127.0.0.1:${stack.runtime.port}/readyz`);
        await ready.body.dump();
        return ready.statusCode === 200;
      },
      10_000,
    );
    const again = await stack.submitView(viewId, typed);
    expect(again.json).toMatchObject({ response_action: "update" });
    const thread = await stack.waitForResult(WHILE_DOWN.username);
    expect(metadataOf(thread).event_payload.code).toBe("ok");
  });
});
