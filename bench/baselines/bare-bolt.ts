/**
 * The baseline for the Slack side: the least a Bolt app must do for the same requests. Same
 * @slack/bolt HTTPReceiver and signature verification as the bot, a slash command handler that
 * only acks and calls views.open with a fixed modal, and a view_submission handler that acks with
 * `response_action: "update"` (after `onSubmission`, when given: the bare pipeline's enqueue).
 */
import type { Server } from "node:http";
import { App, HTTPReceiver, LogLevel, type types, type ViewSubmitAction } from "@slack/bolt";

/** The same four inputs as the bot's modal, built once. */
const MODAL: types.ModalView = {
  type: "modal",
  callback_id: "autotask_connect",
  title: { type: "plain_text", text: "Connect Autotask" },
  submit: { type: "plain_text", text: "Check" },
  close: { type: "plain_text", text: "Cancel" },
  blocks: [
    ["portal_url", "Portal URL"],
    ["api_username", "API username"],
    ["secret", "Secret"],
    ["tracking_id", "Tracking identifier"],
  ].map(([id, label]) => ({
    type: "input" as const,
    block_id: id as string,
    label: { type: "plain_text" as const, text: label as string },
    element: { type: "plain_text_input" as const, action_id: id as string },
  })),
};

const SUBMITTED: types.ModalView = {
  type: "modal",
  title: { type: "plain_text", text: "Connect Autotask" },
  close: { type: "plain_text", text: "Close" },
  blocks: [{ type: "section", text: { type: "mrkdwn", text: "Checking… results follow in the channel." } }],
};

export type BareSubmission = { viewId: string; values: Record<string, string>; privateMetadata: string };

export type BareBoltOptions = {
  signingSecret: string;
  slackApiUrl: string;
  /** Runs before the submission's ack, when set. */
  onSubmission?: () => ((submission: BareSubmission) => Promise<void>) | undefined;
};

export type BareBolt = { eventsUrl: string; stop(): Promise<void> };

export async function startBareBolt(options: BareBoltOptions): Promise<BareBolt> {
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    endpoints: "/slack/events",
    processBeforeResponse: false,
  });
  const app = new App({
    token: "xoxb-bench-token",
    receiver,
    logLevel: LogLevel.WARN,
    clientOptions: { slackApiUrl: options.slackApiUrl, retryConfig: { retries: 0 }, timeout: 2_500 },
  });
  app.command("/autotask-connect", async ({ ack, client, command }) => {
    await ack();
    await client.views.open({ trigger_id: command.trigger_id, view: MODAL });
  });
  app.view<ViewSubmitAction>("autotask_connect", async ({ ack, view }) => {
    const handle = options.onSubmission?.();
    if (handle) {
      const values: Record<string, string> = {};
      for (const [blockId, actions] of Object.entries(view.state.values)) {
        values[blockId] = actions[blockId]?.value ?? "";
      }
      await handle({ viewId: view.id, values, privateMetadata: view.private_metadata });
    }
    await ack({ response_action: "update", view: SUBMITTED });
  });
  const server = (await app.start(0)) as Server;
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { eventsUrl: `http://127.0.0.1:${port}/slack/events`, stop: () => app.stop() as Promise<void> };
}
