import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { isValidSlackRequest } from "@slack/bolt";
import { ErrorCode, WebClient } from "@slack/web-api";
import { request } from "undici";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type SlackEmulator,
  type SlackEmulatorOptions,
  startSlackEmulator,
} from "../../src/emulators/slack.js";
import {
  blockActionBody,
  inputValues,
  postSigned,
  signRequest,
  slashCommandBody,
  viewSubmissionBody,
} from "../../src/emulators/slack-requests.js";
import { buildConnectModal } from "../../src/slack/modal.js";

const TOKEN = "xoxb-emulated-token";

let emulator: SlackEmulator;
let client: WebClient;
let clock: number;

async function start(options: SlackEmulatorOptions = {}): Promise<void> {
  await emulator?.close();
  emulator = await startSlackEmulator({ now: () => clock, ...options });
  client = new WebClient(TOKEN, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
}

beforeEach(async () => {
  clock = 1_700_000_000_000;
  await start();
  emulator.setChannel("CPUBLIC", { kind: "public", botIsMember: false });
  emulator.setChannel("CJOINED", { kind: "public", botIsMember: true });
  emulator.setChannel("GPRIVATE", { kind: "private", botIsMember: false });
  emulator.setChannel("GMEMBER", { kind: "private", botIsMember: true });
});

afterEach(async () => {
  await emulator.close();
});

/** The error code a WebClient call fails with (ok:false), or "ok". */
async function errorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (error) {
    const data = (error as { data?: { error?: string } }).data;
    return data?.error ?? (error as { code?: string }).code ?? String(error);
  }
}

const modal = () => buildConnectModal({}, { channelId: "CJOINED" });
const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

