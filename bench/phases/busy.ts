/**
 * A busy channel: Slack limiting posts per channel (about one a second, short bursts), several
 * checks submitted together in one channel and one in another channel at the same moment. Times
 * the last final update in the busy channel and the other channel's final update, then verifies
 * from the Slack emulator's threads that nothing was lost, doubled or reordered, against the
 * thread of the same check run alone first in a quiet channel.
 */
import type { EmulatorCounts, MessageEvent } from "../emulators-server.js";
import { wallClockMs } from "../lib/clock.js";
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { nextViewIds } from "../lib/context.js";
import { API_USERS, CHANNEL_ID, OTHER_CHANNEL_ID, submissionBody, WARM_CHANNEL_ID } from "../lib/fixtures.js";
import { nextMessage } from "../lib/one-at-a-time.js";
import type { ThreadsVerdict, ThreadView } from "../lib/threads.js";
import { verifyThreads } from "../lib/threads.js";
import { warmAdmins } from "./verdict.js";

export type BusySamples = {
  /** Checks submitted together in the busy channel. */
  busyChecks: number;
  /** Submission to each final update in the busy channel, in milliseconds, in arrival order. */
  busyFinals: number[];
  /** Submission to the final update of the check in the other channel, in milliseconds. */
  otherFinal: number;
  busyVerdict: ThreadsVerdict;
  otherVerdict: ThreadsVerdict;
  /** The thread of one check run alone in a quiet channel: what every thread must hold. */
  reference: ThreadView;
  /** Web API calls answered 429 during the burst, by method. */
  rateLimited: Record<string, number>;
};

/**
 * Quiet on the Slack side long enough that no post is still pending: a Retry-After of a second,
 * then the client's own backoff (the bot's WebClient waits up to 5 s between tries).
 */
const SETTLED_QUIET_MS = 6_000;

function usernameOf(index: number): string {
  return (API_USERS[index % API_USERS.length] as { username: string }).username;
}

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [method, count] of Object.entries(after)) {
    if (count - (before[method] ?? 0) > 0) out[method] = count - (before[method] ?? 0);
  }
  return out;
}

export async function measureBusyChannel(
  app: AppUnderTest,
  emulators: Emulators,
  options: { busyChecks: number },
): Promise<BusySamples> {
  await warmAdmins(app, emulators);
  const referenceIndex = API_USERS.length - 1;
  const otherIndex = options.busyChecks;
  if (otherIndex >= referenceIndex) throw new Error("busy channel: not enough bench API users");
  const views = nextViewIds(options.busyChecks + 2);
  let offFinal = () => {};
  await emulators.process.call("watch", true);
  try {
    // One check alone in a quiet channel: warms the worker up and gives the reference thread.
    const warmFinal = nextMessage(emulators, "final", WARM_CHANNEL_ID);
    await app.sender.post(
      submissionBody(views[0] as string, referenceIndex, emulators.responseUrl, WARM_CHANNEL_ID),
    );
    await warmFinal;
    await emulators.process.call("settle", { quietMs: SETTLED_QUIET_MS, timeoutMs: 30_000 });
    const warm = await threadsIn(emulators, [WARM_CHANNEL_ID]);
    const reference = warm[WARM_CHANNEL_ID]?.find((thread) => thread.username === usernameOf(referenceIndex));
    if (!reference) throw new Error("busy channel: the reference check left no finished thread");

    const before = await emulators.counts();
    const busyFinals: number[] = [];
    offFinal = emulators.process.on("final", (data) => {
      const { channel, at } = data as MessageEvent;
      if (channel === CHANNEL_ID) busyFinals.push(at);
    });
    const otherFinal = nextMessage(emulators, "final", OTHER_CHANNEL_ID, 120_000);
    const busyUsers = Array.from({ length: options.busyChecks }, (_, i) => i);
    const sent = wallClockMs();
    const answers = await Promise.all([
      ...busyUsers.map((i) =>
        app.sender.post(submissionBody(views[i + 1] as string, i, emulators.responseUrl, CHANNEL_ID)),
      ),
      app.sender.post(
        submissionBody(
          views[options.busyChecks + 1] as string,
          otherIndex,
          emulators.responseUrl,
          OTHER_CHANNEL_ID,
        ),
      ),
    ]);
    const refused = answers.find((answer) => answer.status !== 200);
    if (refused) throw new Error(`busy channel: a submission answered ${refused.status}`);
    const otherAt = await otherFinal;
    await emulators.waitUntil("finals", before.finals + options.busyChecks + 1, 120_000);
    await emulators.process.call("settle", { quietMs: SETTLED_QUIET_MS, timeoutMs: 120_000 });
    const after: EmulatorCounts = await emulators.counts();
    const threads = await threadsIn(emulators, [CHANNEL_ID, OTHER_CHANNEL_ID]);
    return {
      busyChecks: options.busyChecks,
      busyFinals: busyFinals.map((at) => at - sent),
      otherFinal: otherAt - sent,
      busyVerdict: verifyThreads(reference, threads[CHANNEL_ID] ?? [], busyUsers.map(usernameOf)),
      otherVerdict: verifyThreads(reference, threads[OTHER_CHANNEL_ID] ?? [], [usernameOf(otherIndex)]),
      reference,
      rateLimited: diff(after.rateLimited, before.rateLimited),
    };
  } finally {
    offFinal();
    await emulators.process.call("watch", false);
  }
}

function threadsIn(emulators: Emulators, channels: string[]): Promise<Record<string, ThreadView[]>> {
  return emulators.process.call<Record<string, ThreadView[]>>("threads", channels);
}
