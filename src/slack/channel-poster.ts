/**
 * Posting into Slack channels at Slack's pace, one lane per channel. Slack allows about one
 * chat.postMessage per second per channel with short bursts and answers HTTP 429 with
 * `Retry-After` past it (api.slack.com/docs/rate-limits, "Posting messages"). `@slack/web-api`
 * waits a 429 out inside the call and pauses its whole request queue meanwhile, so one busy
 * channel would hold up every other channel's posts: the WebClient used here must be built with
 * `rejectRateLimitedCalls: true`, and the wait happens in the lane of the channel that was limited.
 */
import { setTimeout as defaultSleep } from "node:timers/promises";
import { ErrorCode } from "@slack/web-api";

export type ChannelPosterOptions = {
  /** 429s one call may wait out before it fails. @defaultValue 20 */
  maxRateLimitWaits?: number;
  /** @defaultValue a timer */
  sleep?: (ms: number) => Promise<unknown>;
  /** Told about each 429 (metrics, logs). `retryAfterSeconds` as Slack sent it. */
  onRateLimited?: (method: string, retryAfterSeconds: number) => void;
};

export type ChannelPoster = {
  /**
   * Runs `send` after every earlier post of this channel has finished (FIFO per channel; other
   * channels do not wait), waiting out Retry-After and calling `send` again on a 429.
   */
  post<T>(channel: string, send: () => Promise<T>): Promise<T>;
  /** Any other rate-limited call (chat.update, conversations.open): waits out its 429s, in no lane. */
  call<T>(method: string, send: () => Promise<T>): Promise<T>;
};

/** Retry-After in seconds when `error` is the WebClient's rejected rate-limited call, else null. */
export function retryAfterOf(error: unknown): number | null {
  const { code, retryAfter } = (error ?? {}) as { code?: unknown; retryAfter?: unknown };
  if (code !== ErrorCode.RateLimitedError) return null;
  return typeof retryAfter === "number" && retryAfter >= 0 ? retryAfter : 1;
}

export function createChannelPoster(options: ChannelPosterOptions = {}): ChannelPoster {
  const maxWaits = options.maxRateLimitWaits ?? 20;
  const sleep = options.sleep ?? ((ms: number) => defaultSleep(ms));
  const lanes = new Map<string, Promise<unknown>>();

  async function patiently<T>(method: string, send: () => Promise<T>): Promise<T> {
    for (let waits = 0; ; waits += 1) {
      try {
        return await send();
      } catch (error) {
        const retryAfter = retryAfterOf(error);
        if (retryAfter === null || waits >= maxWaits) throw error;
        options.onRateLimited?.(method, retryAfter);
        await sleep(retryAfter * 1_000);
      }
    }
  }

  return {
    post(channel, send) {
      const previous = lanes.get(channel) ?? Promise.resolve();
      const next = previous.then(() => patiently("chat.postMessage", send));
      const tail = next.catch(() => {});
      lanes.set(channel, tail);
      // Forget an idle lane, so channels posted in once do not pile up in memory.
      void tail.then(() => {
        if (lanes.get(channel) === tail) lanes.delete(channel);
      });
      return next;
    },
    call: patiently,
  };
}
