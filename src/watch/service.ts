/**
 * Creating, stopping, listing and running watches now: what the Slack handlers and the check
 * processor's hook call. Store and scheduler change together; a stop removes both at once.
 */
import type { CheckResult } from "../autotask/result.js";
import { zoneById } from "../autotask/zones.js";
import type { Logger } from "../ops/logger.js";
import type { ThreadRef, WatchPoster } from "./alert.js";
import { observationOf } from "./changes.js";
import { sealKept } from "./kept-secret.js";
import { renderWatchRefused, renderWatchStarted, type WatchListEntry } from "./render.js";
import type { WatchScheduler } from "./scheduler.js";
import type { CreateWatch, WatchRecord, WatchStore } from "./store.js";

export type WatchServiceDeps = {
  store: WatchStore;
  scheduler: WatchScheduler;
  poster: WatchPoster;
  /** WATCHES_PER_WORKSPACE. */
  limit: number;
  /** WATCH_INTERVAL_SECONDS. */
  intervalSeconds: number;
  /** CREDENTIALS_KEY: kept secrets are sealed under it. */
  credentialsKey: Buffer;
  logger: Logger;
  now?: () => number;
};

export type Created =
  | { ok: true; watch: WatchRecord; alreadyWatched: boolean }
  | { ok: false; reason: "limit" | "watched"; existing: WatchRecord | null };

/** What the Watch zone button carries: the checked connection, as its final message shows it. */
export type ZoneWatchRequest = {
  /** The check's request id: also the watch id, so a second press finds the same watch. */
  requestId: string;
  teamId: string;
  thread: ThreadRef;
  username: string;
  portalUrl: string;
  apiUrl: string | null;
  zone: string | null;
  createdBy: string;
};

export type CredentialsWatchRequest = {
  requestId: string;
  teamId: string;
  thread: ThreadRef;
  username: string;
  portalUrl: string;
  trackingId: string;
  secret: string;
  createdBy: string;
  result: CheckResult;
};

export type WatchService = ReturnType<typeof createWatchService>;

export function createWatchService(deps: WatchServiceDeps) {
  const { store, scheduler, poster, logger } = deps;
  const now = deps.now ?? Date.now;

  async function create(watch: CreateWatch): Promise<Created> {
    const outcome = await store.create(watch, deps.limit);
    if (outcome.status === "limit") return { ok: false, reason: "limit", existing: null };
    if (outcome.status === "watched")
      return { ok: false, reason: "watched", existing: await store.get(outcome.existingId) };
    // A scheduler without a record would only find the watch gone; a record without a scheduler
    // would never run: on "exists" (a second press, a re-run after a crash) schedule only if missing,
    // so a double click does not push the next run back.
    if (outcome.status === "created" || (await scheduler.nextRunAt(watch.id)) === null)
      await scheduler.schedule(watch.id);
    const stored = (await store.get(watch.id)) ?? { ...watch, credentialsRejected: false };
    return { ok: true, watch: stored, alreadyWatched: outcome.status === "exists" };
  }

  async function announce(created: Created, thread: ThreadRef, username: string): Promise<void> {
    const message = created.ok
      ? created.alreadyWatched
        ? null
        : renderWatchStarted(created.watch, deps.intervalSeconds)
      : renderWatchRefused(
          created.reason === "limit"
            ? { status: "limit", limit: deps.limit }
            : { status: "watched", existing: created.existing },
          username,
        );
    if (!message) return;
    await poster.reply(thread, message).catch((error: unknown) => {
      logger.warn({ err: (error as Error).message }, "could not post a watch's thread reply");
    });
  }

  async function stop(watchId: string, teamId: string): Promise<WatchRecord | null> {
    const watch = await store.get(watchId);
    if (!watch || watch.teamId !== teamId) return null;
    await scheduler.unschedule(watchId);
    return store.remove(watchId);
  }

  return {
    create,

    /** The Watch zone button: a zone watch, keeping no secret. */
    async watchZone(request: ZoneWatchRequest): Promise<Created> {
      const zone = request.zone ? zoneById(request.zone) : null;
      const created = await create({
        id: request.requestId,
        teamId: request.teamId,
        kind: "zone",
        username: request.username,
        portalUrl: request.portalUrl,
        trackingId: null,
        channelId: request.thread.channelId,
        threadTs: request.thread.threadTs,
        createdBy: request.createdBy,
        createdAt: now(),
        last: {
          at: now(),
          mode: "zone",
          outcome: "ok",
          code: "ok",
          apiUrl: request.apiUrl,
          zone: request.zone,
          zoneName: zone?.name ?? null,
          usage: null,
        },
      });
      await announce(created, request.thread, request.username);
      return created;
    },

    /**
     * A check with "Watch this connection" ticked that ended ok or warning. A watch of the same API
     * username in this workspace is replaced: that is how a watch whose secret was rejected resumes.
     */
    async watchConnection(request: CredentialsWatchRequest): Promise<Created> {
      const existing = (await store.list(request.teamId)).find(
        (watch) =>
          watch.id !== request.requestId && watch.username.toLowerCase() === request.username.toLowerCase(),
      );
      if (existing) await stop(existing.id, request.teamId);
      const created = await create({
        id: request.requestId,
        teamId: request.teamId,
        kind: "credentials",
        username: request.username,
        portalUrl: request.portalUrl,
        trackingId: request.trackingId,
        channelId: request.thread.channelId,
        threadTs: request.thread.threadTs,
        createdBy: request.createdBy,
        createdAt: now(),
        last: observationOf(request.result, "credentials", now()),
        sealedSecret: sealKept(request.secret, deps.credentialsKey, request.requestId),
      });
      await announce(created, request.thread, request.username);
      return created;
    },

    /** Stops a watch of this workspace: its scheduler, record and kept secret go at once. */
    stop,

    /** Runs the watch now, outside its schedule. False when it is not a watch of this workspace. */
    async checkNow(watchId: string, teamId: string): Promise<WatchRecord | null> {
      const watch = await store.get(watchId);
      if (!watch || watch.teamId !== teamId) return null;
      await scheduler.runNow(watchId);
      return watch;
    },

    async list(teamId: string): Promise<WatchListEntry[]> {
      const watches = await store.list(teamId);
      return Promise.all(
        watches.map(async (watch) => ({ watch, nextRunAt: await scheduler.nextRunAt(watch.id) })),
      );
    },
  };
}
