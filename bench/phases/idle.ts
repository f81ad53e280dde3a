/**
 * Latency of one check on an idle queue: from sending the submission to the parent message (the
 * first chat.postMessage of the request) and to the final chat.update, one check at a time.
 */
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { nextViewIds } from "../lib/context.js";
import { submissionBody } from "../lib/fixtures.js";

export type IdleSamples = { ack: number[]; toParent: number[]; toFinal: number[] };

function nextEvent(emulators: Emulators, event: "parent" | "final"): Promise<number> {
  return new Promise((resolve) => {
    const off = emulators.process.on(event, () => {
      off();
      resolve(performance.now());
    });
  });
}

export async function measureIdle(
  app: AppUnderTest,
  emulators: Emulators,
  checks: number,
): Promise<IdleSamples> {
  const samples: IdleSamples = { ack: [], toParent: [], toFinal: [] };
  const views = nextViewIds(checks);
  await emulators.process.call("watch", true);
  try {
    for (let i = 0; i < checks; i += 1) {
      const replies = (await emulators.counts()).replies;
      const parent = nextEvent(emulators, "parent");
      const final = nextEvent(emulators, "final");
      const sent = performance.now();
      const answer = await app.sender.post(submissionBody(views[i] as string, i, emulators.responseUrl));
      if (answer.status !== 200) throw new Error(`${app.name}: submission answered ${answer.status}`);
      samples.ack.push(answer.ms);
      samples.toParent.push((await parent) - sent);
      samples.toFinal.push((await final) - sent);
      // The last thread reply follows the final update: the queue is idle again once it lands.
      await emulators.waitUntil("replies", replies + 6, 10_000);
    }
  } finally {
    await emulators.process.call("watch", false);
  }
  return samples;
}
