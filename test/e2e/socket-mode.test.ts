/**
 * Socket Mode end to end (contract: "SLACK_APP_TOKEN ... when set, Socket Mode instead of HTTP"):
 * the bot opens its connection through `apps.connections.open`, takes the command and the modal
 * submission as envelopes over a WebSocket and answers with acks carrying payloads, runs the
 * check on the test Redis, and serves only the ops endpoints over HTTP.
 */
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { DEMO_ADMIN, DEMO_CHANNEL, fieldValues, type Stack, startStack } from "../../src/demo/stack.js";
import {
  type AutotaskEmulator,
  type EmulatedApiUser,
  startAutotaskEmulator,
} from "../../src/emulators/autotask.js";
import { type SlackEmulator, startSlackEmulator } from "../../src/emulators/slack.js";
import { inputValues, viewSubmissionBody } from "../../src/emulators/slack-requests.js";
import { generateCredentialsKey } from "../../src/security/envelope.js";
import { BLOCK_IDS, CONNECT_CALLBACK_ID } from "../../src/slack/modal.js";
import { credentialsOf, metadataOf, viewsOpenWith } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";
import {
  interactivePayload,
  type SocketModeEmulator,
  slashCommandPayload,
  startSocketModeEmulator,
} from "../support/socket-mode-emulator.js";

const USER: EmulatedApiUser = {
  username: "socket@acme.example",
  secret: "S0cket+secret/Value",
  trackingId: "TRACKSOCKET0042",
  zone: "15",
};

let slack: SlackEmulator;
let autotask: AutotaskEmulator;
let socket: SocketModeEmulator;
let stack: Stack;

beforeAll(async () => {
  [slack, autotask, socket] = await Promise.all([
    startSlackEmulator(),
    startAutotaskEmulator({ users: [USER] }),
    startSocketModeEmulator(),
  ]);
  slack.setSocketModeUrl(() => socket.issueUrl());
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix("socket-mode"),
    // No signing secret: Socket Mode needs none.
    env: { SLACK_APP_TOKEN: "xapp-1-emulated", SLACK_SIGNING_SECRET: "" },
    shared: { slack, autotask, credentialsKey: generateCredentialsKey(), signingSecret: "" },
  });
});
afterAll(async () => {
  await stack?.close();
  await socket?.close();
  await slack?.close();
  await autotask?.close();
});

/** Types `/autotask-connect <text>` in the demo channel, delivered over the socket. */
async function slashCommand(text = "") {
  const triggerId = slack.issueTriggerId();
  const payload = slashCommandPayload({
    userId: DEMO_ADMIN,
    channelId: DEMO_CHANNEL,
    teamId: slack.teamId,
    triggerId,
    responseUrl: slack.responseUrlFor(DEMO_CHANNEL),
    text,
  });
  const ack = await socket.deliver("slash_commands", payload);
  return { ack, triggerId };
}

/** Opens the modal through the command; resolves with the opened view's id. */
async function openModal(): Promise<string> {
  const { triggerId } = await slashCommand();
  const opened = await slack.waitFor(() => viewsOpenWith(stack, triggerId));
  expect(opened.response).toMatchObject({ ok: true });
  return (opened.response as { view: { id: string } }).view.id;
}

/** Submits the opened view with these values, as an interactive envelope. */
function submit(viewId: string, values: Record<string, string>) {
  const view = slack.view(viewId) as { private_metadata?: string };
  const body = viewSubmissionBody(
    {
      id: viewId,
      callbackId: CONNECT_CALLBACK_ID,
      privateMetadata: view.private_metadata ?? "",
      values: inputValues(values),
    },
    { id: DEMO_ADMIN, teamId: slack.teamId },
  );
  return socket.deliver("interactive", interactivePayload(body));
}

