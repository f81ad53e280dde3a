import { describe, expect, it } from "vitest";
import { rejectAfter, withDeadline } from "../../src/ops/deadline.js";

const never = new Promise<string>(() => {});

describe("deadlines", () => {
  it("gives the value when the promise settles in time", async () => {
    expect(await withDeadline(Promise.resolve("answer"), 1_000, () => "late")).toBe("answer");
  });
  it("gives the fallback once the deadline passes", async () => {
    expect(await withDeadline(never, 10, () => "late")).toBe("late");
  });
  it("passes a rejection through", async () => {
    await expect(withDeadline(Promise.reject(new Error("refused")), 1_000, () => "late")).rejects.toThrow(
      "refused",
    );
  });
  it("rejects with what timed out, even with a zero deadline", async () => {
    await expect(rejectAfter(never, 0, "closing the worker")).rejects.toThrow(
      "closing the worker timed out after 0 ms",
    );
  });
});
