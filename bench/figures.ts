/** What the phases measured, as figures against baselines and targets (issue 6). Pure. */

import { type Figure, toFigure } from "./lib/report.js";
import { summarize } from "./lib/stats.js";
import type { AckSamples } from "./phases/acks.js";
import type { IdleSamples } from "./phases/idle.js";
import type { MemorySamples } from "./phases/memory.js";
import type { ThroughputRun, ThroughputSamples } from "./phases/throughput.js";

export type Measured = {
  slash: AckSamples;
  idleBot: IdleSamples;
  idleBare: IdleSamples;
  submission: AckSamples;
  throughput: ThroughputSamples;
  memory: MemorySamples;
};

const MB = 1024 * 1024;
/**
 * Growth of RSS between 1,000 and 5,000 checks that still counts as noise: 20 MB or 15 % of the
 * RSS after 1,000, whichever is larger (allocator and GC heap sizing move RSS by that much).
 */
export function memoryNoise(rssAfter1k: number): number {
  return Math.max(20 * MB, 0.15 * rssAfter1k);
}

function checksPerSecond(runs: readonly ThroughputRun[]): number {
  const checks = runs.reduce((sum, run) => sum + run.checks, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  return checks / seconds;
}

export function buildFigures(m: Measured): Figure[] {
  const slashBot = summarize(m.slash.bot);
  const slashBare = summarize(m.slash.bare);
  const subBot = summarize(m.submission.bot);
  const subBare = summarize(m.submission.bare);
  const parentBot = summarize(m.idleBot.toParent);
  const parentBare = summarize(m.idleBare.toParent);
  const finalBot = summarize(m.idleBot.toFinal);
  const finalBare = summarize(m.idleBare.toFinal);
  const { warm, after1k, after5k } = m.memory;
  const growth = after5k.rss - after1k.rss;
  const noise = memoryNoise(after1k.rss);
  const bareBolt = "bare Bolt";
  const barePipeline = "bare BullMQ + undici";

  return [
    toFigure({
      id: "slash_ack_p50",
      label: "slash command ack p50",
      unit: "ms",
      value: slashBot.p50,
      baseline: { label: bareBolt, value: slashBare.p50 },
      samples: slashBot.n,
    }),
    toFigure({
      id: "slash_ack_p99",
      label: "slash command ack p99",
      unit: "ms",
      value: slashBot.p99,
      baseline: { label: bareBolt, value: slashBare.p99 },
      target: { kind: "ratio-max", max: 1.2 },
      samples: slashBot.n,
    }),
    toFigure({
      id: "submission_ack_p50",
      label: "submission ack p50",
      unit: "ms",
      value: subBot.p50,
      baseline: { label: `${bareBolt} ack`, value: subBare.p50 },
      samples: subBot.n,
    }),
    toFigure({
      id: "submission_ack_p99",
      label: "submission ack p99",
      unit: "ms",
      value: subBot.p99,
      baseline: { label: `${bareBolt} ack`, value: subBare.p99 },
      target: { kind: "ratio-max", max: 2, strict: true },
      samples: subBot.n,
    }),
    toFigure({
      id: "e2e_checks_per_second",
      label: "end-to-end checks/s",
      unit: "checks/s",
      value: checksPerSecond(m.throughput.bot),
      baseline: { label: barePipeline, value: checksPerSecond(m.throughput.bare) },
      target: { kind: "ratio-min", min: 0.8 },
      samples: m.throughput.bot.reduce((sum, run) => sum + run.checks, 0),
    }),
    toFigure({
      id: "idle_to_parent_p50",
      label: "idle: submission to parent p50",
      unit: "ms",
      value: parentBot.p50,
      baseline: { label: barePipeline, value: parentBare.p50 },
      samples: parentBot.n,
    }),
    toFigure({
      id: "idle_to_parent_p99",
      label: "idle: submission to parent p99",
      unit: "ms",
      value: parentBot.p99,
      baseline: { label: barePipeline, value: parentBare.p99 },
      samples: parentBot.n,
    }),
    toFigure({
      id: "idle_to_final_p50",
      label: "idle: submission to final update p50",
      unit: "ms",
      value: finalBot.p50,
      baseline: { label: barePipeline, value: finalBare.p50 },
      samples: finalBot.n,
    }),
    toFigure({
      id: "idle_to_final_p99",
      label: "idle: submission to final update p99",
      unit: "ms",
      value: finalBot.p99,
      baseline: { label: barePipeline, value: finalBare.p99 },
      samples: finalBot.n,
    }),
    toFigure({ id: "rss_warm", label: "RSS warm (after GC)", unit: "MB", value: warm.rss / MB }),
    toFigure({ id: "rss_after_1k", label: "RSS after 1,000 checks", unit: "MB", value: after1k.rss / MB }),
    toFigure({ id: "rss_after_5k", label: "RSS after 5,000 checks", unit: "MB", value: after5k.rss / MB }),
    toFigure({
      id: "rss_growth_1k_5k",
      label: "RSS growth 1,000 -> 5,000",
      unit: "MB",
      value: growth / MB,
      target: {
        kind: "value-max",
        max: noise / MB,
        describe: `<= ${Math.round(noise / MB)} MB (noise: max(20 MB, 15%))`,
      },
      note: `V8 heap used after GC: ${Math.round(after1k.heapUsed / MB)} MB -> ${Math.round(after5k.heapUsed / MB)} MB`,
    }),
    toFigure({ id: "rss_peak", label: "peak RSS", unit: "MB", value: m.memory.peakRss / MB }),
  ];
}

/** Answers that were not what Slack expects, and emulator calls that failed: a valid run has none. */
export function problemsOf(m: Measured, emulatorFailures: Record<string, number>): string[] {
  const problems: string[] = [];
  if (m.slash.badAnswers > 0) problems.push(`${m.slash.badAnswers} slash commands got a wrong answer`);
  if (m.submission.badAnswers > 0) problems.push(`${m.submission.badAnswers} submissions got a wrong answer`);
  const bad = [...m.throughput.bot, ...m.throughput.bare].reduce((sum, run) => sum + run.badAnswers, 0);
  if (bad > 0) problems.push(`${bad} throughput submissions got a wrong answer`);
  for (const [method, count] of Object.entries(emulatorFailures)) {
    problems.push(`${count} ${method} calls failed at the Slack emulator`);
  }
  return problems;
}
