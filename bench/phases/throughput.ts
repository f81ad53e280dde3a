/**
 * End-to-end checks per second: submissions sent as fast as the app acks them (closed loop), until
 * the emulator has seen the final chat.update of every one. Same emulators, same worker
 * concurrency, the bot and the bare pipeline in alternating runs.
 */
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { nextViewIds } from "../lib/context.js";
import { submissionBody } from "../lib/fixtures.js";
import { closedLoop } from "../lib/load.js";

export type ThroughputRun = { checks: number; seconds: number; perSecond: number; badAnswers: number };

/** Runs `checks` checks through `app` and times them from the first submission to the last final update. */
export async function runChecks(
  app: AppUnderTest,
  emulators: Emulators,
  checks: number,
  concurrency: number,
): Promise<ThroughputRun> {
  const views = nextViewIds(checks);
  const finals = (await emulators.counts()).finals;
  const started = performance.now();
  const answers = await closedLoop(checks, concurrency, (i) =>
    app.sender.post(submissionBody(views[i] as string, i, emulators.responseUrl)),
  );
  const badAnswers = answers.filter((answer) => answer.status !== 200).length;
  await emulators.waitUntil("finals", finals + checks - badAnswers, 240_000);
  const seconds = (performance.now() - started) / 1_000;
  return { checks, seconds, perSecond: checks / seconds, badAnswers };
}

export type ThroughputSamples = { bot: ThroughputRun[]; bare: ThroughputRun[] };

/** Alternating runs: bot, bare, bare, bot, ... after one warm-up run each. */
export async function measureThroughput(
  apps: readonly AppUnderTest[],
  emulators: Emulators,
  options: { runs: number; checks: number; warmup: number; concurrency: number },
): Promise<ThroughputSamples> {
  const samples: ThroughputSamples = { bot: [], bare: [] };
  for (const app of apps) await runChecks(app, emulators, options.warmup, options.concurrency);
  for (let r = 0; r < options.runs; r += 1) {
    const order = r % 2 === 0 ? apps : [...apps].reverse();
    for (const app of order) {
      samples[app.name].push(await runChecks(app, emulators, options.checks, options.concurrency));
    }
  }
  return samples;
}
