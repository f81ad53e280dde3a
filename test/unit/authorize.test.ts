import { describe, expect, it } from "vitest";
import { createAuthorizer, type RolesLookup } from "../../src/slack/authorize.js";

/** An authorizer on a settable clock whose users.info answers are scripted per call. */
function setup(answers: (() => RolesLookup)[]) {
  let clock = 1_000_000;
  const asked: string[] = [];
  const authorize = createAuthorizer(
    { kind: "admins" },
    {
      lookupRoles: async (userId) => {
        asked.push(userId);
        const next = answers.shift();
        if (!next) throw new Error("no scripted answer");
        return next();
      },
      now: () => clock,
    },
  );
  return { authorize, asked, advance: (ms: number) => (clock += ms), now: () => clock };
}

const admin = () => ({ isAdmin: true, isOwner: false });

describe("the admin check while Slack rate-limits users.info", () => {
  it("tells a user not yet looked up when to try again, and asks Slack nothing more until then", async () => {
    const { authorize, asked, advance, now } = setup([() => ({ rateLimitedForMs: 30_000 }), admin]);
    expect(await authorize("U1")).toEqual({
      ok: false,
      reason: "unverifiable",
      retryAt: new Date(now() + 30_000),
    });
    expect(await authorize("U2")).toMatchObject({ ok: false, reason: "unverifiable" });
    expect(asked).toEqual(["U1"]);
    advance(30_001);
    expect(await authorize("U2")).toEqual({ ok: true });
  });

  it("still serves an admin whose lookup expired within the hour", async () => {
    const { authorize, advance } = setup([admin, () => ({ rateLimitedForMs: 30_000 })]);
    expect(await authorize("U1")).toEqual({ ok: true });
    advance(10 * 60_000);
    expect(await authorize("U1")).toEqual({ ok: true });
  });

  it("does not serve a lookup older than that", async () => {
    const { authorize, advance } = setup([admin, () => ({ rateLimitedForMs: 30_000 })]);
    await authorize("U1");
    advance(2 * 60 * 60_000);
    expect(await authorize("U1")).toMatchObject({ ok: false, reason: "unverifiable" });
  });
});
