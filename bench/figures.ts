/** What the phases measured, as figures against baselines and targets (issues 6 and 12). Pure. */

import type { BareCalls } from "./baselines/bare-pipeline.js";
import { criticalPath, type UpstreamLatency } from "./lib/critical-path.js";
import { type Figure, toFigure } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import { lostCount } from "./lib/threads.js";
import type { AckSamples } from "./phases/acks.js";
import type { BusySamples } from "./phases/busy.js";
import type { IdleSamples } from "./phases/idle.js";
import { liveBytes, type MemorySamples } from "./phases/memory.js";
import type { ThroughputRun, ThroughputSamples } from "./phases/throughput.js";
import type { VerdictSamples } from "./phases/verdict.js";

/** The targets the bench judges against (issue 12 replaced issue 6's 1.2× ack and 0.8× throughput). */
export const TARGETS = {
  /** Slash-command ack p99 / bare Bolt's, at most. */
  slashAckRatio: 1.1,
  /** Submission ack p99 (web role) / bare Bolt's, strictly under. */
  submissionAckRatio: 2,
  /** End-to-end checks/s / the bare pipeline's, at least. */
  throughputRatio: 0.5,
  /** CPU per check / the bare pipeline's, at most. */
  cpuRatio: 2,
  /** Time to verdict p50 / the critical path, at most. */
  verdictRatio: 1.15,
  /** Submission to the last final update of the checks submitted together in one channel, in ms. */
  busyLastFinalMs: 12_000,
  /** Submission to the final update of the check started at the same time in another channel, in ms. */
  otherChannelFinalMs: 1_500,
} as const;

export type Measured = {
  /** Which calls the bare pipeline made (bare-pipeline.ts). */
  bareCalls: BareCalls;
  /** With --against: the commit whose bot took the bare pipeline's place in the throughput phase. */
  against?: string;
  slash: AckSamples;
  idleBot: IdleSamples;
  idleBare: IdleSamples;
  /** Submission acks of the web role, its checks run by a separate worker process. */
  submission: AckSamples;
  /** Submission acks of one process that also runs the checks (`npm start`). */
  submissionSingleProcess: AckSamples;
  throughput: ThroughputSamples;
  memory: MemorySamples;
  /** Time to verdict under upstream latency, one run per number of entities probed. */
  verdict: { latency: UpstreamLatency; runs: VerdictSamples[] };
  busy: {
    latency: UpstreamLatency;
    postRateLimit: { perSecond: number; burst: number };
    samples: BusySamples;
  };
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

/**
 * The bot's CPU per check over the bare pipeline's, round by round (each round runs both, one
 * after the other): how far the machine's noise moves the ratio the target judges.
 */
export function cpuRatiosByRound(samples: ThroughputSamples): number[] {
  const rounds = Math.min(samples.bot.length, samples.bare.length);
  return Array.from(
    { length: rounds },
    (_, i) =>
      (samples.bot[i] as ThroughputRun).cpuMsPerCheck.app /
      (samples.bare[i] as ThroughputRun).cpuMsPerCheck.app,
  );
}

export function buildFigures(m: Partial<Measured>): Figure[] {
  const bareBolt = "bare Bolt";
  const barePipeline = m.against
    ? `the bot at ${m.against}`
    : {
        issue: "bare BullMQ + undici",
        bot: "bare BullMQ + undici, the bot's calls now",
        bodies: "bare BullMQ + undici, the bot's calls and bodies now",
        webclient: "bare BullMQ + undici, the bot's calls and bodies now through its WebClient",
      }[m.bareCalls ?? "issue"];
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
    figures.push(
      toFigure(p50),
      toFigure({ ...p99, target: { kind: "ratio-max", max: TARGETS.slashAckRatio } }),
    );
  }
  if (m.submission) {
    const { p50, p99 } = latency(
      "submission_ack",
      "submission ack, web role",
      m.submission.bot,
      m.submission.bare,
      `${bareBolt} ack`,
    );
    figures.push(
      toFigure(p50),
      toFigure({ ...p99, target: { kind: "ratio-max", max: TARGETS.submissionAckRatio, strict: true } }),
    );
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
        // Against another revision of the bot it is an A/B, not the target's comparison.
        ...(m.against ? {} : { target: { kind: "ratio-min" as const, min: TARGETS.throughputRatio } }),
        samples: m.throughput.bot.reduce((sum, run) => sum + run.checks, 0),
      }),
      toFigure({
        id: "cpu_ms_per_check",
        label: "CPU per check",
        unit: "ms",
        value: cpuPerCheck(m.throughput.bot, "app"),
        baseline: { label: barePipeline, value: cpuPerCheck(m.throughput.bare, "app") },
        ...(m.against ? {} : { target: { kind: "ratio-max" as const, max: TARGETS.cpuRatio } }),
        note: `emulators' CPU per check: ${round(cpuPerCheck(m.throughput.bot, "emulators"))} ms serving the bot, ${round(cpuPerCheck(m.throughput.bare, "emulators"))} ms serving the bare pipeline`,
      }),
    );
    const ratios = cpuRatiosByRound(m.throughput);
    if (ratios.length > 1) {
      const byRound = summarize(ratios);
      figures.push(
        toFigure({
          id: "cpu_ratio_by_round",
          label: `CPU per check ratio, median of ${byRound.n} rounds (lowest ${round(Math.min(...ratios))}, highest ${round(byRound.max)})`,
          unit: "×",
          value: byRound.p50,
          samples: byRound.n,
        }),
      );
    }
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
  if (m.verdict) figures.push(...verdictFigures(m.verdict.latency, m.verdict.runs));
  if (m.busy) figures.push(...busyFigures(m.busy.samples));
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

