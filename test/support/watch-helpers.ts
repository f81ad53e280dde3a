/** Helpers for the watch tests: starting watches as a person does, and reading what they did. */

import { ZONE_LOOKUP_HOST } from "../../src/autotask/domain.js";
import type { Stack } from "../../src/demo/stack.js";
import { DEMO_CHANNEL } from "../../src/demo/stack.js";
import type { EmulatedApiUser, RecordedRequest } from "../../src/emulators/autotask.js";
import type { EmulatedMessage, EmulatedThread } from "../../src/emulators/slack.js";
import { WATCH_ZONE_ACTION_ID } from "../../src/slack/watch-button.js";
import { type AlertPayload, CHANGE_EVENT_TYPE } from "../../src/watch/render.js";
import { credentialsOf } from "./e2e-helpers.js";

type Button = { type?: string; action_id?: string; value?: string };

/** Every button in a message, in order. */
export function buttonsOf(message: { blocks?: unknown[] }): Button[] {
  return ((message.blocks ?? []) as { type?: string; elements?: Button[] }[])
    .filter((block) => block.type === "actions")
    .flatMap((block) => block.elements ?? []);
}

/** The value of the Watch zone button on a finished check's parent. */
export function watchZoneValue(thread: EmulatedThread): string {
  const button = buttonsOf(thread).find((b) => b.action_id === WATCH_ZONE_ACTION_ID);
  if (!button?.value) throw new Error("no Watch zone button on this result");
  return button.value;
}

/** The alerts (replies carrying autotask_connection_changed metadata) in a check's thread. */
export function alertsIn(stack: Stack, parentTs: string, channelId = DEMO_CHANNEL): EmulatedMessage[] {
  const thread = stack.slack.thread(channelId).find((message) => message.ts === parentTs);
  return (thread?.replies ?? []).filter(
    (reply) => (reply.metadata as { event_type?: string } | undefined)?.event_type === CHANGE_EVENT_TYPE,
  );
}

export function payloadOf(alert: EmulatedMessage): AlertPayload {
  return (alert.metadata as { event_payload: AlertPayload }).event_payload;
}

/** zoneInformation requests for this username (each watch run makes one). */
export function zoneLookups(stack: Stack, username: string): RecordedRequest[] {
  return stack.autotask.requests.filter(
    (request) =>
      request.host === ZONE_LOOKUP_HOST && request.query.user?.toLowerCase() === username.toLowerCase(),
  );
}

/** Requests that carried this username's credentials. */
export function credentialLogins(stack: Stack, username: string): RecordedRequest[] {
  return stack.autotask.requests.filter(
    (request) => request.authenticated && request.headers.username?.toLowerCase() === username.toLowerCase(),
  );
}

/** Runs a check of `user` (with the Watch box ticked when `watch`) and waits for its finished thread. */
export async function checkOf(
  stack: Stack,
  user: EmulatedApiUser,
  options: { watch?: boolean; portalUrl?: string; userId?: string } = {},
): Promise<EmulatedThread> {
  await stack.submitCheck(
    { ...credentialsOf(user, options.portalUrl), watch: options.watch },
    options.userId ? { userId: options.userId } : {},
  );
  return stack.waitForResult(user.username);
}

/** The "started watching" reply in a thread, once posted. */
export function startedReply(stack: Stack, parentTs: string, timeoutMs = 10_000): Promise<EmulatedMessage> {
  return stack.slack.waitFor(
    () =>
      stack.slack
        .thread(DEMO_CHANNEL)
        .find((message) => message.ts === parentTs)
        ?.replies.find((reply) => reply.text.includes("started watching")),
    timeoutMs,
  );
}

/** Presses Watch zone on a finished check, as `userId`. */
export async function pressWatchZone(stack: Stack, thread: EmulatedThread, userId?: string) {
  return stack.clickButton({
    ...(userId && { userId }),
    channelId: DEMO_CHANNEL,
    messageTs: thread.ts,
    actionId: WATCH_ZONE_ACTION_ID,
    value: watchZoneValue(thread),
  });
}
