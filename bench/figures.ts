/** What the phases measured, as figures against baselines and targets (issue 6). Pure. */

import { type Figure, toFigure } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import type { AckSamples } from "./phases/acks.js";
import type { IdleSamples } from "./phases/idle.js";
import { liveBytes, type MemorySamples } from "./phases/memory.js";
import type { ThroughputRun, ThroughputSamples } from "./phases/throughput.js";

export type Measured = {
  slash: AckSamples;
  idleBot: IdleSamples;
  idleBare: IdleSamples;
  /** Submission acks of the web role, its checks run by a separate worker process. */
  submission: AckSamples;
  /** Submission acks of one process that also runs the checks (`npm start`). */
  submissionSingleProcess: AckSamples;
  throughput: ThroughputSamples;
  memory: MemorySamples;
};

const MB = 1024 * 1024;
/**
 * Growth between the first and the last reading that still counts as noise: 20 MB or 15 % of the
 * first reading, whichever is larger.
 */
export function memoryNoise(first: number): number {
  return Math.max(20 * MB, 0.15 * first);
}

function checksPerSecond(runs: readonly ThroughputRun[]): number {
  const checks = runs.reduce((sum, run) => sum + run.checks, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  return checks / seconds;
}

function cpuPerCheck(runs: readonly ThroughputRun[], who: "app" | "emulators"): number {
  const checks = runs.reduce((sum, run) => sum + run.checks, 0);
  return runs.reduce((sum, run) => sum + run.cpuMsPerCheck[who] * run.checks, 0) / checks;
}

export function buildFigures(m: Partial<Measured>): Figure[] {
  const bareBolt = "bare Bolt";
  const barePipeline = "bare BullMQ + undici";
  const figures: Figure[] = [];
  const latency = (
    id: string,
    label: string,
    bot: readonly number[],
    bare: readonly number[],
    baseline: string,
  ) => {
    const [b, a] = [summarize(bot), summarize(bare)];
    return {
      p50: {
        id: `${id}_p50`,
        label: `${label} p50`,
        unit: "ms" as const,
        value: b.p50,
        baseline: { label: baseline, value: a.p50 },
        samples: b.n,
      },
      p99: {
        id: `${id}_p99`,
        label: `${label} p99`,
        unit: "ms" as const,
        value: b.p99,
        baseline: { label: baseline, value: a.p99 },
        samples: b.n,
      },
    };
  };
  if (m.slash) {
    const { p50, p99 } = latency("slash_ack", "slash command ack", m.slash.bot, m.slash.bare, bareBolt);
    figures.push(toFigure(p50), toFigure({ ...p99, target: { kind: "ratio-max", max: 1.2 } }));
  }
  if (m.submission) {
    const { p50, p99 } = latency(
      "submission_ack",
      "submission ack, web role",
      m.submission.bot,
      m.submission.bare,
      `${bareBolt} ack`,
    );
    figures.push(toFigure(p50), toFigure({ ...p99, target: { kind: "ratio-max", max: 2, strict: true } }));
  }
  if (m.submissionSingleProcess) {
    const { p50, p99 } = latency(
      "submission_ack_single_process",
      "submission ack, web + worker in one process",
      m.submissionSingleProcess.bot,
      m.submissionSingleProcess.bare,
      `${bareBolt} ack`,
    );
    figures.push(toFigure(p50), toFigure(p99));
  }
  if (m.throughput) {
    figures.push(
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
        id: "cpu_ms_per_check",
        label: "CPU per check",
        unit: "ms",
        value: cpuPerCheck(m.throughput.bot, "app"),
        baseline: { label: barePipeline, value: cpuPerCheck(m.throughput.bare, "app") },
        note: `emulators' CPU per check: ${round(cpuPerCheck(m.throughput.bot, "emulators"))} ms serving the bot, ${round(cpuPerCheck(m.throughput.bare, "emulators"))} ms serving the bare pipeline`,
      }),
    );
  }
  if (m.idleBot && m.idleBare) {
    const parent = latency(
      "idle_to_parent",
      "idle: submission to parent",
      m.idleBot.toParent,
      m.idleBare.toParent,
      barePipeline,
    );
    const final = latency(
      "idle_to_final",
      "idle: submission to final update",
      m.idleBot.toFinal,
      m.idleBare.toFinal,
      barePipeline,
    );
    const ack = latency(
      "idle_ack",
      "idle: submission ack",
      m.idleBot.ack,
      m.idleBare.ack,
      `${barePipeline} + Bolt`,
    );
    figures.push(
      toFigure(ack.p50),
      toFigure(ack.p99),
      toFigure(parent.p50),
      toFigure(parent.p99),
      toFigure(final.p50),
      toFigure(final.p99),
    );
  }
  if (m.memory) {
    const { warm, series } = m.memory;
    const first = series[0];
    const last = series[series.length - 1];
    if (first && last) {
      const rssGrowth = last.reading.rss - first.reading.rss;
      const liveGrowth = liveBytes(last.reading) - liveBytes(first.reading);
      const noise = memoryNoise(liveBytes(first.reading));
      const rssSeries = series.map(({ checks, reading }) => `${checks}: ${Math.round(reading.rss / MB)}`);
      figures.push(
        toFigure({ id: "rss_warm", label: "RSS warm (after GC)", unit: "MB", value: warm.rss / MB }),
        toFigure({
          id: "rss_after_first",
          label: `RSS after ${first.checks} checks`,
          unit: "MB",
          value: first.reading.rss / MB,
        }),
        toFigure({
          id: "rss_after_last",
          label: `RSS after ${last.checks} checks`,
          unit: "MB",
          value: last.reading.rss / MB,
        }),
        toFigure({
          id: "rss_growth",
          label: `RSS growth ${first.checks} -> ${last.checks}`,
          unit: "MB",
          value: rssGrowth / MB,
          note: `RSS after GC by checks done (MB): ${rssSeries.join(", ")}. On this VM the kernel reclaims idle pages on its own (kdamond), so RSS moves by up to ~100 MB between two readings with no work in between; live memory below is the leak test.`,
        }),
        toFigure({
          id: "live_growth",
          label: `live memory growth ${first.checks} -> ${last.checks}`,
          unit: "MB",
          value: liveGrowth / MB,
          target: {
            kind: "value-max",
            max: noise / MB,
            describe: `<= ${Math.round(noise / MB)} MB (noise: max(20 MB, 15%))`,
          },
          note: `V8 heap used + external + array buffers after a full GC: ${Math.round(liveBytes(first.reading) / MB)} -> ${Math.round(liveBytes(last.reading) / MB)} MB (heap reserved ${Math.round(first.reading.heapTotal / MB)} -> ${Math.round(last.reading.heapTotal / MB)} MB)`,
        }),
        toFigure({ id: "rss_peak", label: "peak RSS", unit: "MB", value: m.memory.peakRss / MB }),
      );
    }
  }
  return figures;
}

/** Answers that were not what Slack expects, and emulator calls that failed: a valid run has none. */
export function problemsOf(m: Partial<Measured>, emulatorFailures: Record<string, number>): string[] {
  const problems: string[] = [];
  if (m.slash?.badAnswers) problems.push(`${m.slash.badAnswers} slash commands got a wrong answer`);
  for (const samples of [m.submission, m.submissionSingleProcess]) {
    if (samples?.badAnswers) problems.push(`${samples.badAnswers} submissions got a wrong answer`);
  }
  const runs = m.throughput ? [...m.throughput.bot, ...m.throughput.bare] : [];
  const bad = runs.reduce((sum, run) => sum + run.badAnswers, 0);
  if (bad > 0) problems.push(`${bad} throughput submissions got a wrong answer`);
  for (const [method, count] of Object.entries(emulatorFailures)) {
    problems.push(`${count} ${method} calls failed at the Slack emulator`);
  }
  return problems;
}
