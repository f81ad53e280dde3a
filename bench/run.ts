/**
 * `npm run bench`: the bot against its baselines (or a computed least time) on the same emulators
 * and Redis, in one run. Prints a table and writes every figure, its baseline, ratio, target and
 * verdict, with the machine it ran on, to bench/results/latest.json.
 *
 * Options: `--quick` (small counts, for trying the harness), `--only PHASE,...`, `--cpu-prof DIR`
 * (CPU profiles of the bot and the baselines), `--out FILE`.
 */

import { execFileSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { BareCalls } from "./baselines/bare-pipeline.js";
import type { BareStartArgs } from "./baselines/bare-server.js";
import type { BotStartArgs } from "./bot-server.js";
import type { EmulatorEndpoints, EmulatorSettings } from "./emulators-server.js";
import { buildFigures, detailsOf, type Measured, problemsOf } from "./figures.js";
import { compileBench } from "./lib/compile.js";
import { type AppUnderTest, type Emulators, emulatorsOf } from "./lib/context.js";
import type { UpstreamLatency } from "./lib/critical-path.js";
import { BenchProcess } from "./lib/ipc.js";
import { createSlackSender } from "./lib/load.js";
import { deletePrefixes, findBenchRedis } from "./lib/redis.js";
import { renderTable, resultsFileName } from "./lib/report.js";
import { checkoutRevision, type Revision } from "./lib/revision.js";
import { measureSlashAcks, measureSubmissionAcks } from "./phases/acks.js";
import { measureBusyChannel } from "./phases/busy.js";
import { measureIdle } from "./phases/idle.js";
import { measureMemory } from "./phases/memory.js";
import { measureThroughput, type ThroughputRun } from "./phases/throughput.js";
import { measureTimeToVerdict, type VerdictSamples } from "./phases/verdict.js";

const here = dirname(fileURLToPath(import.meta.url));
const BOT_ENTRY = "bench/bot-server.ts";
const BARE_ENTRY = "bench/baselines/bare-server.ts";
const EMULATORS_ENTRY = "bench/emulators-server.ts";
/** Requests in flight from "Slack", for every latency and throughput phase. */
const CONCURRENCY = 20;
/** The bot's default WORKER_CONCURRENCY; the bare pipeline uses the same. */
const WORKER_CONCURRENCY = 10;
/** Upstream latency of the time-to-verdict and busy-channel phases (issue 12's setting). */
const UPSTREAM_LATENCY: UpstreamLatency = { autotaskMs: 150, slackMs: 30 };
/** Entities probed per check in the time-to-verdict runs; the busy-channel phase uses the first. */
const ENTITY_SETS = [
  ["Companies", "Tickets", "Contacts", "Resources"],
  ["Companies", "Tickets", "Contacts", "Resources", "Projects", "Tasks", "Contracts", "ConfigurationItems"],
] as const;
/** Slack's per-channel chat.postMessage limit, as the busy-channel phase enforces it. */
const POST_RATE_LIMIT = { perSecond: 1, burst: 5 };
/** The emulators' settings for {@link UPSTREAM_LATENCY}. */
const UPSTREAM: EmulatorSettings = {
  autotaskLatencyMs: UPSTREAM_LATENCY.autotaskMs,
  slackLatencyMs: UPSTREAM_LATENCY.slackMs,
};
/** Checks submitted together in the busy channel. */
const BUSY_CHECKS = 6;

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    "cpu-prof": { type: "string" },
    // The bare pipeline's calls: "issue" (issue 12's reference), "bot" (the bot's calls now),
    // "bodies" (those with the bot's message bodies) or "webclient" (those through its WebClient).
    "bare-calls": { type: "string", default: "issue" },
    // The throughput phase runs the bot of this revision (a commit, branch or tag) in the bare
    // pipeline's place: an A/B of two versions of the bot.
    against: { type: "string" },
    // Default: results/latest.json for a full run against issue 12's reference, else results/partial.json.
    out: { type: "string" },
  },
});
const scale = flags.quick ? 0.1 : 1;
const PHASES = ["latency", "verdict", "busy", "throughput", "memory"] as const;
const only = new Set(flags.only?.split(",") ?? PHASES);
for (const phase of only) {
  if (!(PHASES as readonly string[]).includes(phase)) throw new Error(`--only takes ${PHASES.join(",")}`);
}
const n = (count: number) => Math.max(20, Math.round(count * scale));
const bareCalls = flags["bare-calls"] as BareCalls;
if (!["issue", "bot", "bodies", "webclient"].includes(bareCalls)) {
  throw new Error("--bare-calls takes issue, bot, bodies or webclient");
}

