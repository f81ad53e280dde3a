/**
 * Latency of one check on an idle queue: from sending the submission to its ack, to the parent
 * message (the first chat.postMessage of the request) and to the final chat.update, one check at a
 * time.
 */

import type { AppUnderTest, Emulators } from "../lib/context.js";
import { type OneAtATimeSamples, timeChecksOneAtATime } from "../lib/one-at-a-time.js";

export type IdleSamples = OneAtATimeSamples;

export function measureIdle(app: AppUnderTest, emulators: Emulators, checks: number): Promise<IdleSamples> {
  return timeChecksOneAtATime(app, emulators, { checks, warmup: 0 });
}
