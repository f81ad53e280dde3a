/**
 * Latency of one check on an idle queue: from sending the submission to the parent message (the
 * first chat.postMessage of the request) and to the final chat.update, one check at a time.
 */

import { wallClockMs } from "../lib/clock.js";
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { nextViewIds } from "../lib/context.js";
import { CHANNEL_ID, submissionBody } from "../lib/fixtures.js";
import { nextMessage, replyTracker } from "./verdict.js";

export type IdleSamples = { ack: number[]; toParent: number[]; toFinal: number[] };

export async function measureIdle(
  app: AppUnderTest,
  emulators: Emulators,
  checks: number,
): Promise<IdleSamples> {
  const samples: IdleSamples = { ack: [], toParent: [], toFinal: [] };
  const views = nextViewIds(checks);
  const settled = replyTracker(emulators);
  await emulators.process.call("watch", true);
  try {
    for (let i = 0; i < checks; i += 1) {
      const replies = (await emulators.counts()).replies;
      const parent = nextMessage(emulators, "parent", CHANNEL_ID);
      const final = nextMessage(emulators, "final", CHANNEL_ID);
      const sent = wallClockMs();
      const answer = await app.sender.post(submissionBody(views[i] as string, i, emulators.responseUrl));
      if (answer.status !== 200) throw new Error(`${app.name}: submission answered ${answer.status}`);
      samples.ack.push(answer.ms);
      const [parentAt, finalAt] = await Promise.all([parent, final]);
      samples.toParent.push(parentAt - sent);
      samples.toFinal.push(finalAt - sent);
      // The queue is idle again once the check's last reply (it follows the final update) lands.
      await settled(replies);
    }
  } finally {
    await emulators.process.call("watch", false);
  }
  return samples;
}
