/**
 * Requests as Slack sends them to an app: signed slash commands, view submissions and button
 * clicks. For end-to-end tests and the offline demo, which drive the real HTTP receiver.
 */
import { createHmac } from "node:crypto";
import { request } from "undici";

export type SignedHeaders = { "x-slack-signature": string; "x-slack-request-timestamp": string };

/**
 * Slack's v0 signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret.
 * @param timestampSeconds Unix seconds. @defaultValue now
 */
export function signRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): SignedHeaders {
  const hmac = createHmac("sha256", signingSecret).update(`v0:${timestampSeconds}:${rawBody}`).digest("hex");
  return { "x-slack-signature": `v0=${hmac}`, "x-slack-request-timestamp": String(timestampSeconds) };
}

export type SlashCommandFields = {
  userId: string;
  channelId: string;
  teamId: string;
  triggerId: string;
  responseUrl: string;
  /** @defaultValue "" */
  text?: string;
  /** @defaultValue "/autotask-connect" */
  command?: string;
  userName?: string;
  channelName?: string;
  teamDomain?: string;
  apiAppId?: string;
  /** Enterprise Grid only. */
  enterpriseId?: string;
};

/** A slash command's form-encoded body with every field Slack sends. */
export function slashCommandBody(fields: SlashCommandFields): string {
  const params = new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: fields.teamId,
    team_domain: fields.teamDomain ?? "emulated",
    channel_id: fields.channelId,
    channel_name: fields.channelName ?? fields.channelId.toLowerCase(),
    user_id: fields.userId,
    user_name: fields.userName ?? fields.userId.toLowerCase(),
    command: fields.command ?? "/autotask-connect",
    text: fields.text ?? "",
    api_app_id: fields.apiAppId ?? "AEMULATED",
    is_enterprise_install: "false",
    response_url: fields.responseUrl,
    trigger_id: fields.triggerId,
  });
  if (fields.enterpriseId) params.set("enterprise_id", fields.enterpriseId);
  return params.toString();
}

/** view.state.values as Slack sends it. */
export type ViewStateValues = Record<
  string,
  Record<string, { type?: string; value?: string | null; selected_options?: { value: string }[] }>
>;

/**
 * Turns `{ block_id: "typed value" }` into state values, with each action_id equal to its block_id.
 * An array stands for a checkboxes element: the values of the ticked options.
 */
export function inputValues(values: Record<string, string | string[] | null>): ViewStateValues {
  return Object.fromEntries(
    Object.entries(values).map(([blockId, value]) => [
      blockId,
      {
        [blockId]: Array.isArray(value)
          ? {
              type: "checkboxes",
              selected_options: value.map((option) => ({
                value: option,
                text: { type: "plain_text", text: option },
              })),
            }
          : { type: "plain_text_input", value },
      },
    ]),
  );
}

/**
 * An Events API callback as Slack posts it (JSON), e.g. `app_home_opened`
 * (api.slack.com/events/app_home_opened).
 */