const outFile =
  flags.out ??
  resolve(
    here,
    "results",
    resultsFileName({
      quick: flags.quick,
      allPhases: PHASES.every((phase) => only.has(phase)),
      issueReference: bareCalls === "issue",
      against: Boolean(flags.against),
      profiled: Boolean(flags["cpu-prof"]),
    }),
  );

if (flags.against && (only.size !== 1 || !only.has("throughput"))) {
  throw new Error("--against measures the throughput phase only: add --only throughput");
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function profileFlags(name: string): string[] {
  if (!flags["cpu-prof"]) return [];
  // One directory per process: Node names each thread's profile itself.
  const dir = resolve(flags["cpu-prof"], name);
  mkdirSync(dir, { recursive: true });
  return ["--cpu-prof", `--cpu-prof-dir=${dir}`];
}

async function startEmulators(
  entries: Entries,
  label: string,
  settings: EmulatorSettings = {},
): Promise<Emulators> {
  const process = BenchProcess.start(entries.emulators, {
    nodeFlags: profileFlags(`emulators-${label}`),
  });
  return emulatorsOf(process, await process.call<EmulatorEndpoints>("start", settings));
}

/** The compiled entry of each kind of process the bench starts. */
type Entries = { bot: string; bare: string; emulators: string };

type Shared = {
  entries: Entries;
  redisUrl: string;
  signingSecret: string;
  prefixes: { bot: string; bare: string };
  /** With --against: the other revision's checkout, whose bot takes the bare pipeline's place. */
  against?: Revision;
};

/** Fresh emulators with a bot and/or the baselines wired to them; `stop` ends them all. */
type Group = {
  emulators: Emulators;
  bot: AppUnderTest;
  bare: AppUnderTest | null;
  /** Split groups only: starts a worker process for the bot's queue; resolves with its stop. */
  startWorker: (() => Promise<() => Promise<void>>) | null;
  stop(): Promise<void>;
};

type GroupOptions = {
  /** Start the baselines too. @defaultValue false */
  baselines?: boolean;
  /**
   * Run the bot as the compose deployment does: a web process (measured) and a separate worker
   * process draining its queue, instead of one process doing both. @defaultValue false
   */
  split?: boolean;
  emulators?: EmulatorSettings;
  /** Extra environment of the bot, e.g. AUTOTASK_REQUIRED_ENTITIES. */
  botEnv?: Record<string, string>;
};

async function startGroup(shared: Shared, label: string, options: GroupOptions = {}): Promise<Group> {
  const { baselines: withBaselines = false, split = false } = options;
  const emulators = await startEmulators(shared.entries, label, options.emulators);
  const common = {
    slackApiUrl: emulators.endpoints.slackApiUrl,
    autotaskOrigin: emulators.endpoints.autotaskOrigin,
    redisUrl: shared.redisUrl,
    signingSecret: shared.signingSecret,
  };
  const start = async (name: "bot" | "bare", args: BotStartArgs | BareStartArgs): Promise<AppUnderTest> => {
    const process = BenchProcess.start(shared.entries[name], { nodeFlags: profileFlags(`${name}-${label}`) });
    const { eventsUrl } = await process.call<{ eventsUrl: string }>("start", args);
    return { name, process, sender: createSlackSender(eventsUrl, shared.signingSecret, CONCURRENCY) };
  };
  const botEnv = {
    ...options.botEnv,
    ...(split ? { CREDENTIALS_KEY: randomBytes(32).toString("base64") } : {}),
  };
  const bot = await start("bot", {
    ...common,
    prefix: shared.prefixes.bot,
    role: split ? "web" : "all",
    env: botEnv,
  });
  const startWorker = split
    ? async () => {
        const worker = await start("bot", {
          ...common,
          prefix: shared.prefixes.bot,
          role: "worker",
          env: botEnv,
        });
        return async () => {
          await worker.sender.close();
          await worker.process.stop();
        };
      }
    : null;
  const bare = !withBaselines
    ? null
    : shared.against
      ? await start("bare", { ...common, prefix: shared.prefixes.bare, role: "all", env: botEnv })
      : await start("bare", {
          ...common,
          prefix: shared.prefixes.bare,
          concurrency: WORKER_CONCURRENCY,
          slackCalls: bareCalls,
        });
  return {
    emulators,
    bot,
    bare,
    startWorker,
    async stop() {
      for (const app of [bot, bare]) {
        if (!app) continue;
        await app.sender.close();
        await app.process.stop();
      }
      await emulators.process.stop();
    },
  };
}

/**
 * Compiles this checkout's bench processes; with --against, that revision's bot too, in the bare
 * pipeline's place. The builds are deleted on any exit.
 */
function compileEntries(against: Revision | undefined): Entries {
  const started = Date.now();
  const compiled = compileBench(resolve(here, ".."), [BOT_ENTRY, BARE_ENTRY, EMULATORS_ENTRY]);
  process.once("exit", () => compiled.remove());
  // A worktree's build goes with the worktree.
  const otherBot = against && compileBench(against.dir, [BOT_ENTRY]);
  const entries = {
    bot: compiled.entry(BOT_ENTRY),
    bare: otherBot ? otherBot.entry(BOT_ENTRY) : compiled.entry(BARE_ENTRY),
    emulators: compiled.entry(EMULATORS_ENTRY),
  };
  log(`compiled the bench's processes in ${((Date.now() - started) / 1_000).toFixed(1)} s`);
  return entries;
}

function gitCommit(): string | null {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { encoding: "utf8" }).trim();
    return dirty ? `${commit} (src/ with uncommitted changes)` : commit;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  // Ctrl-C and kill end the run through process.exit, so the exit handlers below (the worktree,
  // the compiled build) run then too.
  process.once("SIGINT", () => process.exit(130));
  process.once("SIGTERM", () => process.exit(143));
  const against = flags.against ? checkoutRevision(resolve(here, ".."), flags.against) : undefined;
  if (against) {
    // Removed on any exit, a failed run's included.
    process.once("exit", () => against.remove());
    log(`against the bot at ${against.commit} (checked out in ${against.dir})`);
  }
  const redis = await findBenchRedis(process.env);
  const tag = randomUUID().slice(0, 8);
  const prefixes = {
    bot: `{atc-bench-${tag}}`,
    bare: `{atc-bench-bare-${tag}}`,
    memory: `{atc-bench-mem-${tag}}`,
  };
  const signingSecret = randomBytes(16).toString("hex");
  log(`Redis: ${redis.source} (${redis.url}); key prefixes ${Object.values(prefixes).join(", ")}`);

  const measured: Partial<Measured> = { bareCalls, against: against?.commit };
  /** Wall time of each phase, in seconds. */
  const phaseSeconds: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const collectFailures = async (group: Group) => {
    for (const [method, count] of Object.entries((await group.emulators.counts()).failures)) {
      failures[method] = (failures[method] ?? 0) + count;
    }
  };
  const shared = { entries: compileEntries(against), redisUrl: redis.url, signingSecret, against };
  try {
    const phases: Record<(typeof PHASES)[number], () => Promise<void>> = {
      latency: latencyPhases,
      verdict: verdictPhase,
      busy: busyPhase,
      throughput: throughputPhase,
      memory: memoryPhase,
    };
    for (const phase of PHASES) {
      if (!only.has(phase)) continue;
      const phaseStarted = Date.now();
      await phases[phase]();
      phaseSeconds[phase] = Math.round((Date.now() - phaseStarted) / 1_000);
      log(`${phase}: ${phaseSeconds[phase]} s`);
    }
  } finally {
    const deleted = await deletePrefixes(redis.url, Object.values(prefixes)).catch(() => 0);
    log(`deleted this run's ${deleted} Redis keys`);
    await redis.stop();
  }

  async function latencyPhases() {
    // Latencies: the bot and the bare Bolt app side by side on one pair of emulators.
    const group = await startGroup({ ...shared, prefixes }, "latency", { baselines: true });
    const apps = [group.bot, group.bare as AppUnderTest] as const;
    const [bot, bare] = apps;
    log("slash command acks (bot and bare Bolt, alternating)");
    measured.slash = await measureSlashAcks(apps, group.emulators, {
      warmup: n(300),
      rounds: 10,
      perRound: n(300),
      concurrency: CONCURRENCY,
    });
    log("idle queue: submission to parent message and to final update");
    measured.idleBot = await measureIdle(bot, group.emulators, n(200));
    await bare.process.call("setMode", "enqueue");
    measured.idleBare = await measureIdle(bare, group.emulators, n(200));
    await bare.process.call("setMode", "ack");
    log(
      "submission acks, one process running web and worker (bot validates, seals and enqueues; bare Bolt only acks)",
    );
    const submissionRounds = { warmup: n(100), rounds: 10, perRound: n(250), concurrency: CONCURRENCY };
    measured.submissionSingleProcess = await measureSubmissionAcks(apps, group.emulators, submissionRounds);
    await collectFailures(group);
    await group.stop();

    // The web role alone, as deployed with compose: its checks are drained by a separate worker
    // process after each round, so the ack is measured on a machine as quiet as the bare app's.
    const split = await startGroup({ ...shared, prefixes }, "latency-split", {
      baselines: true,
      split: true,
    });
    log(
      "submission acks, web role; a worker process drains each round after it (bot and bare Bolt, alternating)",
    );
    measured.submission = await measureSubmissionAcks(
      [split.bot, split.bare as AppUnderTest],
      split.emulators,
      submissionRounds,
      split.startWorker ?? undefined,
    );
    await collectFailures(split);
    await split.stop();
  }

  async function verdictPhase() {
    const runs: VerdictSamples[] = [];
    for (const entities of ENTITY_SETS) {
      log(
        `time to verdict: one check at a time, ${entities.length} entities, Autotask answering in ` +
          `${UPSTREAM_LATENCY.autotaskMs} ms and Slack in ${UPSTREAM_LATENCY.slackMs} ms`,
      );
      const group = await startGroup({ ...shared, prefixes }, `verdict-${entities.length}`, {
        emulators: UPSTREAM,
        botEnv: { AUTOTASK_REQUIRED_ENTITIES: entities.join(",") },
      });
      runs.push(
        await measureTimeToVerdict(group.bot, group.emulators, {
          entities: entities.length,
          checks: Math.max(8, Math.round(30 * scale)),
          warmup: 3,
        }),
      );
      await collectFailures(group);
      await group.stop();
    }
    measured.verdict = { latency: UPSTREAM_LATENCY, runs };
  }

  async function busyPhase() {
    const entities = ENTITY_SETS[0];
    log(
      `busy channel: ${BUSY_CHECKS} checks in one channel and one in another, submitted together; ` +
        `Slack allowing ${POST_RATE_LIMIT.perSecond} post/s per channel, bursts of ${POST_RATE_LIMIT.burst}`,
    );
    const group = await startGroup({ ...shared, prefixes }, "busy", {
      emulators: { ...UPSTREAM, postRateLimit: POST_RATE_LIMIT },
      botEnv: { AUTOTASK_REQUIRED_ENTITIES: entities.join(",") },
    });
    const samples = await measureBusyChannel(group.bot, group.emulators, { busyChecks: BUSY_CHECKS });
    measured.busy = { latency: UPSTREAM_LATENCY, postRateLimit: POST_RATE_LIMIT, samples };
    await collectFailures(group);
    await group.stop();
  }

  async function throughputPhase() {
    // Fresh emulators and apps: the emulators' message store grows with every check.
    const group = await startGroup({ ...shared, prefixes }, "e2e", { baselines: true });
    if (!against) await group.bare?.process.call("setMode", "enqueue");
    log(
      `end-to-end throughput (bot and ${against ? `the bot at ${against.commit}` : "bare pipeline"}, alternating)`,
    );
    measured.throughput = await measureThroughput([group.bot, group.bare as AppUnderTest], group.emulators, {
      runs: 8,
      checks: n(800),
      warmup: n(3000),
      concurrency: CONCURRENCY,
    });
    const perRun = (runs: readonly ThroughputRun[]) =>
      runs.map((run) => `${run.cpuMsPerCheck.app.toFixed(2)} ms`).join(", ");
    log(
      `throughput runs, CPU per check: bot ${perRun(measured.throughput.bot)}; bare ${perRun(measured.throughput.bare)}`,
    );
    await collectFailures(group);
    await group.stop();
  }

  async function memoryPhase() {
    log("memory over 5,000 checks (a fresh bot alone)");
    const group = await startGroup({ ...shared, prefixes: { ...prefixes, bot: prefixes.memory } }, "memory");
    measured.memory = await measureMemory(group.bot, group.emulators, {
      warmup: n(200),
      concurrency: CONCURRENCY,
      batch: n(1_000),
      total: n(5_000),
    });
    await collectFailures(group);
    await group.stop();
  }

  const figures = buildFigures(measured);
  const cpu = cpus();
  const result = {
    command: "npm run bench",
    date: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1_000),
    phaseSeconds,
    quick: flags.quick,
    machine: {
      cpuModel: cpu[0]?.model ?? "unknown",
      cores: cpu.length,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
    },
    commit: gitCommit(),
    redis: redis.source,
    setup: {
      concurrency: CONCURRENCY,
      workerConcurrency: WORKER_CONCURRENCY,
      authorizedUsers: "admins (users.info cached: every admin is looked up once during warm-up)",
      logLevel: "info, to /dev/null",
      bareCalls,
      against: against?.commit ?? null,
    },
    figures,
    details: detailsOf(measured),
    problems: problemsOf(measured, failures),
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `\n${renderTable(figures)}\n\n${result.machine.cpuModel}, ${result.machine.cores} cores, Node ${result.machine.node}; ` +
      `${result.date}; ${result.durationSeconds} s. Written to ${outFile}\n`,
  );
  if (result.problems.length > 0) {
    process.stderr.write(`[bench] the run is not valid:\n  ${result.problems.join("\n  ")}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
