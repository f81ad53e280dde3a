/**
 * The job processor: one check from queue to final Slack message. Retries only transient Autotask
 * trouble; a re-run after a crash continues the same thread and never reports twice.
 */
import { type Job, UnrecoverableError, WaitingError } from "bullmq";
import type { CheckInput } from "../autotask/check.js";
import { type CheckResult, type CheckStep, outcomeOf } from "../autotask/result.js";
import type { Logger } from "../ops/logger.js";
// A Redis write that follows a check's result must not throw on a blip: BullMQ would run the whole
// check again, a second login with credentials Autotask may just have rejected.
import { steadily } from "../ops/steadily.js";
import type { SecretScrubber } from "../security/redact.js";
import { lastFour } from "../slack/mrkdwn.js";
import type { Notifier, NotifyTarget } from "../slack/notifier.js";
import type { RecentResults } from "../state/recent-results.js";
import type { RetryPrefills } from "../state/retry-prefill.js";
import {
  freshThreadState,
  type ThreadLocation,
  type ThreadState,
  type ThreadStore,
} from "../state/thread-state.js";
import { type CheckJob, type CheckJobReturn, checkJobSchema } from "./jobs.js";

export type ProcessCheckDeps = {
  runCheck: (
    input: CheckInput,
    hooks: { onStep: (step: CheckStep) => Promise<void>; signal?: AbortSignal },
  ) => Promise<CheckResult>;
  isTransient: (code: CheckResult["code"]) => boolean;
  openSecret: (
    sealed: string,
    requestId: string,
  ) => { ok: true; secret: string } | { ok: false; reason: string };
  notifier: Notifier;
  threads: ThreadStore;
  retryPrefills: RetryPrefills;
  recent: RecentResults;
  scrubber: SecretScrubber;
  logger: Logger;
  onResult?: (result: CheckResult, durationMs: number) => void;
  /**
   * Called after the final result is posted and, for a check with a watch, before the job's
   * ciphertext is cleared (any other check's went with its saved result), with the
   * job's data, its result and the thread it was reported in (a credentials watch starts here; a
   * crash re-run calls it again, so it must be idempotent). What it throws is logged, not retried.
   */
  afterResult?: (data: CheckJob, result: CheckResult, location: ThreadLocation | null) => Promise<void>;
  now?: () => number;
};

/** A result for a check that could not run at all; `advice` says why in words a person can act on. */
export function internalErrorResult(job: CheckJob, advice: string): CheckResult {
  return {
    requestId: job.requestId,
    outcome: outcomeOf("internal_error"),
    code: "internal_error",
    apiUrl: null,
    zone: null,
    zoneName: null,
    username: job.username,
    checks: [],
    usage: null,
    advice,
  };
}

/** Where and for whom a job's check reports, with the thread state read for this attempt. */
function targetFor(data: CheckJob, state: ThreadState): NotifyTarget {
  return {
    thread: state,
    requestId: data.requestId,
    channelId: data.channelId,
    requesterId: data.requesterId,
    responseUrl: data.responseUrl,
    context: {
      requestId: data.requestId,
      requesterId: data.requesterId,
      username: data.username,
      trackingIdLast4: lastFour(data.trackingId),
      portalUrl: data.portalUrl,
      retryId: state.retryId ?? undefined,
    },
  };
}

/**
 * Reports a check whose job BullMQ gave up on without a result posted: attempts used up, or a job
 * that stalled past maxStalledCount (its worker died each time), which BullMQ fails on the next
 * worker to fetch it without running it. Posts the result if one was recorded, else says the
 * check could not finish, so no parent stays "Checking…". Called once, by the worker that failed
 * the job (BullMQ's `failed` event fires only there).
 */
export function createGiveUpReporter(deps: Pick<ProcessCheckDeps, "notifier" | "threads" | "logger">) {
  /** @param stalled true when the job stalled past the limit (its worker died each time). */
  return async function reportGivenUp(job: Job<CheckJob>, stalled: boolean): Promise<void> {
    const parsed = checkJobSchema.safeParse(job.data);
    if (!parsed.success) return;
    const data = parsed.data;
    const state = await deps.threads.get(data.requestId);
    if (state.posted.has("final")) return;
    const target = targetFor(data, state);
    const result =
      state.result ??
      internalErrorResult(
        data,
        stalled
          ? `The check could not finish: the bot stopped in the middle of it several times, so it was not tried again. Submit it again; if it happens again, tell whoever runs the bot, quoting request ${data.requestId}.`
          : `The check could not finish: every attempt failed inside the bot. Submit it again; if it happens again, tell whoever runs the bot, quoting request ${data.requestId}.`,
      );
    await deps.notifier.finish(target, result);
    deps.logger.warn(
      { requestId: data.requestId, jobId: job.id, code: result.code },
      "reported a check the queue gave up on",
    );
  };
}

