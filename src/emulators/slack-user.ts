/**
 * A person using the bot through the Slack emulator: types the command, waits for the modal,
 * fills it in and submits it, clicks buttons. Each request is signed as Slack signs it and sent
 * to the bot's real HTTP receiver. Shared by the demo stack, the end-to-end and the fault tests.
 */
import { BLOCK_IDS, CONNECT_CALLBACK_ID, WATCH_BLOCK_ID, WATCH_OPTION_VALUE } from "../slack/modal.js";
import type { SlackEmulator } from "./slack.js";
import {
  blockActionBody,
  eventCallbackBody,
  inputValues,
  postSigned,
  type SignedResponse,
  slashCommandBody,
  viewSubmissionBody,
} from "./slack-requests.js";

/** What a person types into the modal; `watch` ticks "Watch this connection". */
export type Credentials = {
  portalUrl: string;
  username: string;
  secret: string;
  trackingId: string;
  watch?: boolean;
};

/** Values as typed, keyed by block id; an array is the ticked options of a checkboxes input. */
export type TypedValues = Record<string, string | string[] | null>;

/** The modal's four fields as typed, keyed by block id. */
export function fieldValues(credentials: Credentials): Record<string, string> {
  return {
    [BLOCK_IDS.portalUrl]: credentials.portalUrl,
    [BLOCK_IDS.username]: credentials.username,
    [BLOCK_IDS.secret]: credentials.secret,
    [BLOCK_IDS.trackingId]: credentials.trackingId,
  };
}

/** Everything the form holds as filled in: the four fields, and the Watch box when ticked. */
export function formValues(credentials: Credentials): TypedValues {
  return {
    ...fieldValues(credentials),
    ...(credentials.watch && { [WATCH_BLOCK_ID]: [WATCH_OPTION_VALUE] }),
  };
}

export type SlackUser = {
  /** Sends `/autotask-connect <text>`; resolves with the bot's answer and the trigger it was given. */
  slashCommand(options: {
    userId: string;
    channelId: string;
    text?: string;
  }): Promise<SignedResponse & { triggerId: string; responseUrl: string }>;
  /** Submits the view with this id (as Slack shows it now) with these field values. */
  submitView(viewId: string, values: TypedValues, userId: string): Promise<SignedResponse>;
  /** Runs the command, waits for the modal to open, and submits it filled with `credentials`. */
  submitCheck(
    credentials: Credentials,
    options: { userId: string; channelId: string },
  ): Promise<{ viewId: string; answer: SignedResponse }>;
  /** Clicks a button in a message (channelId, messageTs) or in the App Home tab (inHome). */
  clickButton(options: {
    userId: string;
    channelId?: string;
    messageTs?: string;
    inHome?: boolean;
    actionId: string;
    value?: string;
  }): Promise<SignedResponse>;
  /** Opens the bot's App Home tab: Slack sends `app_home_opened`. */
  openAppHome(userId: string): Promise<SignedResponse>;
};

export type SlackUserOptions = {
  slack: SlackEmulator;
  /** The bot's `POST /slack/events` URL. */
  botUrl: string;
  signingSecret: string;
  /** Told about every value submitted in the secret field (the CI leak audit records them). */
  onSecretTyped?: (secret: string) => void;
};

export function createSlackUser({
  slack,
  botUrl,
  signingSecret,
  onSecretTyped,
}: SlackUserOptions): SlackUser {
  const teamId = slack.teamId;
  const user: SlackUser = {
    async slashCommand({ userId, channelId, text = "" }) {
      const triggerId = slack.issueTriggerId();
      const responseUrl = slack.responseUrlFor(channelId);
      const body = slashCommandBody({ userId, channelId, teamId, triggerId, responseUrl, text });
      return { ...(await postSigned(botUrl, signingSecret, body)), triggerId, responseUrl };
    },

    submitView(viewId, values, userId) {
      const typedSecret = values[BLOCK_IDS.secret];
      if (typeof typedSecret === "string" && typedSecret) onSecretTyped?.(typedSecret);
      const view = slack.view(viewId) as { private_metadata?: string } | undefined;
      const body = viewSubmissionBody(
        {
          id: viewId,
          callbackId: CONNECT_CALLBACK_ID,
          privateMetadata: view?.private_metadata ?? "",
          values: inputValues(values),
        },
        { id: userId, teamId },
      );
      return postSigned(botUrl, signingSecret, body);
    },

    async submitCheck(credentials, { userId, channelId }) {
      const command = await user.slashCommand({ userId, channelId });
      const opened = await slack.waitFor(() =>
        slack
          .callsOf("views.open")
          .find(
            (call) => call.args.trigger_id === command.triggerId && (call.response as { ok?: boolean }).ok,
          ),
      );
      const viewId = (opened.response as { view: { id: string } }).view.id;
      return { viewId, answer: await user.submitView(viewId, formValues(credentials), userId) };
    },

    clickButton({ userId, channelId, messageTs = "", inHome, actionId, value }) {
      const body = blockActionBody({
        user: { id: userId, teamId },
        ...(inHome ? { viewId: `VHOME${userId}` } : { channelId }),
        messageTs,
        actionId,
        value,
        triggerId: slack.issueTriggerId(),
        // Slack sends no response_url for a click in a view.
        ...(!inHome && channelId && { responseUrl: slack.responseUrlFor(channelId) }),
      });
      return postSigned(botUrl, signingSecret, body);
    },

    openAppHome(userId) {
      const body = eventCallbackBody(teamId, {
        type: "app_home_opened",
        user: userId,
        channel: `D${userId.slice(1)}`,
        tab: "home",
      });
      return postSigned(botUrl, signingSecret, body);
    },
  };
  return user;
}
