import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmissions, waitText } from "../../src/slack/admission.js";
import { createSlidingWindows, type SlidingWindows } from "../../src/state/sliding-window.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

let redis: Redis;
let clock = 5_000_000;
const now = () => clock;
const HOUR = 3_600_000;

beforeAll(() => {
  redis = new Redis(testRedisUrl());
});
afterAll(() => redis.quit());

function admissions(perUserLimit: number, perWorkspaceLimit: number) {
  const windows = createSlidingWindows({
    redis,
    prefix: uniquePrefix("admission"),
    windows: [
      { name: "user-checks", limit: perUserLimit, windowMs: HOUR },
      { name: "workspace-checks", limit: perWorkspaceLimit, windowMs: HOUR },
    ],
    now,
  });
  return createAdmissions({
    windows,
    limits: { checksPerUserPerHour: perUserLimit, checksPerWorkspacePerHour: perWorkspaceLimit },
    now,
  });
}

describe("abuse limits", () => {
  it("refuses a user past their hourly limit with the time to wait, while others go on", async () => {
    const limits = admissions(2, 100);
    clock = 5_000_000;
    expect(await limits.admit("T1", "U1")).toEqual({ ok: true });
    clock += 20 * 60_000;
    expect(await limits.admit("T1", "U1")).toEqual({ ok: true });
    const refused = await limits.admit("T1", "U1");
    expect(refused).toEqual({
      ok: false,
      message:
        "You have started 2 checks in the last hour, the most one person may. Try again in 40 minutes.",
    });
    expect(await limits.check("T1", "U1")).toEqual(refused);
    expect(await limits.admit("T1", "U2")).toEqual({ ok: true });
  });

  it("refuses everyone in a workspace past its hourly limit, and not other workspaces", async () => {
    const limits = admissions(100, 3);
    clock = 6_000_000;
    for (const user of ["U1", "U2", "U3"]) expect(await limits.admit("T1", user)).toEqual({ ok: true });
    expect(await limits.check("T1", "U4")).toMatchObject({
      ok: false,
      message: expect.stringMatching(
        /^This workspace has run 3 checks in the last hour.*Try again in 60 minutes\.$/,
      ),
    });
    expect(await limits.admit("T2", "U4")).toEqual({ ok: true });
  });

  it("does not use up a user's checks on submissions the workspace's limit refused", async () => {
    const limits = admissions(2, 2);
    clock = 6_500_000;
    expect(await limits.admit("T1", "U1")).toEqual({ ok: true });
    expect(await limits.admit("T1", "U2")).toEqual({ ok: true });
    clock += 30 * 60_000;
    for (let i = 0; i < 3; i += 1) {
      expect(await limits.admit("T1", "U3")).toMatchObject({ ok: false, message: /^This workspace/ });
    }
    // Once the first two checks leave the window the workspace has room again, and U3's refused
    // tries, still inside it, took none of U3's own.
    clock += 30 * 60_000 + 1;
    expect(await limits.admit("T1", "U3")).toEqual({ ok: true });
    expect(await limits.admit("T1", "U3")).toEqual({ ok: true });
  });

  it("counts a form submitted twice once", async () => {
    const limits = admissions(1, 100);
    clock = 6_800_000;
    expect(await limits.admit("T1", "U1", "V1")).toEqual({ ok: true, firstTime: true });
    // The second submission of the form is told apart: the producer reads its add back.
    expect(await limits.admit("T1", "U1", "V1")).toEqual({ ok: true, firstTime: false });
    expect((await limits.admit("T1", "U1", "V2")).ok).toBe(false);
  });

  it("does not count a peek at the command, only a submitted check", async () => {
    const limits = admissions(1, 100);
    clock = 7_000_000;
    for (let i = 0; i < 3; i += 1) expect(await limits.check("T1", "U1")).toEqual({ ok: true });
    expect(await limits.admit("T1", "U1")).toEqual({ ok: true });
    expect((await limits.check("T1", "U1")).ok).toBe(false);
  });

  it("lets the form open when Redis does not answer in time", async () => {
    const hanging: SlidingWindows = {
      peek: () => new Promise(() => {}),
      acquire: () => new Promise(() => {}),
    };
    const limits = createAdmissions({
      windows: hanging,
      limits: { checksPerUserPerHour: 1, checksPerWorkspacePerHour: 1 },
      timeoutMs: 50,
    });
    expect(await limits.check("T1", "U1")).toEqual({ ok: true });
  });

  it.each([
    [30_000, "in 30 seconds"],
    [1_000, "in 1 second"],
    [61_000, "in 2 minutes"],
    [60_000, "in 1 minute"],
  ])("says how long to wait for %i ms as %j", (ms, text) => {
    expect(waitText(new Date(1_000 + ms), 1_000)).toBe(text);
  });
});
