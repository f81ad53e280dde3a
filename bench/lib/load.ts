/**
 * The load generator: signed Slack requests sent over keep-alive connections, a fixed number in
 * flight at once (closed loop), each timed from the first byte sent to the whole answer read.
 */
import { Pool } from "undici";
import { signRequest } from "../../src/emulators/slack-requests.js";

export type Answered = { status: number; text: string; ms: number };

export type SlackSender = {
  /** POSTs a form-encoded body to /slack/events, signed now, as Slack would. */
  post(body: string): Promise<Answered>;
  close(): Promise<void>;
};

/** @param connections keep-alive connections to the app; as many as requests in flight. */
export function createSlackSender(
  eventsUrl: string,
  signingSecret: string,
  connections: number,
): SlackSender {
  const url = new URL(eventsUrl);
  const pool = new Pool(url.origin, { connections, pipelining: 1 });
  return {
    async post(body) {
      const started = performance.now();
      const response = await pool.request({
        path: url.pathname,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...signRequest(signingSecret, body) },
        body,
      });
      const text = await response.body.text();
      return { status: response.statusCode, text, ms: performance.now() - started };
    },
    close: () => pool.close(),
  };
}

/**
 * Runs `send(0..count-1)` with `concurrency` in flight, each starting when one finishes.
 * Resolves with each call's result, in index order.
 */
export async function closedLoop<T>(
  count: number,
  concurrency: number,
  send: (index: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await send(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}
