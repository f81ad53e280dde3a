/**
 * One run of a watch: a zone lookup, or a full check through the same composed `runCheck` the
 * check worker uses (login budget included); compare with the last finding; alert on change only.
 * A per-watch lock in Redis keeps two runs of one watch from overlapping anywhere in the fleet.
 */
import { randomUUID } from "node:crypto";
import type { CheckInput } from "../autotask/check.js";
import type { AutotaskClient } from "../autotask/client.js";
import type { CheckResult, CheckStep } from "../autotask/result.js";
import type { RetryPolicy } from "../autotask/retry.js";
import type { Logger } from "../ops/logger.js";
import type { SecretScrubber } from "../security/redact.js";
import type { WatchPoster } from "./alert.js";
import { type Change, detectChanges, observationOf } from "./changes.js";
import { type KeptSecretKeys, openKept } from "./kept-secret.js";
import { renderAlert } from "./render.js";
import type { WatchScheduler } from "./scheduler.js";
import type { Observation, WatchRecord, WatchStore } from "./store.js";
import { lookUpZone } from "./zone-run.js";

export type WatchRunDeps = {
  store: WatchStore;
  scheduler: Pick<WatchScheduler, "unschedule">;
  poster: WatchPoster;
  /** The composed check (ProcessCheckDeps.runCheck): the login budget applies inside it. */
  runCheck: (
    input: CheckInput,
    hooks: { onStep: (step: CheckStep) => Promise<void>; signal?: AbortSignal },
  ) => Promise<CheckResult>;
  autotask: Pick<AutotaskClient, "zoneInformation">;
  keys: KeptSecretKeys;
  scrubber: SecretScrubber;
  logger: Logger;
  intervalSeconds: number;
  retry?: Partial<RetryPolicy>;
  /** Longest a run may hold its watch's lock. @defaultValue 5 minutes */
  lockMs?: number;
  now?: () => number;
};

export type RunOutcome =
  | { status: "ran"; observation: Observation; changes: Change[]; alerted: boolean }
  /** Another run of this watch is in progress somewhere. */
  | { status: "busy" }
  /** The watch was stopped. */
  | { status: "gone" };

export function createWatchRunner(deps: WatchRunDeps) {
  const now = deps.now ?? Date.now;
  const { store, logger } = deps;

  /** The kept secret, or why it cannot be used: none kept, or it does not open. */
  async function keptSecret(watch: WatchRecord): Promise<string | null | { unreadable: string }> {
    if (watch.kind !== "credentials" || watch.credentialsRejected) return null;
    const sealed = await store.sealedSecret(watch.id);
    if (!sealed) return null;
    const opened = openKept(sealed, deps.keys, watch.id);
    if (!opened.ok) return { unreadable: opened.reason };
    if (opened.resealed) {
      await store.replaceSecret(watch.id, opened.resealed);
      logger.info({ watchId: watch.id }, "re-sealed a kept secret under the current CREDENTIALS_KEY");
    }
    return opened.secret;
  }

  async function observe(
    watch: WatchRecord,
    signal?: AbortSignal,
  ): Promise<{ observation: Observation; credentialsDropped: boolean }> {
    const secret = await keptSecret(watch);
    if (secret === null) {
      const observation = await lookUpZone(watch.username, {
        client: deps.autotask,
        retry: deps.retry,
        signal,
        now,
      });
      return { observation, credentialsDropped: false };
    }
    if (typeof secret === "object") {
      logger.error(
        { watchId: watch.id, reason: secret.unreadable },
        "could not decrypt a watch's kept secret",
      );
      const observation: Observation = {
        ...(watch.last ?? { apiUrl: null, zone: null, zoneName: null, usage: null }),
        at: now(),
        mode: "credentials",
        outcome: "failed",
        code: "internal_error",
        usage: null,
      };
      return { observation, credentialsDropped: false };
    }
    const forget = deps.scrubber.add(secret);
    try {
      const result = await deps.runCheck(
        {
          requestId: randomUUID(),
          portalUrl: watch.portalUrl,
          username: watch.username,
          secret,
          trackingId: watch.trackingId ?? "",
        },
        { onStep: async () => {}, signal },
      );
      // Autotask locks API users after repeated failed logins: a rejected secret is never sent again.
      const rejected = result.code === "invalid_credentials";
      if (rejected) await store.rejectCredentials(watch.id);
      return { observation: observationOf(result, "credentials", now()), credentialsDropped: rejected };
    } finally {
      forget();
    }
  }

  return async function runWatch(watchId: string, signal?: AbortSignal): Promise<RunOutcome> {
    const token = await store.lock(watchId, deps.lockMs ?? 5 * 60_000);
    if (!token) return { status: "busy" };
    try {
      const watch = await store.get(watchId);
      if (!watch) {
        await deps.scheduler.unschedule(watchId);
        return { status: "gone" };
      }
      const { observation, credentialsDropped } = await observe(watch, signal);
      const changes = watch.last ? detectChanges(watch.last, observation) : [];
      let alerted = false;
      if (changes.length > 0 && watch.last) {
        const message = renderAlert(watch, watch.last, observation, changes, {
          intervalSeconds: deps.intervalSeconds,
          credentialsDropped,
        });
        // Only a watch that still exists alerts (a stop may have landed during the run).
        if (await store.get(watchId)) {
          await deps.poster.alert({ channelId: watch.channelId, threadTs: watch.threadTs }, message);
          alerted = true;
        }
      }
      await store.saveObservation(watchId, observation);
      logger.info({ watchId, mode: observation.mode, code: observation.code, changes, alerted }, "watch ran");
      return { status: "ran", observation, changes, alerted };
    } finally {
      await store.unlock(watchId, token).catch(() => {});
    }
  };
}
