import { describe, expect, it } from "vitest";
import { buildFigures, busyFigures, TARGETS, verdictFigures } from "../../bench/figures.js";
import { criticalPath } from "../../bench/lib/critical-path.js";
import type { CpuProfile } from "../../bench/lib/profile.js";
import { summarizeProfile } from "../../bench/lib/profile.js";
import { type Figure, resultsFileName, toFigure } from "../../bench/lib/report.js";
import { percentile, round, summarize } from "../../bench/lib/stats.js";
import { lostCount, type ThreadView, threadLines, verifyThreads } from "../../bench/lib/threads.js";
import type { BusySamples } from "../../bench/phases/busy.js";
import type { ThroughputRun } from "../../bench/phases/throughput.js";

describe("bench statistics", () => {
  it("takes nearest-rank percentiles", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarizes unsorted samples", () => {
    expect(summarize([3, 1, 2, 10])).toEqual({ n: 4, p50: 2, p90: 10, p99: 10, mean: 4, max: 10 });
    expect(summarize(Array.from({ length: 10 }, (_, i) => 10 - i)).p90).toBe(9);
  });

  it.each([
    [1.23456, 1.23],
    [123.456, 123.5],
    [12_345.6, 12_346],
  ])("rounds %d for display as %d", (value, shown) => {
    expect(round(value)).toBe(shown);
  });
});

describe("bench figures", () => {
  it("fails a ratio that misses its minimum, and says by how much", () => {
    const figure = toFigure({
      id: "e2e",
      label: "checks/s",
      unit: "checks/s",
      value: 100,
      baseline: { label: "bare", value: 400 },
      target: { kind: "ratio-min", min: 0.8 },
    });
    expect(figure).toMatchObject({ ratio: 0.25, pass: false, target: "ratio >= 0.8" });
  });

  it("passes a ratio under its maximum and fails one over it", () => {
    const at = (value: number) =>
      toFigure({
        id: "ack",
        label: "ack p99",
        unit: "ms",
        value,
        baseline: { label: "bare", value: 50 },
        target: { kind: "ratio-max", max: 1.2 },
      }).pass;
    expect(at(55)).toBe(true);
    expect(at(61)).toBe(false);
  });
});

const byId = (figures: Figure[], id: string): Figure => {
  const figure = figures.find((f) => f.id === id);
  if (!figure) throw new Error(`no figure ${id} in ${figures.map((f) => f.id).join(", ")}`);
  return figure;
};

