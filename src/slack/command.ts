/**
 * `/autotask-connect [help | status | portal URL]`. Opens the modal at once: the trigger id lives
 * 3 s, so nothing runs between ack() and views.open.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from "@slack/bolt";
import { resolvePortalUrl } from "../autotask/domain.js";
import type { AuthorizedUsers } from "../config.js";
import { withDeadline } from "../ops/deadline.js";
import type { RecentResults } from "../state/recent-results.js";
import type { Admission } from "./admission.js";
import { type Authorizer, retryWhen, unverifiableCause } from "./authorize.js";
import { renderHelp, renderRefusal, renderStatus, type SlackMessage } from "./messages.js";
import { buildConnectModal, type ModalPrefill } from "./modal.js";
import { escapeMrkdwn } from "./mrkdwn.js";

export type CommandDeps = {
  authorize: Authorizer;
  policy: AuthorizedUsers;
  recent: RecentResults;
  /** Abuse limits, checked before the form opens so nobody fills it in for nothing. */
  checkAdmission?: (teamId: string, userId: string) => Promise<Admission>;
  /** `/autotask-connect watches`: this workspace's watches. */
  watches?: (teamId: string) => Promise<SlackMessage>;
};

export const COMMAND = "/autotask-connect";

const unverifiable = (authorization: { retryAt?: Date }) =>
  `I couldn't check whether you may run this command (${unverifiableCause(authorization)}). Please try again ${retryWhen(authorization)}.`;

export function createCommandHandler({ authorize, policy, recent, checkAdmission, watches }: CommandDeps) {
  return async ({
    command,
    ack,
    client,
    respond,
    logger,
  }: SlackCommandMiddlewareArgs & AllMiddlewareArgs) => {
    const text = command.text.trim();
    if (text.toLowerCase() === "help") {
      await ack({ response_type: "ephemeral", ...renderHelp() });
      return;
    }
    const allowed = await authorize(command.user_id);
    if (!allowed.ok) {
      const refusal =
        allowed.reason === "unverifiable"
          ? { text: unverifiable(allowed) }
          : renderRefusal(policy, command.user_id);
      await ack({ response_type: "ephemeral", ...refusal });
      return;
    }
    if (text.toLowerCase() === "status") {
      await ack();
      const entries = await withDeadline(recent.list(command.team_id), 2_000, () => null).catch(() => null);
      await respond(
        entries
          ? { response_type: "ephemeral", ...renderStatus(entries) }
          : {
              response_type: "ephemeral",
              text: "The bot's storage is unavailable right now; try again in a moment.",
            },
      );
      return;
    }

    if (text.toLowerCase() === "watches" && watches) {
      await ack();
      const list = await withDeadline(watches(command.team_id), 2_000, () => null).catch(() => null);
      await respond(
        list
          ? { response_type: "ephemeral", ...list }
          : {
              response_type: "ephemeral",
              text: "The bot's storage is unavailable right now; try again in a moment.",
            },
      );
      return;
    }

    const admitted: Admission = checkAdmission
      ? await checkAdmission(command.team_id, command.user_id)
      : { ok: true };
    if (!admitted.ok) {
      await ack({ response_type: "ephemeral", text: admitted.message });
      return;
    }

    const portal = text === "" ? null : resolvePortalUrl(text);
    const prefill: ModalPrefill = portal?.ok ? { portalUrl: text.slice(0, 3_000) } : {};
    const view = buildConnectModal(prefill, {
      channelId: command.channel_id,
      responseUrl: command.response_url,
      teamId: command.team_id,
    });
    await ack();
    try {
      await client.views.open({ trigger_id: command.trigger_id, view });
    } catch (error) {
      logger.warn({ error: (error as { data?: { error?: string } }).data?.error }, "views.open failed");
      await respond({
        response_type: "ephemeral",
        text: "Slack didn't let me open the form in time. Please run the command again.",
      });
      return;
    }
    if (portal && !portal.ok) {
      await respond({
        response_type: "ephemeral",
        text: `I left the Portal URL field empty: ${escapeMrkdwn(portal.reason)}.`,
      });
    }
  };
}
