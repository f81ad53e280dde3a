/** Bench figures against their baselines and targets: the JSON written to bench/results and the printed table. Pure. */
import { round } from "./stats.js";

export type Target =
  /** value / baseline must stay at or under `max` (strictly under when `strict`). */
  | { kind: "ratio-max"; max: number; strict?: boolean }
  /** value / baseline must reach at least `min`. */
  | { kind: "ratio-min"; min: number }
  /** value must stay at or under `max` (same unit as the value). */
  | { kind: "value-max"; max: number; describe: string };

export type FigureInput = {
  id: string;
  label: string;
  unit:
    | "ms"
    | "checks/s"
    | "MB"
    | "lines"
    | "checks"
    | "calls"
    /** A ratio of two figures. */
    | "×";
  value: number;
  /** What the value is set against: another app's figure, or a computed least value (e.g. a critical path). */
  baseline?: { label: string; value: number };
  target?: Target;
  /** How many samples the figure summarizes. */
  samples?: number;
  note?: string;
};

export type Figure = {
  id: string;
  label: string;
  unit: string;
  value: number;
  baseline: number | null;
  baselineLabel: string | null;
  /** value / baseline. */
  ratio: number | null;
  target: string | null;
  pass: boolean | null;
  samples: number | null;
  note: string | null;
};

function describeTarget(target: Target): string {
  switch (target.kind) {
    case "ratio-max":
      return `ratio ${target.strict ? "<" : "<="} ${target.max}`;
    case "ratio-min":
      return `ratio >= ${target.min}`;
    case "value-max":
      return target.describe;
  }
}

export function toFigure(input: FigureInput): Figure {
  const ratio = input.baseline ? input.value / input.baseline.value : null;
  let pass: boolean | null = null;
  if (input.target?.kind === "ratio-max")
    pass = ratio !== null && (input.target.strict ? ratio < input.target.max : ratio <= input.target.max);
  else if (input.target?.kind === "ratio-min") pass = ratio !== null && ratio >= input.target.min;
  else if (input.target?.kind === "value-max") pass = input.value <= input.target.max;
  return {
    id: input.id,
    label: input.label,
    unit: input.unit,
    value: round(input.value),
    baseline: input.baseline ? round(input.baseline.value) : null,
    baselineLabel: input.baseline?.label ?? null,
    ratio: ratio === null ? null : Math.round(ratio * 100) / 100,
    target: input.target ? describeTarget(input.target) : null,
    pass,
    samples: input.samples ?? null,
    note: input.note ?? null,
  };
}

/** A plain-text table, one row per figure, for the terminal and the README. */
export function renderTable(figures: readonly Figure[]): string {
  const header = ["figure", "bot", "baseline", "ratio", "target", "result"];
  const rows = figures.map((f) => [
    f.label,
    `${f.value} ${f.unit}`,
    f.baseline === null ? "" : `${f.baseline} ${f.unit} (${f.baselineLabel})`,
    f.ratio === null ? "" : String(f.ratio),
    f.target ?? "",
    f.pass === null ? "info" : f.pass ? "PASS" : "FAIL",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** How a bench run was asked for: what decides whether it may stand as the latest run. */
export type RunShape = {
  quick: boolean;
  /** Every phase ran. */
  allPhases: boolean;
  /** The bare pipeline made the calls of issue 12's reference. */
  issueReference: boolean;
  /** The throughput phase ran another revision of the bot (`--against`). */
  against: boolean;
  /** Processes were profiled (`--cpu-prof`), which slows them. */
  profiled: boolean;
};

/**
 * Where a run's JSON goes under bench/results when no `--out` is given: only a full run against
 * issue 12's reference replaces the committed `latest.json` (the README's figures); any other run
 * (quick, some phases, another reference, an A/B, profiled) goes to `partial.json`, which git ignores.
 */
export function resultsFileName(run: RunShape): "latest.json" | "partial.json" {
  const full = !run.quick && run.allPhases && run.issueReference && !run.against && !run.profiled;
  return full ? "latest.json" : "partial.json";
}