describe("issue 12 targets", () => {
  const run = (checks: number, seconds: number, cpuMs: number): ThroughputRun => ({
    checks,
    seconds,
    perSecond: checks / seconds,
    badAnswers: 0,
    cpuMsPerCheck: { app: cpuMs, emulators: 1 },
  });

  it("judges checks/s against half the bare pipeline's and CPU per check against twice its", () => {
    const figures = (botPerSecond: number, botCpu: number) =>
      buildFigures({
        throughput: { bot: [run(botPerSecond * 10, 10, botCpu)], bare: [run(1_000, 10, 2)] },
      });
    const good = figures(50, 4);
    expect(byId(good, "e2e_checks_per_second")).toMatchObject({
      ratio: 0.5,
      pass: true,
      target: "ratio >= 0.5",
    });
    expect(byId(good, "cpu_ms_per_check")).toMatchObject({ ratio: 2, pass: true, target: "ratio <= 2" });
    const bad = figures(49, 4.1);
    expect(byId(bad, "e2e_checks_per_second").pass).toBe(false);
    expect(byId(bad, "cpu_ms_per_check").pass).toBe(false);
  });

  it("against another revision of the bot, names it and judges no target", () => {
    const throughput = { bot: [run(800, 2, 2.4)], bare: [run(800, 2, 3.0)] };
    const figures = buildFigures({ against: "1a2b3c4", throughput });
    expect(byId(figures, "cpu_ms_per_check")).toMatchObject({
      baselineLabel: "the bot at 1a2b3c4",
      ratio: 0.8,
      pass: null,
      target: null,
    });
    expect(byId(figures, "e2e_checks_per_second")).toMatchObject({ pass: null, target: null });
  });

  it("shows how far the CPU ratio moves from round to round, beside the overall ratio", () => {
    const throughput = {
      bot: [run(800, 2, 2.4), run(800, 2, 2.6), run(800, 2, 2.2)],
      bare: [run(800, 2, 1.2), run(800, 2, 1.3), run(800, 2, 1.0)],
    };
    const byRound = byId(buildFigures({ throughput }), "cpu_ratio_by_round");
    expect(byRound).toMatchObject({ value: 2, pass: null, samples: 3 });
    expect(byRound.label).toContain("(lowest 2, highest 2.2)");
    // One round has no spread to show.
    const single = buildFigures({ throughput: { bot: [run(800, 2, 2.4)], bare: [run(800, 2, 1.2)] } });
    expect(single.some((figure) => figure.id === "cpu_ratio_by_round")).toBe(false);
  });

  it("names which calls the bare pipeline made beside its figures", () => {
    const throughput = { bot: [run(500, 10, 4)], bare: [run(1_000, 10, 2)] };
    expect(byId(buildFigures({ throughput }), "cpu_ms_per_check").baselineLabel).toBe("bare BullMQ + undici");
    expect(byId(buildFigures({ bareCalls: "bot", throughput }), "cpu_ms_per_check").baselineLabel).toBe(
      "bare BullMQ + undici, the bot's calls now",
    );
    expect(byId(buildFigures({ bareCalls: "webclient", throughput }), "cpu_ms_per_check").baselineLabel).toBe(
      "bare BullMQ + undici, the bot's calls and bodies now through its WebClient",
    );
  });

  it("judges the slash-command ack p99 against 1.1 times bare Bolt's", () => {
    const slash = (bot: number) => buildFigures({ slash: { bot: [bot], bare: [100], badAnswers: 0 } });
    expect(byId(slash(110), "slash_ack_p99")).toMatchObject({ pass: true, target: "ratio <= 1.1" });
    expect(byId(slash(111), "slash_ack_p99").pass).toBe(false);
  });

  it("computes the critical path from the configured latencies", () => {
    expect(criticalPath({ autotaskMs: 150, slackMs: 30 }).ms).toBe(480);
    expect(criticalPath({ autotaskMs: 100, slackMs: 10 })).toEqual({
      ms: 310,
      describe: "critical path 3×100+10",
    });
  });

  it("passes time to verdict at 1.15 times the critical path and fails past it, for every entity count", () => {
    const latency = { autotaskMs: 150, slackMs: 30 };
    const figures = verdictFigures(latency, [
      { entities: 4, toParent: [40, 40], toFinal: [552, 552] },
      { entities: 8, toParent: [40, 40], toFinal: [553, 553] },
    ]);
    expect(byId(figures, "verdict_4_entities_p50")).toMatchObject({
      baseline: 480,
      baselineLabel: "critical path 3×150+30",
      ratio: 1.15,
      pass: true,
    });
    expect(byId(figures, "verdict_8_entities_p50").pass).toBe(false);
    // p90 is shown against the same reference, without a verdict of its own.
    expect(byId(figures, "verdict_4_entities_p90")).toMatchObject({ baseline: 480, pass: null });
  });
});

const reference: ThreadView = {
  text: "done",
  username: "api19@bench.example",
  outcome: "ok",
  replies: [
    "📥 Queued (request `59e83fe1-29d7-4443-b84e-9b407867ddcb`).",
    "✅ Domain: ww15\n✅ Zone: api19@bench.example lives in ww15",
    "✅ Credentials: 19 of 10,000 requests",
    "Done: ✅ works",
  ],
};
const threadOf = (username: string, replies: string[], finished = true): ThreadView => ({
  text: `Checking ${username}`,
  username: finished ? username : undefined,
  outcome: finished ? "ok" : undefined,
  replies,
});
const intact = (username: string) =>
  threadOf(username, [
    "📥 Queued (request `0f9e83fe-29d7-4443-b84e-9b407867dd00`).",
    `✅ Domain: ww15\n✅ Zone: ${username} lives in ww15`,
    "✅ Credentials: 3 of 10,000 requests",
    "Done: ✅ works",
  ]);
const users = ["api0@bench.example", "api1@bench.example"];

describe("busy-channel thread verification", () => {
  it("accepts threads that read as the reference, however the lines are split into replies", () => {
    const merged = threadOf("api1@bench.example", [
      "📥 Queued (request `0f9e83fe-29d7-4443-b84e-9b407867dd00`).\n✅ Domain: ww15",
      "✅ Zone: api1@bench.example lives in ww15\n✅ Credentials: 7 of 10,000 requests\nDone: ✅ works",
    ]);
    const verdict = verifyThreads(reference, [intact(users[0] as string), merged], users);
    expect(verdict).toEqual({
      checks: 2,
      missingParents: [],
      extraParents: 0,
      notFinal: [],
      lost: [],
      outOfOrder: [],
    });
    expect(threadLines(merged.replies)).toEqual(threadLines(reference.replies));
  });

  it("counts a reply that never reached the thread as lost", () => {
    const dropped = intact(users[1] as string);
    dropped.replies.splice(2, 1);
    const verdict = verifyThreads(reference, [intact(users[0] as string), dropped], users);
    expect(verdict.lost).toEqual([{ username: users[1], lines: ["✅ Credentials: # of #,# requests"] }]);
    expect(lostCount(verdict, reference)).toBe(1);
  });

  it("finds replies out of order", () => {
    const swapped = intact(users[0] as string);
    swapped.replies.reverse();
    expect(verifyThreads(reference, [swapped, intact(users[1] as string)], users).outOfOrder).toEqual([
      users[0],
    ]);
  });

  it("finds a second parent, a missing one, and one never finished", () => {
    const doubled = verifyThreads(reference, [intact(users[0] as string), intact(users[0] as string)], users);
    expect(doubled).toMatchObject({ extraParents: 1, missingParents: [users[1]] });
    expect(lostCount(doubled, reference)).toBe(threadLines(reference.replies).length);
    const pending = threadOf(users[1] as string, intact(users[1] as string).replies, false);
    expect(verifyThreads(reference, [intact(users[0] as string), pending], users).notFinal).toEqual([
      users[1],
    ]);
  });
});

