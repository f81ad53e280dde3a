import { ErrorCode } from "@slack/web-api";
import { describe, expect, it } from "vitest";
import { createChannelPoster, retryAfterOf } from "../../src/slack/channel-poster.js";

/** The error WebClient throws for a 429 when built with rejectRateLimitedCalls. */
const rateLimited = (retryAfter: number) =>
  Object.assign(new Error("rate limited"), { code: ErrorCode.RateLimitedError, retryAfter });

describe("the per-channel poster", () => {
  it("waits out a 429 in that channel's lane only, then sends again, keeping the channel's order", async () => {
    const waits: { ms: number; release: () => void }[] = [];
    const poster = createChannelPoster({
      sleep: (ms) => new Promise<void>((release) => waits.push({ ms, release })),
    });
    const sent: string[] = [];
    let limited = true;
    const first = poster.post("CBUSY", async () => {
      if (limited) {
        limited = false;
        throw rateLimited(3);
      }
      sent.push("busy-1");
    });
    const second = poster.post("CBUSY", async () => void sent.push("busy-2"));
    await poster.post("CQUIET", async () => void sent.push("quiet-1"));
    // The busy channel is waiting its Retry-After; the quiet one went through meanwhile.
    expect(waits.map((wait) => wait.ms)).toEqual([3_000]);
    expect(sent).toEqual(["quiet-1"]);
    waits[0]?.release();
    await Promise.all([first, second]);
    expect(sent).toEqual(["quiet-1", "busy-1", "busy-2"]);
  });

  it("gives up after maxRateLimitWaits and passes other errors through at once", async () => {
    const poster = createChannelPoster({ maxRateLimitWaits: 2, sleep: async () => {} });
    let tries = 0;
    await expect(
      poster.post("C1", async () => {
        tries += 1;
        throw rateLimited(1);
      }),
    ).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
    expect(tries).toBe(3);
    await expect(
      poster.post("C1", async () => Promise.reject(new Error("channel_not_found"))),
    ).rejects.toThrow("channel_not_found");
    // A failed post does not block the lane.
    await expect(poster.post("C1", async () => "ok")).resolves.toBe("ok");
  });

  it("reads Retry-After only from the WebClient's rate-limit error", () => {
    expect(retryAfterOf(rateLimited(7))).toBe(7);
    expect(retryAfterOf(new Error("x"))).toBeNull();
  });
});
