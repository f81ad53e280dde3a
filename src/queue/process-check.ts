/**
 * The job processor: one check from queue to final Slack message. Retries only transient Autotask
 * trouble; a re-run after a crash continues the same thread and never reports twice.
 */
import { setTimeout as delay } from "node:timers/promises";
import { type Job, UnrecoverableError, WaitingError } from "bullmq";
import type { CheckInput } from "../autotask/check.js";
import { type CheckResult, type CheckStep, outcomeOf } from "../autotask/result.js";
import type { Logger } from "../ops/logger.js";
import type { SecretScrubber } from "../security/redact.js";
import { lastFour } from "../slack/mrkdwn.js";
import type { Notifier, NotifyTarget } from "../slack/notifier.js";
import type { RecentResults } from "../state/recent-results.js";
import type { RetryPrefills } from "../state/retry-prefill.js";
import type { ThreadLocation, ThreadStore } from "../state/thread-state.js";
import { type CheckJob, type CheckJobReturn, checkJobSchema } from "./jobs.js";
import type { LockoutGuard } from "./lockout.js";

export type ProcessCheckDeps = {
  runCheck: (
    input: CheckInput,
    hooks: { onStep: (step: CheckStep) => Promise<void>; signal?: AbortSignal },
  ) => Promise<CheckResult>;
  tooManyFailures: (input: {
    requestId: string;
    username: string;
    portalUrl: string;
    retryAt: Date;
  }) => CheckResult;
  isTransient: (code: CheckResult["code"]) => boolean;
  openSecret: (
    sealed: string,
    requestId: string,
  ) => { ok: true; secret: string } | { ok: false; reason: string };
  notifier: Notifier;
  threads: ThreadStore;
  lockout: LockoutGuard;
  retryPrefills: RetryPrefills;
  recent: RecentResults;
  scrubber: SecretScrubber;
  logger: Logger;
  onResult?: (result: CheckResult, durationMs: number) => void;
  /**
   * Called after the final result is posted and before the job's ciphertext is cleared, with the
   * job's data, its result and the thread it was reported in (a credentials watch starts here; a
   * crash re-run calls it again, so it must be idempotent). What it throws is logged, not retried.
   */
  afterResult?: (data: CheckJob, result: CheckResult, location: ThreadLocation | null) => Promise<void>;
  now?: () => number;
};

/** Waits between the tries of a write that follows a check's result, in milliseconds. */
const WRITE_RETRY_DELAYS_MS = [100, 300, 900, 2_000];

/**
 * A Redis write that follows a check's result. Were it to throw, BullMQ would run the whole check
 * again: a second login with credentials Autotask may just have rejected, which is how API users
 * get locked. A short outage (a failover, a reconnect) is ridden out here instead.
 */
async function steadily<T>(write: () => Promise<T>): Promise<T> {
  for (const wait of WRITE_RETRY_DELAYS_MS) {
    try {
      return await write();
    } catch {
      await delay(wait);
    }
  }
  return write();
}

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

export function createCheckProcessor(deps: ProcessCheckDeps) {
  const now = deps.now ?? Date.now;

  /** The check's result, or null when it was cancelled (shutdown) and must run again elsewhere. */
  async function check(
    job: Job<CheckJob>,
    data: CheckJob,
    target: NotifyTarget,
    signal?: AbortSignal,
  ): Promise<CheckResult | null> {
    const retryAt = await deps.lockout.blockedUntil(data.username);
    if (retryAt) {
      return deps.tooManyFailures({
        requestId: data.requestId,
        username: data.username,
        portalUrl: data.portalUrl,
        retryAt,
      });
    }
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
      if (result.code === "invalid_credentials")
        await steadily(() => deps.lockout.recordFailure(data.username));
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
    const state = await deps.threads.get(data.requestId);
    const target: NotifyTarget = {
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
    await deps.notifier.begin(target);

    let result = state.result;
    if (!result) {
      let checked: CheckResult | null;
      try {
        checked = await check(job, data, target, signal);
      } finally {
        // Step replies are posted in the background: none may still be in flight when this
        // attempt ends, or a re-run elsewhere could post the same step again.
        await deps.notifier.settle(target);
      }
      if (checked === null) {
        // Cancelled by a shutdown past its grace period: back to the queue, without using up an
        // attempt, for another worker to run from the start. Nothing of it was posted.
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
              }),
            )
          : null;
      target.context.retryId = retryId ?? undefined;
      const saved = result;
      await steadily(() => deps.threads.saveResult(data.requestId, saved, retryId));
      deps.onResult?.(result, now() - started);
    }

    await deps.notifier.finish(target, result);
    if (!state.posted.has("recent")) {
      await deps.recent.add(data.teamId, {
        requestId: data.requestId,
        finishedAt: now(),
        outcome: result.outcome,
        code: result.code,
        username: data.username,
        apiUrl: result.apiUrl,
        requesterId: data.requesterId,
      });
      await deps.threads.markPosted(data.requestId, "recent");
    }
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
    await job.updateData({ ...data, sealedSecret: "" });
    return { requestId: data.requestId, outcome: result.outcome, code: result.code };
  };
}
