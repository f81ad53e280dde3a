import { describe, expect, it } from "vitest";
import { toFigure } from "../../bench/lib/report.js";
import { percentile, round, summarize } from "../../bench/lib/stats.js";

describe("bench statistics", () => {
  it("takes nearest-rank percentiles", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it("summarizes unsorted samples", () => {
    expect(summarize([3, 1, 2, 10])).toEqual({ n: 4, p50: 2, p99: 10, mean: 4, max: 10 });
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
