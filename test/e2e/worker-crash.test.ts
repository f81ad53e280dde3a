/**
 * A worker dies in the middle of a check (its lock lapses, nothing is cleaned up): another worker
 * finishes the check, and the thread still reads as one report.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { credentialsOf, metadataOf, parentsFor, replyLines, until } from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const API_USER: EmulatedApiUser = {
  username: "crash@acme.example",
  secret: "Cr4sh-Secret!",
  trackingId: "TRACKCRASH777",
  zone: "15",
};
/** Short locks so a dead worker's job is taken over in about a second, not the production 25 s. */
const FAST_STALL = { lockDurationMs: 1_000, stalledIntervalMs: 300 };

const prefix = uniquePrefix("e2e-crash");
const key = randomBytes(32).toString("base64");
let web: Stack;
let doomed: Stack;
let rescuer: Stack | undefined;

beforeAll(async () => {
  web = await startStack({
    redisUrl: testRedisUrl(),
    prefix,
    role: "web",
    env: { CREDENTIALS_KEY: key },
    autotask: { users: [API_USER] },
  });
  const shared = web.shared;
  doomed = await startStack({
    redisUrl: testRedisUrl(),
    prefix,
    role: "worker",
    // Its Autotask request hangs until the emulator closes, like a process frozen mid-call.
    env: { CREDENTIALS_KEY: key, AUTOTASK_TIMEOUT_MS: "120000" },
    shared,
    stall: FAST_STALL,
  });
  web.autotask.injectFault(
    { username: API_USER.username, path: /thresholdinformation/i },
    { kind: "delay", ms: 120_000 },
    1,
  );
});
afterAll(async () => {
  await rescuer?.close();
  await web?.close();
});

it("finishes a dead worker's check on another worker within 60 s, reporting it once", async () => {
  await web.submitCheck(credentialsOf(API_USER));
  // The doomed worker started the thread and is waiting on Autotask for the credentials step.
  await web.slack.waitFor(() =>
    parentsFor(web, DEMO_CHANNEL, API_USER.username)[0]?.replies.some((reply) =>
      reply.text.includes("*Zone*"),
    ),
  );
  await until("the credentials request reached Autotask", async () =>
    web.autotask.requests.some((request) => /thresholdinformation/i.test(request.path)),
  );

  const diedAt = Date.now();
  await doomed.runtime.stop(0);
  rescuer = await startStack({
    redisUrl: testRedisUrl(),
    prefix,
    role: "worker",
    env: { CREDENTIALS_KEY: key },
    shared: web.shared,
    stall: FAST_STALL,
  });

  const thread = await web.waitForResult(API_USER.username, { timeoutMs: 20_000 });
  expect(Date.now() - diedAt).toBeLessThan(60_000);
  expect(metadataOf(thread).event_payload).toMatchObject({ outcome: "ok", code: "ok" });

  expect(parentsFor(web, DEMO_CHANNEL, API_USER.username)).toHaveLength(1);
  const replies = replyLines(thread);
  for (const once of ["*Domain*", "*Zone*", "*Credentials*", "*Permissions*", "Done: "]) {
    expect(
      replies.filter((text) => text.includes(once)),
      once,
    ).toHaveLength(1);
  }
  expect(web.slack.callsOf("chat.update").filter((call) => call.args.ts === thread.ts)).toHaveLength(1);
});