export function eventCallbackBody(teamId: string, event: Record<string, unknown>): string {
  return JSON.stringify({
    token: "deprecated-verification-token",
    team_id: teamId,
    api_app_id: "AEMULATED",
    event: { ...event, event_ts: `${Date.now() / 1000}` },
    type: "event_callback",
    event_id: `Ev${Date.now().toString(36).toUpperCase()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: teamId, user_id: "UBOT", is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

export type SubmittedView = {
  id: string;
  callbackId: string;
  privateMetadata: string;
  values: ViewStateValues;
  hash?: string;
  /** The view's blocks, if a test cares; Slack sends them back with the submission. */
  blocks?: unknown[];
};

export type SlackUserRef = { id: string; teamId: string; name?: string };

function interactivityBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A view_submission as Slack posts it to the interactivity URL: `payload=` + JSON. */
export function viewSubmissionBody(view: SubmittedView, user: SlackUserRef): string {
  return interactivityBody({
    type: "view_submission",
    team: { id: user.teamId, domain: "emulated" },
    user: {
      id: user.id,
      username: user.name ?? user.id.toLowerCase(),
      name: user.name ?? user.id,
      team_id: user.teamId,
    },
    api_app_id: "AEMULATED",
    token: "deprecated-verification-token",
    trigger_id: `${Date.now()}.submission`,
    view: {
      id: view.id,
      team_id: user.teamId,
      type: "modal",
      blocks: view.blocks ?? [],
      private_metadata: view.privateMetadata,
      callback_id: view.callbackId,
      state: { values: view.values },
      hash: view.hash ?? `${Date.now()}.hash`,
      title: { type: "plain_text", text: "Connect Autotask" },
      clear_on_close: false,
      notify_on_close: false,
      close: { type: "plain_text", text: "Cancel" },
      submit: { type: "plain_text", text: "Check" },
      previous_view_id: null,
      root_view_id: view.id,
      app_id: "AEMULATED",
      external_id: "",
      app_installed_team_id: user.teamId,
      bot_id: "BEMULATED",
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  });
}

export type BlockActionFields = {
  user: SlackUserRef;
  /** The channel of the message clicked; absent for a click in a view (the App Home tab). */
  channelId?: string;
  /** Set for a click in a view (App Home): its id. */
  viewId?: string;
  /** ts of the message whose button was clicked ("" in a view). */
  messageTs: string;
  actionId: string;
  value?: string;
  triggerId: string;
  responseUrl?: string;
  blockId?: string;
  /** @defaultValue "Fix and retry" */
  buttonText?: string;
};

/** A button click (block_actions) as Slack posts it: `payload=` + JSON. */
export function blockActionBody(fields: BlockActionFields): string {
  return interactivityBody({
    type: "block_actions",
    user: {
      id: fields.user.id,
      username: fields.user.name ?? fields.user.id.toLowerCase(),
      name: fields.user.name ?? fields.user.id,
      team_id: fields.user.teamId,
    },
    api_app_id: "AEMULATED",
    token: "deprecated-verification-token",
    container: fields.viewId
      ? { type: "view", view_id: fields.viewId }
      : {
          type: "message",
          message_ts: fields.messageTs,
          channel_id: fields.channelId,
          is_ephemeral: false,
        },
    trigger_id: fields.triggerId,
    team: { id: fields.user.teamId, domain: "emulated" },
    enterprise: null,
    is_enterprise_install: false,
    ...(fields.channelId && {
      channel: { id: fields.channelId, name: fields.channelId.toLowerCase() },
      message: { type: "message", ts: fields.messageTs, bot_id: "BEMULATED", text: "", blocks: [] },
    }),
    ...(fields.viewId && { view: { id: fields.viewId, type: "home", team_id: fields.user.teamId } }),
    state: { values: {} },
    response_url: fields.responseUrl ?? "",
    actions: [
      {
        type: "button",
        action_id: fields.actionId,
        block_id: fields.blockId ?? "actions",
        text: { type: "plain_text", text: fields.buttonText ?? "Fix and retry", emoji: true },
        ...(fields.value !== undefined && { value: fields.value }),
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  });
}

export type SignedResponse = {
  status: number;
  /** The body parsed as JSON, or undefined when it is not JSON (an empty ack, say). */
  json: unknown;
  text: string;
  /** Time from sending to the whole answer, in milliseconds. */
  ms: number;
};

export type PostSignedOptions = {
  /** Unix seconds to sign with (an old one makes a stale request). @defaultValue now */
  timestampSeconds?: number;
  /** Sent instead of the computed signature (a forged request). */
  signature?: string;
  /** @defaultValue "application/x-www-form-urlencoded", or JSON when the body starts with "{" */
  contentType?: string;
};

/** POSTs a body to the app as Slack would, signed with the signing secret. */
export async function postSigned(
  url: string,
  signingSecret: string,
  body: string,
  options: PostSignedOptions = {},
): Promise<SignedResponse> {
  const signed = signRequest(signingSecret, body, options.timestampSeconds);
  const contentType =
    options.contentType ?? (body.startsWith("{") ? "application/json" : "application/x-www-form-urlencoded");
  const started = performance.now();
  const response = await request(url, {
    method: "POST",
    headers: {
      "content-type": contentType,
      ...signed,
      ...(options.signature !== undefined && { "x-slack-signature": options.signature }),
    },
    body,
  });
  const text = await response.body.text();
  const ms = performance.now() - started;
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, json, text, ms };
}
