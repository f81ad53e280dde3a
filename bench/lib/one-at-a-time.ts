/**
 * Checks one at a time, each on an idle bot: from sending the submission to its ack, to the parent
 * message (the request's first chat.postMessage) and to the final chat.update answered, on the
 * shared wall clock. The next check is sent once the last one's final reply has landed.
 */
import type { MessageEvent } from "../emulators-server.js";
import { wallClockMs } from "./clock.js";
import type { AppUnderTest, Emulators } from "./context.js";
import { nextViewIds } from "./context.js";
import { CHANNEL_ID, submissionBody } from "./fixtures.js";

export type OneAtATimeSamples = {
  /** Submission sent to its ack, in milliseconds. */
  ack: number[];
  /** Submission sent to the parent message answered, in milliseconds. */
  toParent: number[];
  /** Submission sent to the final chat.update answered, in milliseconds. */
  toFinal: number[];
};

/** Quiet on the Slack side long enough that a check has posted all it will (its last reply). */
const SETTLED_QUIET_MS = 300;

/**
 * Waits, one check at a time, until the check just finished has posted its last reply (which may
 * follow the final update): for the first check, until Slack has been quiet a while, which tells
 * how many replies a check posts; for the next ones, until that many have arrived.
 * @returns a function of the reply count before the check was submitted.
 */
function replyTracker(emulators: Emulators): (repliesBefore: number) => Promise<void> {
  let perCheck: number | undefined;
  return async (repliesBefore) => {
    if (perCheck !== undefined) return emulators.waitUntil("replies", repliesBefore + perCheck, 30_000);
    await emulators.process.call("settle", { quietMs: SETTLED_QUIET_MS, timeoutMs: 30_000 });
    perCheck = (await emulators.counts()).replies - repliesBefore;
  };
}

/**
 * Resolves with the time (on the emulators' clock) of the next event of this kind in `channel`;
 * rejects after `timeoutMs`.
 */
export function nextMessage(
  emulators: Emulators,
  event: "parent" | "final",
  channel: string,
  timeoutMs = 60_000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} message in ${channel} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = emulators.process.on(event, (data) => {
      const message = data as MessageEvent;
      if (message.channel !== channel) return;
      off();
      clearTimeout(timer);
      resolve(message.at);
    });
  });
}

/** Runs `warmup` + `checks` checks through `app`, one at a time; the warm-up ones are not sampled. */
export async function timeChecksOneAtATime(
  app: AppUnderTest,
  emulators: Emulators,
  options: { checks: number; warmup: number },
): Promise<OneAtATimeSamples> {
  const samples: OneAtATimeSamples = { ack: [], toParent: [], toFinal: [] };
  const total = options.warmup + options.checks;
  const views = nextViewIds(total);
  const settled = replyTracker(emulators);
  await emulators.process.call("watch", true);
  try {
    for (let i = 0; i < total; i += 1) {
      const replies = (await emulators.counts()).replies;
      const parent = nextMessage(emulators, "parent", CHANNEL_ID);
      const final = nextMessage(emulators, "final", CHANNEL_ID);
      const sent = wallClockMs();
      const answer = await app.sender.post(submissionBody(views[i] as string, i, emulators.responseUrl));
      if (answer.status !== 200) throw new Error(`${app.name}: submission answered ${answer.status}`);
      const [parentAt, finalAt] = await Promise.all([parent, final]);
      if (i >= options.warmup) {
        samples.ack.push(answer.ms);
        samples.toParent.push(parentAt - sent);
        samples.toFinal.push(finalAt - sent);
      }
      // The queue is idle again once the check's last reply (it may follow the final update) lands.
      await settled(replies);
    }
  } finally {
    await emulators.process.call("watch", false);
  }
  return samples;
}