describe("starting in Socket Mode", () => {
  it("runs without a signing secret and connects through apps.connections.open with the app token", () => {
    expect(stack.config.slack.signingSecret).toBeUndefined();
    expect(slack.callsOf("apps.connections.open")).toEqual([
      expect.objectContaining({ response: expect.objectContaining({ ok: true }) }),
    ]);
    expect(socket.connectionCount).toBe(1);
  });

  it("answers apps.connections.open only for an app-level token, with a ticket that works once", async () => {
    const open = async (token: string) => {
      const answer = await request(`${slack.apiUrl}apps.connections.open`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      return (await answer.body.json()) as { ok: boolean; url?: string; error?: string };
    };
    expect(await open("xoxb-emulated-token")).toEqual({ ok: false, error: "not_allowed_token_type" });
    const { url } = await open("xapp-1-emulated");
    const attempt = (target: string) =>
      new Promise<string>((resolve) => {
        const client = new WebSocket(target);
        client.once("message", () => {
          client.terminate();
          resolve("hello");
        });
        client.once("unexpected-response", (_req, res) => resolve(`refused ${res.statusCode}`));
      });
    expect(await attempt(url as string)).toBe("hello");
    expect(await attempt(url as string)).toBe("refused 401");
    await socket.waitForConnections(1); // only the bot's own connection gets the envelopes below
  });

  it("serves /healthz and /readyz on PORT and does not take Slack requests over HTTP", async () => {
    const base = `http://127.0.0.1:${stack.runtime.port}`;
    const health = await request(`${base}/healthz`);
    expect(health.statusCode).toBe(200);
    expect(await health.body.json()).toEqual({ status: "ok" });
    const ready = await request(`${base}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toMatchObject({ status: "ok" });
    const events = await request(`${base}/slack/events`, { method: "POST", body: "payload=%7B%7D" });
    expect(events.statusCode).toBe(404);
    await events.body.dump();
  });
});

describe("the command over the socket", () => {
  it("acks the envelope and opens the modal with the trigger", async () => {
    const { ack, triggerId } = await slashCommand();
    expect(ack.payload).toEqual({});
    expect(ack.ms).toBeLessThan(3_000);
    const opened = await slack.waitFor(() => viewsOpenWith(stack, triggerId));
    expect(opened.response).toMatchObject({ ok: true });
    expect((opened.args.view as { callback_id: string }).callback_id).toBe(CONNECT_CALLBACK_ID);
  });

  it("answers help in the ack payload and opens no modal", async () => {
    const { ack, triggerId } = await slashCommand("help");
    expect(ack.payload).toMatchObject({ response_type: "ephemeral" });
    expect((ack.payload as { text: string }).text).toContain("/autotask-connect status");
    expect(viewsOpenWith(stack, triggerId)).toBeUndefined();
  });
});

describe("the submission over the socket", () => {
  it("keeps the modal open with an error on the Portal URL field for a foreign address", async () => {
    const viewId = await openModal();
    const ack = await submit(viewId, fieldValues(credentialsOf(USER, "https://ww5.autotask.net.evil.com")));
    expect(ack.payload).toMatchObject({ response_action: "errors" });
    const errors = (ack.payload as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors)).toEqual([BLOCK_IDS.portalUrl]);
  });

  it("updates the modal in the ack, runs the check and writes the final state with the contract metadata", async () => {
    const viewId = await openModal();
    const ack = await submit(viewId, fieldValues(credentialsOf(USER)));
    expect(ack.ms).toBeLessThan(3_000);
    expect(ack.payload).toMatchObject({ response_action: "update" });

    const thread = await stack.waitForResult(USER.username);
    expect(thread.channel).toBe(DEMO_CHANNEL);
    expect(metadataOf(thread)).toEqual({
      event_type: "autotask_connection_checked",
      event_payload: {
        request_id: expect.any(String),
        outcome: "ok",
        code: "ok",
        api_url: "https://webservices15.autotask.net",
        zone: "15",
        username: USER.username,
      },
    });
    const finalUpdate = slack
      .callsOf("chat.update")
      .find((call) => call.args.ts === thread.ts && call.args.metadata !== undefined);
    expect(finalUpdate?.response).toMatchObject({ ok: true });
  });

  it("never sends the secret back over the socket or to Slack", () => {
    const outgoing = JSON.stringify([socket.received, slack.calls]);
    expect(outgoing).not.toContain(USER.secret);
  });
});

describe("a reconnect Slack asks for", () => {
  it("survives a failed apps.connections.open: the bot reconnects and keeps answering", async () => {
    const granted = () =>
      slack.callsOf("apps.connections.open").filter((call) => (call.response as { ok?: boolean }).ok).length;
    const grantedBefore = granted();
    const accepted = socket.connectionsAccepted;
    slack.injectFault("apps.connections.open", { status: 500 });
    socket.requestReconnect();
    // Socket Mode waits its client ping timeout (5 s) before reconnecting; then one 500, then a ticket.
    await slack.waitFor(() => granted() > grantedBefore, 15_000);
    await socket.waitForConnections(1, 5_000);
    expect(socket.connectionsAccepted).toBe(accepted + 1);
    const { ack } = await slashCommand("help");
    expect(ack.payload).toMatchObject({ response_type: "ephemeral" });
  }, 20_000);
});
