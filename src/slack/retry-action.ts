/**
 * The "Fix and retry" button: reopens the modal pre-filled with everything but the secret (and
 * but the tracking identifier, for anyone but the person who ran the check).
 */
import type { AllMiddlewareArgs, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { AuthorizedUsers } from "../config.js";
import { withDeadline } from "../ops/deadline.js";
import { prefillFor, type RetryPrefills } from "../state/retry-prefill.js";
import { type Authorizer, retryWhen, unverifiableCause } from "./authorize.js";
import { renderRefusal } from "./messages.js";
import { buildConnectModal, type ModalPrefill } from "./modal.js";

export type RetryActionDeps = {
  authorize: Authorizer;
  policy: AuthorizedUsers;
  prefills: RetryPrefills;
  /** The prefill is read before ack (the trigger id lives 3 s). @defaultValue 700 */
  lookupTimeoutMs?: number;
};

export function createRetryActionHandler({
  authorize,
  policy,
  prefills,
  lookupTimeoutMs = 700,
}: RetryActionDeps) {
  return async ({
    ack,
    body,
    client,
    respond,
    logger,
  }: SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs) => {
    const allowed = await authorize(body.user.id);
    if (!allowed.ok) {
      await ack();
      await respond({
        response_type: "ephemeral",
        replace_original: false,
        ...(allowed.reason === "unverifiable"
          ? {
              text: `I couldn't check whether you may run this command (${unverifiableCause(allowed)}). Please press Fix and retry again ${retryWhen(allowed)}.`,
            }
          : renderRefusal(policy, body.user.id)),
      });
      return;
    }
    const id = body.actions[0]?.value ?? "";
    const saved = await withDeadline(
      prefills.load(id).catch(() => null),
      lookupTimeoutMs,
      () => null,
    );
    // Anyone allowed may press the button on anyone's failed check; the tracking identifier goes
    // back only to the person who typed it.
    const prefill: ModalPrefill = saved ? prefillFor(saved, body.user.id) : {};
    const channelId = body.channel?.id ?? body.container?.channel_id;
    const view = buildConnectModal(prefill, {
      channelId: channelId ?? body.user.id,
      responseUrl: body.response_url,
      teamId: body.team?.id ?? undefined,
    });
    await ack();
    try {
      await client.views.open({ trigger_id: body.trigger_id, view });
    } catch (error) {
      logger.warn(
        { error: (error as { data?: { error?: string } }).data?.error },
        "views.open failed for Fix and retry",
      );
    }
  };
}