/** Time to verdict p50 (judged) and p90, and submission to parent p50, against the critical path. */
export function verdictFigures(latency: UpstreamLatency, runs: readonly VerdictSamples[]): Figure[] {
  const path = criticalPath(latency);
  const setting = `Autotask ${latency.autotaskMs} ms, Slack ${latency.slackMs} ms`;
  return runs.flatMap((run) => {
    const final = summarize(run.toFinal);
    const parent = summarize(run.toParent);
    const figure = (id: string, label: string, value: number, against: "path" | "target" | null) =>
      toFigure({
        id: `verdict_${run.entities}_entities_${id}`,
        label: `time to verdict, ${run.entities} entities: ${label}`,
        unit: "ms",
        value,
        baseline: against ? { label: path.describe, value: path.ms } : undefined,
        target: against === "target" ? { kind: "ratio-max", max: TARGETS.verdictRatio } : undefined,
        samples: final.n,
        note: `${setting}; one check at a time; from sending the submission to the emulator answering the call`,
      });
    return [
      figure("p50", "submission to final update p50", final.p50, "target"),
      figure("p90", "submission to final update p90", final.p90, "path"),
      figure("parent_p50", "submission to parent message p50", parent.p50, null),
    ];
  });
}

/** The busy channel's times against their limits, and what its threads lost, doubled or reordered. */
export function busyFigures(samples: BusySamples): Figure[] {
  const { busyVerdict: busy, otherVerdict: other } = samples;
  const verdicts = [busy, other];
  const sum = (count: (v: typeof busy) => number) => verdicts.reduce((total, v) => total + count(v), 0);
  const lost = lostCount(busy, samples.reference) + lostCount(other, samples.reference);
  const lostDetail = [...busy.lost, ...other.lost]
    .map(({ username, lines }) => `${username}: ${lines.join(" / ")}`)
    .join("; ");
  const checks = `${samples.busyChecks} checks in one channel`;
  const none = { kind: "value-max" as const, max: 0, describe: "none" };
  const rateLimited = Object.entries(samples.rateLimited)
    .map(([method, count]) => `${count} ${method}`)
    .join(", ");
  return [
    toFigure({
      id: "busy_last_final",
      label: `busy channel: ${checks}, last final update`,
      unit: "ms",
      value: Math.max(...samples.busyFinals),
      target: {
        kind: "value-max",
        max: TARGETS.busyLastFinalMs,
        describe: `<= ${TARGETS.busyLastFinalMs / 1_000} s`,
      },
      samples: samples.busyFinals.length,
      note: `answered 429: ${rateLimited || "none"}`,
    }),
    toFigure({
      id: "busy_other_channel_final",
      label: "busy channel: a check in another channel, final update",
      unit: "ms",
      value: samples.otherFinal,
      target: {
        kind: "value-max",
        max: TARGETS.otherChannelFinalMs,
        describe: `<= ${TARGETS.otherChannelFinalMs / 1_000} s`,
      },
    }),
    toFigure({
      id: "busy_lines_lost",
      label: "busy channel: thread lines lost",
      unit: "lines",
      value: lost,
      target: none,
      note: lostDetail || undefined,
    }),
    toFigure({
      id: "busy_checks_without_one_finished_parent",
      label: "busy channel: checks without exactly one parent, finished",
      unit: "checks",
      value: sum((v) => v.missingParents.length + v.extraParents + v.notFinal.length),
      target: none,
    }),
    toFigure({
      id: "busy_threads_out_of_order",
      label: "busy channel: threads out of order",
      unit: "checks",
      value: sum((v) => v.outOfOrder.length),
      target: none,
    }),
  ];
}

/** What the table cannot show: the settings and critical path of the latency phases, and the busy channel's verdicts. */
export function detailsOf(m: Partial<Measured>): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  if (m.verdict) {
    details.timeToVerdict = {
      upstreamLatencyMs: m.verdict.latency,
      criticalPath: criticalPath(m.verdict.latency),
      runs: m.verdict.runs.map((run) => ({
        entities: run.entities,
        toFinal: summarize(run.toFinal),
        toParent: summarize(run.toParent),
      })),
    };
  }
  if (m.busy) {
    const { samples } = m.busy;
    details.busyChannel = {
      upstreamLatencyMs: m.busy.latency,
      postRateLimit: m.busy.postRateLimit,
      busyFinalsMs: samples.busyFinals.map(round),
      otherFinalMs: round(samples.otherFinal),
      rateLimited: samples.rateLimited,
      busyChannel: samples.busyVerdict,
      otherChannel: samples.otherVerdict,
      referenceThread: samples.reference.replies,
    };
  }
  return details;
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
