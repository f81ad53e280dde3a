/**
 * One BullMQ Job Scheduler per watch (`upsertJobScheduler`) on the `watches` queue, under the same
 * hash-tagged prefix as the checks: schedules live in Redis, so they survive restarts, and BullMQ
 * hands each interval's job to exactly one worker of the fleet. Job data is the watch id only.
 */
import { Queue } from "bullmq";
import type { RedisClient } from "../queue/redis.js";

export const WATCH_QUEUE = "watches";
export const WATCH_JOB = "watch";

export type WatchJob = { watchId: string };

export type WatchScheduler = {
  /** Creates or updates the watch's scheduler: the first run one interval from now, then every interval. */
  schedule(watchId: string): Promise<void>;
  /** Removes the scheduler and its next pending run. */
  unschedule(watchId: string): Promise<void>;
  /** A one-off run now ("Check now"); a second request while one waits is ignored. */
  runNow(watchId: string): Promise<void>;
  /** When the next scheduled run is due (Unix ms), or null when the watch has no scheduler. */
  nextRunAt(watchId: string): Promise<number | null>;
  /** Every scheduler's watch id (for tests and the CLI). */
  scheduledIds(): Promise<string[]>;
  close(): Promise<void>;
};

export type WatchSchedulerOptions = {
  connection: RedisClient;
  prefix: string;
  /** Seconds between two runs of one watch. @defaultValue 86_400 */
  intervalSeconds: number;
  now?: () => number;
};

/** The scheduler id of a watch. BullMQ builds job ids from it, so no ":". */
export function schedulerIdOf(watchId: string): string {
  return `watch-${watchId}`;
}

const KEEP = {
  removeOnComplete: { count: 100, age: 7 * 86_400 },
  removeOnFail: { count: 100, age: 7 * 86_400 },
};

export function createWatchScheduler({
  connection,
  prefix,
  intervalSeconds,
  now = Date.now,
}: WatchSchedulerOptions): WatchScheduler {
  const queue = new Queue<WatchJob>(WATCH_QUEUE, { connection, prefix });
  queue.on("error", () => {});
  const everyMs = intervalSeconds * 1_000;
  return {
    async schedule(watchId) {
      await queue.upsertJobScheduler(
        schedulerIdOf(watchId),
        // The check that created the watch has just run: the first run is one interval later.
        { every: everyMs, startDate: now() + everyMs },
        { name: WATCH_JOB, data: { watchId }, opts: { attempts: 1, ...KEEP } },
      );
    },
    async unschedule(watchId) {
      await queue.removeJobScheduler(schedulerIdOf(watchId));
    },
    async runNow(watchId) {
      await queue.add(
        WATCH_JOB,
        { watchId },
        { jobId: `now-${watchId}`, attempts: 1, removeOnComplete: true, removeOnFail: true },
      );
    },
    async nextRunAt(watchId) {
      const scheduler = await queue.getJobScheduler(schedulerIdOf(watchId));
      return scheduler?.next ?? null;
    },
    async scheduledIds() {
      const schedulers = await queue.getJobSchedulers(0, -1);
      return schedulers.map((s) => (s.template?.data as WatchJob | undefined)?.watchId ?? s.key);
    },
    close: () => queue.close(),
  };
}
