/**
 * End-to-end checks per second: submissions sent as fast as the app acks them (closed loop), until
 * the emulator has seen the final chat.update of every one. Same emulators, same worker
 * concurrency, the bot and the bare pipeline in alternating runs.
 */
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { nextViewIds } from "../lib/context.js";
import { submissionBody } from "../lib/fixtures.js";
import { type Answered, closedLoop } from "../lib/load.js";

/** The ack of a submission that became a check: the modal turns into "Checking…". */
export function acceptedSubmission(answer: Answered): boolean {
  return answer.status === 200 && answer.text.includes('"response_action":"update"');
}

export type ThroughputRun = {
  checks: number;
  seconds: number;
  perSecond: number;
  badAnswers: number;
  /** CPU time per check of the app, and of the emulators serving it, in milliseconds. */
  cpuMsPerCheck: { app: number; emulators: number };
};

/** Runs `checks` checks through `app` and times them from the first submission to the last final update. */
export async function runChecks(
  app: AppUnderTest,
  emulators: Emulators,
  checks: number,
  concurrency: number,
): Promise<ThroughputRun> {
  const views = nextViewIds(checks);
  const finals = (await emulators.counts()).finals;
  const cpu = () => Promise.all([app.process.call<number>("cpu"), emulators.process.call<number>("cpu")]);
  const [appCpu, emulatorCpu] = await cpu();
  const started = performance.now();
  const answers = await closedLoop(checks, concurrency, (i) =>
    app.sender.post(submissionBody(views[i] as string, i, emulators.responseUrl)),
  );
  const bad = answers.filter((answer) => !acceptedSubmission(answer));
  const badAnswers = bad.length;
  if (bad[0])
    throw new Error(
      `${app.name}: ${badAnswers} submissions were refused, e.g. ${bad[0].status} ${bad[0].text.slice(0, 300)}`,
    );
  await emulators.waitUntil("finals", finals + checks - badAnswers, 240_000);
  const seconds = (performance.now() - started) / 1_000;
  const [appCpuAfter, emulatorCpuAfter] = await cpu();
  return {
    checks,
    seconds,
    perSecond: checks / seconds,
    badAnswers,
    cpuMsPerCheck: {
      app: (appCpuAfter - appCpu) / checks,
      emulators: (emulatorCpuAfter - emulatorCpu) / checks,
    },
  };
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
