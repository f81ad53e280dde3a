/**
 * Ack latency of the slash command and of the modal submission, the bot against the bare Bolt
 * app, in alternating rounds (bot, bare, bot, bare, ...) so drift hits both alike. Each round
 * waits for the work its requests started (views.open, checks) before the next begins.
 */
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { nextViewIds } from "../lib/context.js";
import { slashBody, submissionBody } from "../lib/fixtures.js";
import { type Answered, closedLoop } from "../lib/load.js";

export type AckRounds = {
  /** Requests per app before measuring (discarded). */
  warmup: number;
  rounds: number;
  perRound: number;
  concurrency: number;
};

export type AckSamples = { bot: number[]; bare: number[]; badAnswers: number };

/** An answer Slack would not accept for the request, e.g. a 401 or a missing response_action. */
type Judge = (answer: Answered) => boolean;

async function alternate(
  apps: readonly AppUnderTest[],
  rounds: AckRounds,
  round: (app: AppUnderTest, count: number) => Promise<Answered[]>,
  acceptable: Judge,
): Promise<AckSamples> {
  const samples: AckSamples = { bot: [], bare: [], badAnswers: 0 };
  for (const app of apps) await round(app, rounds.warmup);
  for (let r = 0; r < rounds.rounds; r += 1) {
    // Alternate which app goes first, so neither always follows the other's leftovers.
    const order = r % 2 === 0 ? apps : [...apps].reverse();
    for (const app of order) {
      const answers = await round(app, rounds.perRound);
      for (const answer of answers) {
        if (acceptable(answer)) samples[app.name].push(answer.ms);
        else samples.badAnswers += 1;
      }
    }
  }
  return samples;
}

/** `/autotask-connect` with no text: ack, then views.open. */
export function measureSlashAcks(
  apps: readonly AppUnderTest[],
  emulators: Emulators,
  rounds: AckRounds,
): Promise<AckSamples> {
  return alternate(
    apps,
    rounds,
    async (app, count) => {
      const triggers = await emulators.triggers(count);
      const opened = (await emulators.counts()).viewsOpened;
      const answers = await closedLoop(count, rounds.concurrency, (i) =>
        app.sender.post(slashBody(triggers[i] as string, i, emulators.responseUrl)),
      );
      // The modal must have opened for every request, for both apps.
      await emulators.waitUntil("viewsOpened", opened + count, 30_000);
      return answers;
    },
    (answer) => answer.status === 200 && answer.text === "",
  );
}

/**
 * A valid submission: the bot validates, seals, enqueues and acks; the bare app only acks.
 * @param startWorker when given, no worker runs during the bot's round (the ack alone is measured,
 * on a machine as quiet as the bare app's); it is started afterwards to drain the round's checks,
 * and stopped with the function it returns.
 */
export function measureSubmissionAcks(
  apps: readonly AppUnderTest[],
  emulators: Emulators,
  rounds: AckRounds,
  startWorker?: () => Promise<() => Promise<void>>,
): Promise<AckSamples> {
  return alternate(
    apps,
    rounds,
    async (app, count) => {
      const views = nextViewIds(count);
      const finals = (await emulators.counts()).finals;
      const answers = await closedLoop(count, rounds.concurrency, (i) =>
        app.sender.post(submissionBody(views[i] as string, i, emulators.responseUrl)),
      );
      // Let the bot's checks finish before the other app's round.
      if (app.name === "bot") {
        const stopWorker = startWorker ? await startWorker() : null;
        await emulators.waitUntil("finals", finals + count);
        await stopWorker?.();
      }
      return answers;
    },
    (answer) => answer.status === 200 && answer.text.includes('"response_action":"update"'),
  );
}
