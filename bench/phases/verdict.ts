/**
 * Time to verdict under upstream latency: one check at a time, from sending the submission to the
 * emulator answering the parent's final chat.update (both on the shared wall clock), with Autotask
 * and Slack answering slowly, as they do in production. Its reference is the critical path.
 */

import type { MessageEvent } from "../emulators-server.js";
import { wallClockMs } from "../lib/clock.js";
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { nextViewIds } from "../lib/context.js";
import { ADMIN_IDS, CHANNEL_ID, slashBody, submissionBody } from "../lib/fixtures.js";
import { closedLoop } from "../lib/load.js";

export type VerdictSamples = {
  /** How many entities each check probed. */
  entities: number;
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
export function replyTracker(emulators: Emulators): (repliesBefore: number) => Promise<void> {
  let perCheck: number | undefined;
  return async (repliesBefore) => {
    if (perCheck !== undefined) return emulators.waitUntil("replies", repliesBefore + perCheck, 30_000);
    await emulators.process.call("settle", { quietMs: SETTLED_QUIET_MS, timeoutMs: 30_000 });
    perCheck = (await emulators.counts()).replies - repliesBefore;
  };
}

/**
 * Each admin runs `/autotask-connect` once, so the bot has looked every one of them up
 * (users.info) before anything is measured, as for people who use it every day.
 */
export async function warmAdmins(app: AppUnderTest, emulators: Emulators): Promise<void> {
  const count = ADMIN_IDS.length;
  const triggers = await emulators.triggers(count);
  const opened = (await emulators.counts()).viewsOpened;
  await closedLoop(count, count, (i) =>
    app.sender.post(slashBody(triggers[i] as string, i, emulators.responseUrl)),
  );
  await emulators.waitUntil("viewsOpened", opened + count, 30_000);
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

export async function measureTimeToVerdict(
  app: AppUnderTest,
  emulators: Emulators,
  options: { entities: number; checks: number; warmup: number },
): Promise<VerdictSamples> {
  const samples: VerdictSamples = { entities: options.entities, toParent: [], toFinal: [] };
  await warmAdmins(app, emulators);
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
        samples.toParent.push(parentAt - sent);
        samples.toFinal.push(finalAt - sent);
      }
      // The next check starts on an idle bot: after this one's last reply.
      await settled(replies);
    }
  } finally {
    await emulators.process.call("watch", false);
  }
  return samples;
}
