/**
 * The modal's submission: validate, encrypt the secret, enqueue, ack. All inside Slack's 3 s, and
 * a Redis outage shows on the modal within 2 s with everything typed still there.
 */
import { randomUUID } from "node:crypto";
import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from "@slack/bolt";
import type { Logger } from "../ops/logger.js";
import type { CheckJob } from "../queue/jobs.js";
import type { EnqueueResult } from "../queue/producer.js";
import type { SecretScrubber } from "../security/redact.js";
import type { Admission } from "./admission.js";
import { type Authorizer, retryWhen, unverifiableCause } from "./authorize.js";
import { renderEnqueueFailed } from "./messages.js";
import { BLOCK_IDS, buildSubmittedView, decodeMetadata, parseSubmission } from "./modal.js";

export type SubmissionDeps = {
  enqueue: (job: CheckJob, options?: { firstSubmission?: boolean }) => Promise<EnqueueResult>;
  sealSecret: (secret: string, requestId: string) => string;
  /** Scrubs the submitted secret from log lines while the submission is handled. */
  scrubber?: SecretScrubber;
  authorize: Authorizer;
  /** Abuse limits: counts the check, or refuses with the time to wait. */
  admit?: (teamId: string, userId: string, submissionId?: string) => Promise<Admission>;
  logger: Logger;
  newRequestId?: () => string;
  now?: () => number;
};

type ErrorsAck = { response_action: "errors"; errors: Record<string, string> };

/**
 * The add may still land: the modal must not say it failed. The job id is the view's, so pressing
 * Check again either queues it or finds it queued, never runs it twice.
 */
export const ENQUEUE_UNCONFIRMED =
  "The bot's queue did not answer in time, so I can't tell yet whether your check was queued. Nothing you typed is lost: press Check again in a moment; a check already queued is never run twice.";

/** The modal once a second submission of one form found its check queued already. */
function alreadyQueuedView(channelId: string) {
  const view = buildSubmittedView(channelId);
  return {
    ...view,
    blocks: [
      {
        type: "section" as const,
        block_id: "submitted",
        text: {
          type: "mrkdwn" as const,
          text: `This form's check is queued already (it runs once): results will appear in <#${channelId}>.`,
        },
      },
    ],
  };
}

export function createSubmissionHandler(deps: SubmissionDeps) {
  const newRequestId = deps.newRequestId ?? randomUUID;
  const now = deps.now ?? Date.now;
  const fieldError = (message: string, block: string = BLOCK_IDS.portalUrl): ErrorsAck => ({
    response_action: "errors",
    errors: { [block]: message },
  });

  return async (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => {
    // Anything logged while the secret is in this process's memory is scrubbed of it.
    const secret = args.view.state.values[BLOCK_IDS.secret]?.[BLOCK_IDS.secret]?.value;
    const forget = secret && deps.scrubber ? deps.scrubber.add(secret) : () => {};
    try {
      await handle(args);
    } finally {
      forget();
    }
  };

  async function handle({ ack, body, view }: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) {
    const metadata = decodeMetadata(view.private_metadata);
    if (!metadata) {
      await ack(fieldError("This form is out of date. Close it and run /autotask-connect again."));
      return;
    }
    const parsed = parseSubmission(view.state.values);
    if (!parsed.ok) {
      await ack({ response_action: "errors", errors: parsed.errors });
      return;
    }
    const teamId = body.team?.id ?? metadata.teamId ?? body.user.team_id ?? "unknown";
    const allowed = await deps.authorize(body.user.id);
    if (!allowed.ok) {
      await ack(
        fieldError(
          allowed.reason === "unverifiable"
            ? `I couldn't check whether you may run this check (${unverifiableCause(allowed)}). Nothing you typed is lost: press Check again ${retryWhen(allowed)}.`
            : "You are not allowed to run this check. Ask a workspace admin for access.",
        ),
      );
      return;
    }
    let firstSubmission = false;
    if (deps.admit) {
      // Counted per view: the same form submitted again (Slack's retry, a second click, a
      // resubmission after an unconfirmed enqueue) uses up one check, not two.
      const admitted = await deps.admit(teamId, body.user.id, view.id);
      if (!admitted.ok) {
        await ack(fieldError(admitted.message));
        return;
      }
      firstSubmission = admitted.firstTime === true;
    }

    const { submission } = parsed;
    const requestId = newRequestId();
    const job: CheckJob = {
      requestId,
      viewId: view.id,
      teamId,
      channelId: metadata.channelId,
      requesterId: body.user.id,
      responseUrl: metadata.responseUrl,
      portalUrl: submission.portalUrl,
      username: submission.username,
      trackingId: submission.trackingId,
      sealedSecret: deps.sealSecret(submission.secret, requestId),
      requestedAt: now(),
      ...(submission.watch && { watch: true }),
    };
    const queued = await deps.enqueue(job, { firstSubmission });
    if (!queued.ok) {
      deps.logger.warn(
        { requestId, viewId: view.id, reason: queued.reason, detail: queued.detail },
        queued.reason === "unavailable"
          ? "could not enqueue a check: queue unavailable"
          : "could not confirm a check was queued: Redis did not answer in time",
      );
      await ack(fieldError(queued.reason === "unavailable" ? renderEnqueueFailed() : ENQUEUE_UNCONFIRMED));
      return;
    }
    if (queued.duplicate) {
      deps.logger.info(
        { viewId: view.id, jobId: queued.jobId },
        "form submitted again: its check is queued already",
      );
      await ack({ response_action: "update", view: alreadyQueuedView(metadata.channelId) });
      return;
    }
    deps.logger.info({ requestId, jobId: queued.jobId }, "check queued");
    await ack({ response_action: "update", view: buildSubmittedView(metadata.channelId) });
  }
}