describe("Slack emulator: messages", () => {
  it("answers auth.test so Bolt's start-up check passes", async () => {
    const answer = await client.auth.test();
    expect(answer).toMatchObject({ ok: true, user_id: emulator.botUserId, team_id: emulator.teamId });
  });

  it("keeps a parent, its thread replies and its final state after chat.update", async () => {
    const parent = await client.chat.postMessage({
      channel: "CJOINED",
      text: "Checking…",
      blocks: [section("Checking…")],
    });
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    const reply = await client.chat.postMessage({ channel: "CJOINED", text: "Queued", thread_ts: parent.ts });
    await client.chat.postMessage({ channel: "CJOINED", text: "Step", thread_ts: reply.ts });
    const metadata = {
      event_type: "autotask_connection_checked",
      event_payload: { request_id: "r1", outcome: "ok" },
    };
    await client.chat.update({
      channel: "CJOINED",
      ts: parent.ts as string,
      text: "Done",
      blocks: [section("Done")],
      metadata,
    });

    const [thread, ...others] = emulator.thread("CJOINED");
    expect(others).toEqual([]);
    expect(thread).toMatchObject({
      ts: parent.ts,
      text: "Done",
      blocks: [section("Done")],
      metadata,
      edits: 1,
    });
    expect(thread?.replies.map((message) => message.text)).toEqual(["Queued", "Step"]);
    expect(thread?.replies.every((message) => message.threadTs === parent.ts)).toBe(true);
  });

  it("hands out unique, increasing timestamps", async () => {
    const stamps: string[] = [];
    for (let i = 0; i < 5; i++)
      stamps.push((await client.chat.postMessage({ channel: "CJOINED", text: `${i}` })).ts as string);
    expect(new Set(stamps).size).toBe(5);
    expect([...stamps].sort()).toEqual(stamps);
  });

  it("refuses chat.update of a message that does not exist", async () => {
    expect(await errorOf(client.chat.update({ channel: "CJOINED", ts: "1.000001", text: "x" }))).toBe(
      "message_not_found",
    );
  });

  it("accepts JSON bodies as well as form-encoded ones", async () => {
    const response = await request(`${emulator.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ channel: "CJOINED", text: "json", blocks: [section("json")] }),
    });
    expect(await response.body.json()).toMatchObject({ ok: true });
    expect(emulator.thread("CJOINED")[0]?.blocks).toEqual([section("json")]);
  });

  it("refuses a call without a token", async () => {
    const anonymous = new WebClient(undefined, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    expect(await errorOf(anonymous.chat.postMessage({ channel: "CJOINED", text: "x" }))).toBe("not_authed");
  });

  it("records every call with its arguments and answer, without the token", async () => {
    await client.chat.postMessage({ channel: "CJOINED", text: "hello" });
    const [call] = emulator.callsOf("chat.postMessage");
    expect(call).toMatchObject({ args: { channel: "CJOINED", text: "hello" }, response: { ok: true } });
    expect(JSON.stringify(emulator.calls)).not.toContain(TOKEN);
  });
});

describe("Slack emulator: channels", () => {
  it.each([
    ["a public channel the bot is in", "CJOINED", "ok"],
    ["a public channel the bot is not in (chat:write.public)", "CPUBLIC", "ok"],
    ["a private channel the bot is in", "GMEMBER", "ok"],
    ["a private channel the bot is not in", "GPRIVATE", "channel_not_found"],
    ["an unknown channel", "CNOWHERE", "channel_not_found"],
    ["a user id (the bot's DM with them)", "U0ALICE", "ok"],
  ])("posting to %s answers %s", async (_name, channel, expected) => {
    expect(await errorOf(client.chat.postMessage({ channel, text: "x" }))).toBe(expected);
  });

  it("answers not_in_channel for a public channel without chat:write.public", async () => {
    await start({ scopes: ["chat:write"] });
    emulator.setChannel("CPUBLIC", { kind: "public", botIsMember: false });
    expect(await errorOf(client.chat.postMessage({ channel: "CPUBLIC", text: "x" }))).toBe("not_in_channel");
  });

  it("opens a DM the bot can post in", async () => {
    const opened = await client.conversations.open({ users: "U0ALICE" });
    const channel = opened.channel?.id as string;
    await client.chat.postMessage({ channel, text: "results" });
    expect(emulator.thread(channel).map((message) => message.text)).toEqual(["results"]);
  });

  it("describes channels the bot can see and hides private ones it cannot", async () => {
    const info = await client.conversations.info({ channel: "GMEMBER" });
    expect(info.channel).toMatchObject({ is_private: true, is_member: true });
    expect(await errorOf(client.conversations.info({ channel: "GPRIVATE" }))).toBe("channel_not_found");
  });

  it("records ephemeral messages", async () => {
    await client.chat.postEphemeral({ channel: "CJOINED", user: "U0ALICE", text: "only you" });
    expect(emulator.ephemerals).toMatchObject([{ channel: "CJOINED", user: "U0ALICE", text: "only you" }]);
  });

  it("tells admins and owners apart in users.info", async () => {
    emulator.setUser("U0ADMIN", { isAdmin: true });
    emulator.setUser("U0OWNER", { isOwner: true });
    emulator.setUser("U0PLAIN", {});
    expect((await client.users.info({ user: "U0ADMIN" })).user).toMatchObject({
      is_admin: true,
      is_owner: false,
    });
    expect((await client.users.info({ user: "U0OWNER" })).user).toMatchObject({
      is_admin: false,
      is_owner: true,
    });
    expect((await client.users.info({ user: "U0PLAIN" })).user).toMatchObject({
      is_admin: false,
      is_owner: false,
    });
    expect(await errorOf(client.users.info({ user: "U0GHOST" }))).toBe("user_not_found");
  });
});

describe("Slack emulator: trigger ids", () => {
  it("opens a modal with a fresh trigger id, once", async () => {
    const trigger = emulator.issueTriggerId();
    const opened = await client.views.open({ trigger_id: trigger, view: modal() });
    expect(opened.view?.id).toMatch(/^V/);
    expect(emulator.view(opened.view?.id as string)).toMatchObject({ callback_id: "autotask_connect" });
    expect(await errorOf(client.views.open({ trigger_id: trigger, view: modal() }))).toBe(
      "exchanged_trigger_id",
    );
  });

  it("refuses a trigger id older than 3 seconds", async () => {
    const trigger = emulator.issueTriggerId();
    clock += 3_001;
    expect(await errorOf(client.views.open({ trigger_id: trigger, view: modal() }))).toBe(
      "expired_trigger_id",
    );
  });

  it("accepts a trigger id just inside 3 seconds", async () => {
    const trigger = emulator.issueTriggerId();
    clock += 2_999;
    expect(await errorOf(client.views.open({ trigger_id: trigger, view: modal() }))).toBe("ok");
  });

  it("refuses a trigger id it never issued", async () => {
    expect(await errorOf(client.views.open({ trigger_id: "123.456.abc", view: modal() }))).toBe(
      "invalid_trigger_id",
    );
  });

  it("updates an open view by id and refuses a stale hash", async () => {
    const opened = await client.views.open({ trigger_id: emulator.issueTriggerId(), view: modal() });
    const id = opened.view?.id as string;
    const hash = opened.view?.hash as string;
    await client.views.update({
      view_id: id,
      hash,
      view: { ...modal(), title: { type: "plain_text", text: "Updated" } },
    });
    expect(emulator.view(id)).toMatchObject({ title: { text: "Updated" } });
    expect(await errorOf(client.views.update({ view_id: id, hash, view: modal() }))).toBe("hash_conflict");
    expect(await errorOf(client.views.update({ view_id: "V404", view: modal() }))).toBe("not_found");
  });
});

describe("Slack emulator: Block Kit limits", () => {
  const open = (view: object) =>
    errorOf(client.views.open({ trigger_id: emulator.issueTriggerId(), view: view as never }));
  const input = (i: number, maxLength = 100) => ({
    type: "input",
    block_id: `b${i}`,
    label: { type: "plain_text", text: "Label" },
    element: { type: "plain_text_input", action_id: "a", max_length: maxLength },
  });

  it.each([
    ["a title of 25 characters", { ...modal(), title: { type: "plain_text", text: "x".repeat(25) } }],
    ["a submit label of 25 characters", { ...modal(), submit: { type: "plain_text", text: "x".repeat(25) } }],
    ["a close label of 25 characters", { ...modal(), close: { type: "plain_text", text: "x".repeat(25) } }],
    ["101 blocks", { ...modal(), blocks: Array.from({ length: 101 }, (_, i) => section(`${i}`)) }],
    ["a callback_id of 256 characters", { ...modal(), callback_id: "c".repeat(256) }],
    ["private_metadata of 3,001 characters", { ...modal(), private_metadata: "m".repeat(3_001) }],
    ["a block_id of 256 characters", { ...modal(), blocks: [{ ...input(0), block_id: "b".repeat(256) }] }],
    ["an input max_length of 3,001", { ...modal(), blocks: [input(0, 3_001)] }],
    ["a duplicate block_id", { ...modal(), blocks: [input(0), input(0)] }],
    ["inputs without a submit button", { ...modal(), submit: undefined }],
  ])("refuses a modal with %s", async (_name, view) => {
    expect(await open(view)).toBe("invalid_arguments");
  });

  it("accepts a modal right at the limits", async () => {
    const view = {
      ...modal(),
      title: { type: "plain_text", text: "x".repeat(24) },
      private_metadata: "m".repeat(3_000),
      blocks: Array.from({ length: 100 }, (_, i) => input(i, 3_000)),
    };
    expect(await open(view)).toBe("ok");
  });

  it("explains what is wrong the way Slack does", async () => {
    await open({ ...modal(), title: { type: "plain_text", text: "x".repeat(25) } });
    const answer = emulator.callsOf("views.open")[0]?.response as {
      response_metadata: { messages: string[] };
    };
    expect(answer.response_metadata.messages).toEqual([
      "[ERROR] must be at most 24 characters [json-pointer:/view/title/text]",
    ]);
  });

  it.each([
    ["51 blocks", Array.from({ length: 51 }, (_, i) => section(`${i}`))],
    ["a section of 3,001 characters", [section("x".repeat(3_001))]],
    ["an empty section", [section("")]],
    [
      "a button value of 2,001 characters",
      [
        {
          type: "actions",
          elements: [
            {
              type: "button",
              action_id: "a",
              text: { type: "plain_text", text: "Go" },
              value: "v".repeat(2_001),
            },
          ],
        },
      ],
    ],
  ])("refuses a message with %s", async (_name, blocks) => {
    expect(
      await errorOf(client.chat.postMessage({ channel: "CJOINED", text: "x", blocks: blocks as never })),
    ).toBe("invalid_blocks");
  });

  it("accepts 50 blocks and a 3,000-character section", async () => {
    const blocks = [section("x".repeat(3_000)), ...Array.from({ length: 49 }, (_, i) => section(`${i}`))];
    expect(
      await errorOf(client.chat.postMessage({ channel: "CJOINED", text: "x", blocks: blocks as never })),
    ).toBe("ok");
  });

  it("refuses chat.update text over 4,000 characters", async () => {
    const { ts } = await client.chat.postMessage({ channel: "CJOINED", text: "x" });
    expect(
      await errorOf(client.chat.update({ channel: "CJOINED", ts: ts as string, text: "y".repeat(4_001) })),
    ).toBe("msg_too_long");
    expect(
      await errorOf(client.chat.update({ channel: "CJOINED", ts: ts as string, text: "y".repeat(4_000) })),
    ).toBe("ok");
  });

  it("refuses malformed message metadata", async () => {
    const metadata = { event_type: "x" } as never;
    expect(await errorOf(client.chat.postMessage({ channel: "CJOINED", text: "x", metadata }))).toBe(
      "invalid_metadata_format",
    );
  });

  it("drops metadata with a null payload value, as Slack does: the call succeeds with invalid_metadata_schema", async () => {
    const metadata = {
      event_type: "autotask_connection_checked",
      event_payload: { request_id: "r1", api_url: null },
    } as never;
    const posted = await client.chat.postMessage({ channel: "CJOINED", text: "x", metadata });
    expect(posted).toMatchObject({
      ok: true,
      warning: "invalid_metadata_schema",
      response_metadata: { warnings: ["invalid_metadata_schema"] },
    });
    const updated = await client.chat.update({
      channel: "CJOINED",
      ts: posted.ts as string,
      text: "y",
      metadata,
    });
    expect(updated).toMatchObject({ ok: true, warning: "invalid_metadata_schema" });
    const [thread] = emulator.thread("CJOINED");
    expect(thread).toMatchObject({ text: "y", edits: 1 });
    expect(thread?.metadata).toBeUndefined();
  });

  it("keeps metadata whose payload leaves unknown keys out", async () => {
    const metadata = { event_type: "autotask_connection_checked", event_payload: { request_id: "r1" } };
    const posted = await client.chat.postMessage({ channel: "CJOINED", text: "x", metadata });
    expect(posted.warning).toBeUndefined();
    expect(emulator.thread("CJOINED")[0]?.metadata).toEqual(metadata);
  });
});

describe("Slack emulator: posting limit and latency", () => {
  it("lets a burst of posts through per channel, then answers 429 with Retry-After until the bucket refills", async () => {
    await start({ postRateLimit: { perSecond: 1, burst: 3 }, now: () => clock });
    emulator.setChannel("CBUSY", { kind: "public", botIsMember: true });
    emulator.setChannel("CQUIET", { kind: "public", botIsMember: true });
    const impatient = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    const post = (channel: string) =>
      impatient.chat.postMessage({ channel, text: "x" }).then(
        () => "ok",
        (error: { code?: string; retryAfter?: number }) => `${error.code}:${error.retryAfter}`,
      );
    expect([await post("CBUSY"), await post("CBUSY"), await post("CBUSY")]).toEqual(["ok", "ok", "ok"]);
    expect(await post("CBUSY")).toBe(`${ErrorCode.RateLimitedError}:1`);
    // Another channel has its own limit.
    expect(await post("CQUIET")).toBe("ok");
    // chat.update is not under the posting limit.
    const ts = emulator.thread("CBUSY")[0]?.ts as string;
    await expect(impatient.chat.update({ channel: "CBUSY", ts, text: "y" })).resolves.toMatchObject({
      ok: true,
    });
    clock += 1_000;
    expect(await post("CBUSY")).toBe("ok");
    expect(await post("CBUSY")).toBe(`${ErrorCode.RateLimitedError}:1`);
    expect(emulator.thread("CBUSY")).toHaveLength(4);
    expect(
      emulator
        .callsOf("chat.postMessage")
        .filter((call) => (call.response as { status?: number }).status === 429),
    ).toHaveLength(2);
  });

  it("holds each answer for latencyMs, after recording the call", async () => {
    await start({ latencyMs: 300 });
    let answered = false;
    const call = client.auth.test().then(() => {
      answered = true;
    });
    await emulator.waitFor(() => emulator.callsOf("auth.test").length > 0);
    expect(answered).toBe(false);
    await call;
    expect(answered).toBe(true);
  });
});

describe("Slack emulator: faults", () => {
  it("answers ok:false with the injected error, the given number of times", async () => {
    emulator.injectFault("chat.postMessage", { error: "ratelimited" }, 2);
    expect(await errorOf(client.chat.postMessage({ channel: "CJOINED", text: "1" }))).toBe("ratelimited");
    expect(await errorOf(client.chat.postMessage({ channel: "CJOINED", text: "2" }))).toBe("ratelimited");
    expect(await errorOf(client.chat.postMessage({ channel: "CJOINED", text: "3" }))).toBe("ok");
  });

  it("answers HTTP 500", async () => {
    emulator.injectFault("chat.update", { status: 500 });
    expect(await errorOf(client.chat.update({ channel: "CJOINED", ts: "1.1", text: "x" }))).toBe(
      ErrorCode.HTTPError,
    );
  });

  it("answers 429 with Retry-After", async () => {
    const impatient = new WebClient(TOKEN, {
      slackApiUrl: emulator.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    });
    emulator.injectFault("views.open", { status: 429, retryAfterSeconds: 7 });
    const failure = await impatient.views
      .open({ trigger_id: emulator.issueTriggerId(), view: modal() })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
  });
});

describe("Slack emulator: response_url", () => {
  const post = (url: string, body: object) =>
    request(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("records up to 5 posts and refuses the 6th", async () => {
    const url = emulator.responseUrlFor("GPRIVATE");
    expect(url).toMatch(new RegExp(`^${emulator.origin}/response/[0-9a-f]+$`));
    for (let i = 1; i <= 5; i++) {
      const response = await post(url, { response_type: "ephemeral", text: `post ${i}` });
      await response.body.dump();
      expect(response.statusCode).toBe(200);
    }
    const sixth = await post(url, { text: "post 6" });
    expect({ status: sixth.statusCode, body: await sixth.body.text() }).toEqual({
      status: 404,
      body: "used_url",
    });
    expect(emulator.responsePosts.map((p) => (p.body as { text: string }).text)).toEqual([
      "post 1",
      "post 2",
      "post 3",
      "post 4",
      "post 5",
    ]);
    expect(emulator.responsePosts.every((p) => p.channelId === "GPRIVATE")).toBe(true);
  });

  it("expires after 30 minutes", async () => {
    const url = emulator.responseUrlFor("GPRIVATE");
    clock += 30 * 60 * 1000 + 1;
    const response = await post(url, { text: "late" });
    expect(await response.body.text()).toBe("expired_url");
  });

  it("can fail on demand", async () => {
    emulator.injectFault("response_url", { status: 500 });
    const response = await post(emulator.responseUrlFor("C1"), { text: "x" });
    await response.body.dump();
    expect(response.statusCode).toBe(500);
    expect(emulator.responsePosts).toEqual([]);
  });
});

describe("Slack emulator: waitFor", () => {
  it("resolves when a later call makes the condition true", async () => {
    const waiting = emulator.waitFor(() => emulator.thread("CJOINED")[0]?.text === "late" && "seen");
    await client.chat.postMessage({ channel: "CJOINED", text: "early" });
    await client.chat.update({
      channel: "CJOINED",
      ts: emulator.thread("CJOINED")[0]?.ts as string,
      text: "late",
    });
    await expect(waiting).resolves.toBe("seen");
  });

  it("rejects after the deadline, listing the calls so far", async () => {
    await client.auth.test();
    await expect(emulator.waitFor(() => false, 50)).rejects.toThrow(/within 50 ms; calls so far: auth.test/);
  });
});

describe("signed requests", () => {
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  let server: Server;
  let url: string;
  let received: { body: string; headers: Record<string, string | string[] | undefined> }[];

  beforeEach(async () => {
    received = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        received.push({ body, headers: req.headers });
        const valid = isValidSlackRequest({
          signingSecret: secret,
          body,
          headers: {
            "x-slack-signature": String(req.headers["x-slack-signature"]),
            "x-slack-request-timestamp": Number(req.headers["x-slack-request-timestamp"]),
          },
        });
        res
          .writeHead(valid ? 200 : 401, { "content-type": "application/json" })
          .end(JSON.stringify({ valid }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("signs the way Bolt verifies", () => {
    const headers = signRequest(secret, "a=b", 1_700_000_000);
    expect(headers["x-slack-request-timestamp"]).toBe("1700000000");
    expect(
      isValidSlackRequest({
        signingSecret: secret,
        body: "a=b",
        headers: {
          "x-slack-signature": headers["x-slack-signature"],
          "x-slack-request-timestamp": 1_700_000_000,
        },
        nowMilliseconds: 1_700_000_010_000,
      }),
    ).toBe(true);
  });

  it("posts a slash command with every field Slack sends", async () => {
    const body = slashCommandBody({
      userId: "U0ALICE",
      channelId: "CJOINED",
      teamId: "T1",
      triggerId: "1.2.abc",
      responseUrl: "http://127.0.0.1:1/response/x",
      text: "https://ww5.autotask.net",
    });
    const answer = await postSigned(url, secret, body);
    expect(answer).toMatchObject({ status: 200, json: { valid: true } });
    expect(answer.ms).toBeGreaterThan(0);
    const fields = Object.fromEntries(new URLSearchParams(received[0]?.body));
    for (const key of [
      "token",
      "team_id",
      "team_domain",
      "channel_id",
      "channel_name",
      "user_id",
      "user_name",
      "command",
      "text",
      "api_app_id",
      "response_url",
      "trigger_id",
    ]) {
      expect(fields).toHaveProperty(key);
    }
    expect(fields).toMatchObject({
      command: "/autotask-connect",
      text: "https://ww5.autotask.net",
      user_id: "U0ALICE",
    });
    expect(received[0]?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
  });

  it("makes stale and forged requests on demand", async () => {
    const stale = await postSigned(url, secret, "a=b", {
      timestampSeconds: Math.floor(Date.now() / 1000) - 301,
    });
    const forged = await postSigned(url, secret, "a=b", { signature: "v0=deadbeef" });
    expect([stale.status, forged.status]).toEqual([401, 401]);
  });

  it("sends a view submission as payload= JSON with the typed values", async () => {
    const body = viewSubmissionBody(
      {
        id: "V1",
        callbackId: "autotask_connect",
        privateMetadata: '{"channelId":"CJOINED"}',
        values: inputValues({ api_username: "api@example.com", portal_url: null }),
      },
      { id: "U0ALICE", teamId: "T1" },
    );
    expect((await postSigned(url, secret, body)).json).toEqual({ valid: true });
    const payload = JSON.parse(new URLSearchParams(received[0]?.body).get("payload") as string);
    expect(payload).toMatchObject({
      type: "view_submission",
      user: { id: "U0ALICE", team_id: "T1" },
      view: {
        id: "V1",
        callback_id: "autotask_connect",
        private_metadata: '{"channelId":"CJOINED"}',
        state: {
          values: { api_username: { api_username: { type: "plain_text_input", value: "api@example.com" } } },
        },
      },
    });
  });

  it("sends a button click with its trigger, channel, message and action", async () => {
    const body = blockActionBody({
      user: { id: "U0ALICE", teamId: "T1" },
      channelId: "CJOINED",
      messageTs: "1700000000.000101",
      actionId: "autotask_connect_retry",
      value: "retry-1",
      triggerId: "1.2.abc",
    });
    await postSigned(url, secret, body);
    const payload = JSON.parse(new URLSearchParams(received[0]?.body).get("payload") as string);
    expect(payload).toMatchObject({
      type: "block_actions",
      trigger_id: "1.2.abc",
      channel: { id: "CJOINED" },
      container: { message_ts: "1700000000.000101" },
      actions: [{ action_id: "autotask_connect_retry", value: "retry-1", type: "button" }],
    });
  });
});
