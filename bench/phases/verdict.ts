/**
 * Time to verdict under upstream latency: one check at a time, from sending the submission to the
 * emulator answering the parent's final chat.update (both on the shared wall clock), with Autotask
 * and Slack answering slowly, as they do in production. Its reference is the critical path.
 */

import type { AppUnderTest, Emulators } from "../lib/context.js";
import { ADMIN_IDS, slashBody } from "../lib/fixtures.js";
import { closedLoop } from "../lib/load.js";
import { timeChecksOneAtATime } from "../lib/one-at-a-time.js";

export type VerdictSamples = {
  /** How many entities each check probed. */
  entities: number;
  /** Submission sent to the parent message answered, in milliseconds. */
  toParent: number[];
  /** Submission sent to the final chat.update answered, in milliseconds. */
  toFinal: number[];
};

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

export async function measureTimeToVerdict(
  app: AppUnderTest,
  emulators: Emulators,
  options: { entities: number; checks: number; warmup: number },
): Promise<VerdictSamples> {
  await warmAdmins(app, emulators);
  const { toParent, toFinal } = await timeChecksOneAtATime(app, emulators, options);
  return { entities: options.entities, toParent, toFinal };
}