export function createCheckProcessor(deps: ProcessCheckDeps) {
  const now = deps.now ?? Date.now;

  /** The check's result, or null when it was cancelled (shutdown) and must run again elsewhere. */
  async function check(
    job: Job<CheckJob>,
    data: CheckJob,
    target: NotifyTarget,
    signal?: AbortSignal,
  ): Promise<CheckResult | null> {
    const opened = deps.openSecret(data.sealedSecret, data.requestId);
    if (!opened.ok) {
      deps.logger.error(
        { requestId: data.requestId, reason: opened.reason },
        "could not decrypt the secret of a job",
      );
      return internalErrorResult(
        data,
        "The bot could not read the secret it was given (its web and worker processes must share one CREDENTIALS_KEY). Ask whoever runs the bot to check, then submit again.",
      );
    }
    const forget = deps.scrubber.add(opened.secret);
    try {
      const input: CheckInput = {
        requestId: data.requestId,
        portalUrl: data.portalUrl,
        username: data.username,
        secret: opened.secret,
        trackingId: data.trackingId,
      };
      const result = await deps.runCheck(input, {
        // A step cut short by cancellation ("the check was cancelled") is not the check's answer.
        onStep: async (step) => {
          if (!signal?.aborted) await deps.notifier.step(target, step, job.attemptsMade);
        },
        signal,
      });
      if (signal?.aborted) return null;
      // The login budget is kept inside runCheck: a re-run takes its own units, and a spent budget
      // makes runCheck itself answer too_many_failures without sending anything.
      const attempts = job.opts.attempts ?? 1;
      if (deps.isTransient(result.code) && job.attemptsMade + 1 < attempts) {
        // Exponential backoff with jitter: the wait is at most base * 2^attemptsMade.
        const baseMs = (job.opts.backoff as { delay?: number } | undefined)?.delay ?? 5_000;
        const maxWaitSeconds = Math.ceil((baseMs * 2 ** job.attemptsMade) / 1_000);
        await deps.notifier.notice(
          target,
          `retry-${job.attemptsMade + 1}`,
          `Autotask did not answer properly (${result.code}); trying again within ${maxWaitSeconds} s (attempt ${job.attemptsMade + 2} of ${attempts}).`,
        );
        // A plain Error makes BullMQ retry with backoff; its message is stored in Redis, so it
        // carries only the code.
        throw new Error(`${result.code}: retrying`);
      }
      return result;
    } finally {
      forget();
    }
  }

  return async function processCheck(
    job: Job<CheckJob>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<CheckJobReturn> {
    const started = now();
    const parsed = checkJobSchema.safeParse(job.data);
    if (!parsed.success)
      throw new UnrecoverableError("invalid_payload: the job data does not match the check job schema");
    const data = parsed.data;
    // Only the worker writes a check's thread state, while its job runs: on the job's first start
    // there is none to read. A re-run (BullMQ counts every start, a stalled or retried one too)
    // reads what the runs before it posted.
    const state = job.attemptsStarted > 1 ? await deps.threads.get(data.requestId) : freshThreadState();
    const target = targetFor(data, state);
    // The parent is posted while the check runs: no Autotask call waits for Slack. Step replies
    // wait for it inside the notifier; `finish` awaits it (and fails the attempt if it failed).
    const parent = deps.notifier.begin(target);
    parent.catch(() => {});

    // Step replies are posted in the background: none may still be in flight when an attempt ends
    // early (an error, a retry, a shutdown), or a re-run elsewhere could post the same step again.
    // On the way to `finish` they are not flushed here: the last steps share the final reply.
    const settled = <T>(error: T) => deps.notifier.settle(target).then(() => Promise.reject(error));

    // An earlier run may have dropped it already, with the result.
    let ciphertextInJob = data.sealedSecret !== "";
    let result = state.result;
    if (!result) {
      const checked = await check(job, data, target, signal).catch(settled);
      if (checked === null) {
        // Cancelled by a shutdown past its grace period: back to the queue, without using up an
        // attempt, for another worker to run from the start. Nothing of the run was posted but
        // the parent and the replies so far, and the parent's place is recorded first so the
        // re-run continues its thread.
        await deps.notifier.settle(target);
        await parent.catch(() => {});
        await job.moveToWait(token);
        throw new WaitingError();
      }
      result = checked;
      const retryId =
        result.outcome === "failed"
          ? await steadily(() =>
              deps.retryPrefills.save({
                portalUrl: data.portalUrl,
                username: data.username,
                trackingId: data.trackingId,
                requesterId: data.requesterId,
              }),
            ).catch(settled)
          : null;
      target.context.retryId = retryId ?? undefined;
      const saved = result;
      // The workspace's recent results (for `/autotask-connect status`) get the check in the same
      // step; a re-run after a crash finds the result saved and adds nothing twice.
      const listed = deps.recent.push(data.teamId, {
        requestId: data.requestId,
        finishedAt: now(),
        outcome: result.outcome,
        code: result.code,
        username: data.username,
        apiUrl: result.apiUrl,
        requesterId: data.requesterId,
      });
      // A check without a watch needs its secret no more once the result is saved: the ciphertext
      // leaves the job in the same step. A watch seals its own copy in `afterResult`, below.
      const jobData = data.watch
        ? undefined
        : { key: `${job.queueQualifiedName}:${job.id}`, data: JSON.stringify({ ...data, sealedSecret: "" }) };
      await steadily(() =>
        deps.threads.saveResult(data.requestId, saved, { retryId, recent: listed, jobData }),
      ).catch(settled);
      if (jobData) ciphertextInJob = false;
      deps.onResult?.(result, now() - started);
    }

    await parent.catch(settled);
    await deps.notifier.finish(target, result).catch(settled);
    if (deps.afterResult) {
      const finished = result;
      await deps.afterResult(data, finished, target.thread.location).catch((error: unknown) => {
        deps.logger.error(
          { requestId: data.requestId, err: deps.scrubber.scrub((error as Error).message ?? "") },
          "the after-result hook failed",
        );
      });
    }
    // The ciphertext is needed only while the job may still run.
    if (ciphertextInJob) await job.updateData({ ...data, sealedSecret: "" });
    return { requestId: data.requestId, outcome: result.outcome, code: result.code };
  };
}
