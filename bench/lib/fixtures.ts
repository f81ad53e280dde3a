/** The workspace, people and API users every bench run uses, and the Slack requests built from them. */
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { inputValues, slashCommandBody, viewSubmissionBody } from "../../src/emulators/slack-requests.js";
import { BLOCK_IDS, CONNECT_CALLBACK_ID, encodeMetadata } from "../../src/slack/modal.js";

export const TEAM_ID = "T0BENCH";
export const CHANNEL_ID = "C0BENCH";
/** A second channel: the busy-channel phase's check outside the busy one. */
export const OTHER_CHANNEL_ID = "C0BENCHOTHER";
/** A third channel: warm-up and the reference thread of the busy-channel phase. */
export const WARM_CHANNEL_ID = "C0BENCHWARM";
/** Every channel the bot may post in, public, the bot a member. */
export const CHANNEL_IDS: readonly string[] = [CHANNEL_ID, OTHER_CHANNEL_ID, WARM_CHANNEL_ID];
/** Workspace admins, one per request in flight: AUTHORIZED_USERS=admins lets each of them in. */
export const ADMIN_IDS: readonly string[] = Array.from(
  { length: 20 },
  (_, i) => `U0BENCH${String(i).padStart(2, "0")}`,
);

export const PORTAL_URL = "https://ww15.autotask.net";

/** API users that pass every check in zone 15. */
export const API_USERS: readonly EmulatedApiUser[] = Array.from({ length: 20 }, (_, i) => ({
  username: `api${i}@bench.example`,
  secret: `Bench-Secret-${i}-Xq7!`,
  trackingId: `BENCHTRACKING${String(i).padStart(4, "0")}`,
  zone: "15",
}));

/** `/autotask-connect` with no text, as `ADMIN_IDS[i % 20]` types it (in CHANNEL_ID). */
export function slashBody(triggerId: string, index: number, responseUrl: string): string {
  return slashCommandBody({
    userId: ADMIN_IDS[index % ADMIN_IDS.length] as string,
    channelId: CHANNEL_ID,
    teamId: TEAM_ID,
    triggerId,
    responseUrl,
    text: "",
  });
}

/** A valid submission of the modal, view id `viewId`, by admin and API user `index % 20`, for `channelId`. */
export function submissionBody(
  viewId: string,
  index: number,
  responseUrl: string,
  channelId: string = CHANNEL_ID,
): string {
  const user = API_USERS[index % API_USERS.length] as EmulatedApiUser;
  return viewSubmissionBody(
    {
      id: viewId,
      callbackId: CONNECT_CALLBACK_ID,
      privateMetadata: encodeMetadata({ channelId, teamId: TEAM_ID, responseUrl }),
      values: inputValues({
        [BLOCK_IDS.portalUrl]: PORTAL_URL,
        [BLOCK_IDS.username]: user.username,
        [BLOCK_IDS.secret]: user.secret,
        [BLOCK_IDS.trackingId]: user.trackingId,
      }),
    },
    { id: ADMIN_IDS[index % ADMIN_IDS.length] as string, teamId: TEAM_ID },
  );
}