describe("busy-channel figures", () => {
  const samples = (overrides: Partial<BusySamples>): BusySamples => ({
    busyChecks: 6,
    busyFinals: [2_000, 12_000, 9_000],
    otherFinal: 1_500,
    busyVerdict: verifyThreads(reference, users.map(intact), users),
    otherVerdict: verifyThreads(reference, [intact("api6@bench.example")], ["api6@bench.example"]),
    reference,
    rateLimited: { "chat.postMessage": 4 },
    ...overrides,
  });

  it("passes the busy channel at 12 s and the other channel at 1.5 s, with nothing lost", () => {
    const figures = busyFigures(samples({}));
    expect(figures.map((f) => [f.id, f.value, f.pass])).toEqual([
      ["busy_last_final", 12_000, true],
      ["busy_other_channel_final", 1_500, true],
      ["busy_lines_lost", 0, true],
      ["busy_checks_without_one_finished_parent", 0, true],
      ["busy_threads_out_of_order", 0, true],
    ]);
    expect(byId(figures, "busy_last_final").note).toBe("answered 429: 4 chat.postMessage");
  });

  it("fails past either time, and on a lost line", () => {
    const dropped = intact(users[1] as string);
    dropped.replies.pop();
    const figures = busyFigures(
      samples({
        busyFinals: [12_001],
        otherFinal: 1_501,
        busyVerdict: verifyThreads(reference, [intact(users[0] as string), dropped], users),
      }),
    );
    expect(figures.filter((f) => f.pass === false).map((f) => f.id)).toEqual([
      "busy_last_final",
      "busy_other_channel_final",
      "busy_lines_lost",
    ]);
    expect(byId(figures, "busy_lines_lost").note).toBe(`${users[1]}: Done: ✅ works`);
  });

  it("keeps the targets issue 12 sets", () => {
    expect(TARGETS).toMatchObject({
      verdictRatio: 1.15,
      busyLastFinalMs: 12_000,
      otherChannelFinalMs: 1_500,
      cpuRatio: 2,
      throughputRatio: 0.5,
      slashAckRatio: 1.1,
    });
  });
});

describe("CPU profile summary", () => {
  it("charges time spent in libraries and natives to the nearest src/ function that called them", () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
      id,
      callFrame: { functionName, url, lineNumber: 0 },
      children,
    });
    const profile: CpuProfile = {
      nodes: [
        frame(1, "(root)", "", [2, 5, 6]),
        frame(2, "post", "file:///app/src/slack/notifier.ts", [3]),
        frame(3, "apiCall", "file:///app/node_modules/@slack/web-api/dist/WebClient.js", [4]),
        frame(4, "writev", ""),
        frame(5, "(idle)", ""),
        frame(6, "(garbage collector)", ""),
      ],
      samples: [4, 4, 3, 5, 5, 5, 6, 2],
      timeDeltas: [100, 100, 100, 1_000, 1_000, 1_000, 50, 10],
    };
    const summary = summarizeProfile(profile);
    expect(summary.busyUs).toBe(360);
    expect(Object.fromEntries(summary.byOwnCaller)).toEqual({
      "(writev) <- post src/slack/notifier.ts": 200,
      "@slack/web-api <- post src/slack/notifier.ts": 100,
      "(garbage collector) <- (no src/ caller)": 50,
    });
    expect(summary.byPlace.get("src/slack/notifier.ts")).toBe(10);
  });
});

describe("where a run's JSON goes", () => {
  const full = { quick: false, allPhases: true, issueReference: true, against: false, profiled: false };

  it("keeps latest.json, the README's run, for a full run against issue 12's reference", () => {
    expect(resultsFileName(full)).toBe("latest.json");
  });

  it("writes any narrower or distorted run to partial.json", () => {
    for (const change of [
      { quick: true },
      { allPhases: false },
      { issueReference: false },
      { against: true },
      { profiled: true },
    ]) {
      expect(resultsFileName({ ...full, ...change }), JSON.stringify(change)).toBe("partial.json");
    }
  });
});
