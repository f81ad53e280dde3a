/**
 * Bot processes die in the middle of checks: SIGKILL (nothing cleaned up), and SIGTERM whose grace
 * period runs out. Another worker process finishes each check, and each is reported once.
 */
import { afterEach, expect, it } from "vitest";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { hasDoneLine, metadataOf, until } from "../support/e2e-helpers.js";
import { testRedisUrl } from "../support/redis.js";
import { expectEachReportedOnce, waitForAll } from "./support/outcome.js";
import { CHANNEL, type Fleet, startFleet } from "./support/processes.js";

const user = (name: string, zone = "15"): EmulatedApiUser => ({
  username: `${name}@kill.example`,
  secret: `${name}-K1ll-Secret!`,
  trackingId: `TRACK${name.toUpperCase()}9`,
  zone,
});

let fleet: Fleet | undefined;
afterEach(async () => {
  await fleet?.close();
  fleet = undefined;
});

/** Holds each user's credentials request until the emulator closes: the check is mid-way. */
function holdCredentials(f: Fleet, users: EmulatedApiUser[]) {
  for (const u of users) {
    f.autotask.injectFault(
      { username: u.username, path: /thresholdinformation/i },
      { kind: "delay", ms: 120_000 },
      1,
    );
  }
  return until("every check is waiting on Autotask", async () =>
    users.every((u) =>
      f.autotask.requests.some(
        (r) => /thresholdinformation/i.test(r.path) && r.headers.username === u.username,
      ),
    ),
  );
}

it("finishes the checks of a worker killed with SIGKILL on another worker, each reported once, within 60 s", async () => {
  const users = [user("alpha"), user("bravo", "5"), user("charlie")];
  fleet = await startFleet({ redisUrl: testRedisUrl(), users });
  const web = await fleet.start("web", "web");
  const doomed = await fleet.start("doomed", "worker", { AUTOTASK_TIMEOUT_MS: "120000" });
  for (const u of users)
    expect((await fleet.submit(web, u)).answer.json).toMatchObject({ response_action: "update" });
  await holdCredentials(fleet, users);
  // Started only now, so the doomed worker holds every check.
  await fleet.start("rescuer", "worker");

  const killedAt = Date.now();
  doomed.child.kill("SIGKILL");
  expect(await doomed.exited).toBeNull();
  const outcomes = await waitForAll(
    fleet.slack,
    CHANNEL,
    users.map((u) => u.username),
    30_000,
  );
  expect(Date.now() - killedAt).toBeLessThan(60_000);
  expect(outcomes.map((outcome) => outcome.code)).toEqual(["ok", "ok", "ok"]);
  expectEachReportedOnce("worker SIGKILL mid-check", 1, outcomes);
}, 60_000);

it("puts a check back on the queue when SIGTERM's grace period runs out; another worker finishes it once", async () => {
  const users = [user("delta"), user("echo")];
  fleet = await startFleet({ redisUrl: testRedisUrl(), users });
  const web = await fleet.start("web", "web");
  const stopping = await fleet.start("stopping", "worker", { TEST_GRACE_MS: "300" });
  for (const u of users) await fleet.submit(web, u);
  await holdCredentials(fleet, users);
  await fleet.start("rescuer", "worker");

  const signalledAt = Date.now();
  stopping.child.kill("SIGTERM");
  expect(await stopping.exited).toBe(0);
  const exitedAfterMs = Date.now() - signalledAt;
  const outcomes = await waitForAll(
    fleet.slack,
    CHANNEL,
    users.map((u) => u.username),
    30_000,
  );
  expect(outcomes.map((outcome) => outcome.code)).toEqual(["ok", "ok"]);
  // Within the grace plus the bounded requeue, not when its Autotask requests would time out (10 s).
  expect(exitedAfterMs).toBeLessThan(3_000);
  // Nothing of the cancelled run reached the thread ("the check was cancelled" is no answer).
  const replies = fleet.slack.thread(CHANNEL).flatMap((thread) => thread.replies.map((reply) => reply.text));
  expect(replies.filter((text) => /cancel/i.test(text))).toEqual([]);
  expectEachReportedOnce("worker SIGTERM, grace exceeded", 1, outcomes);
}, 60_000);

it("keeps the login unit of a worker SIGKILLed while its login is in flight: the budget still stops at 3 logins", async () => {
  const victim = user("foxtrot");
  const typedWrong = { ...victim, secret: "foxtrot-Wrong-Secret!" };
  fleet = await startFleet({ redisUrl: testRedisUrl(), users: [victim] });
  const web = await fleet.start("web", "web");
  const doomed = await fleet.start("doomed", "worker", { AUTOTASK_TIMEOUT_MS: "120000" });
  await fleet.submit(web, typedWrong);
  await holdCredentials(fleet, [victim]);
  // Its deadline says how long a unit without an outcome counts as in flight (2 s + a margin):
  // past that, the killed worker's unit counts as a login with an unknown outcome.
  await fleet.start("rescuer", "worker", { AUTOTASK_TIMEOUT_MS: "2000" });
  doomed.child.kill("SIGKILL");
  expect(await doomed.exited).toBeNull();

  const f = fleet;
  const finished = (count: number) =>
    f.slack.waitFor(() => {
      const threads = f.slack
        .thread(CHANNEL)
        .filter(
          (thread) =>
            metadataOf(thread)?.event_payload?.username === victim.username &&
            thread.replies.some(hasDoneLine),
        );
      return threads.length >= count ? threads : undefined;
    }, 30_000);
  await finished(1);
  // Two more checks with the same wrong secret, one after the other.
  for (const count of [2, 3]) {
    await fleet.submit(web, typedWrong);
    await finished(count);
  }
  const threads = await finished(3);
  const logins = fleet.autotask.requests.filter(
    (request) => request.authenticated && request.headers.username === victim.username,
  ).length;
  process.stdout.write(
    `budget figures: ${JSON.stringify({ scenario: "worker SIGKILLed mid-login, then two more checks", authenticated: logins })}\n`,
  );
  // The killed worker's login, the rescuer's and the second check's: the third sends nothing.
  expect(logins).toBeLessThanOrEqual(3);
  expect(threads.map((thread) => metadataOf(thread).event_payload.code)).toEqual([
    "invalid_credentials",
    "invalid_credentials",
    "too_many_failures",
  ]);
}, 60_000);
