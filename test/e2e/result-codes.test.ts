/**
 * Every result code of the contract through the real flow (modal -> queue -> worker -> thread),
 * each thread telling the person what to fix without a log.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Credentials, DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import type { EmulatedThread } from "../../src/emulators/slack.js";
import {
  credentialsOf,
  hasDoneLine,
  metadataOf,
  readable,
  replyLines,
  threadText,
} from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const user = (name: string, zone = "15", extra: Partial<EmulatedApiUser> = {}): EmulatedApiUser => ({
  username: `${name}@acme.example`,
  secret: `${name}-S3cret!`,
  trackingId: `TRACK${name.toUpperCase()}01`,
  zone,
  ...extra,
});

const OK = user("ok");
const MOVED = user("moved");
const BAD_SECRET = user("badsecret");
const BAD_TRACKING = user("badtracking");
const RESTRICTED = user("restricted", "15", { readable: ["Companies"] });
const LIMITED = user("limited");
const DOWN = user("down");
const FLAKY = user("flaky");
const LOCKED = user("locked");

/** Fast retries: the production 5 s job backoff is exercised, just shorter. */
const FAST_RETRY = { jobBackoffMs: 20, autotask: { baseDelayMs: 1, maxDelayMs: 10 } };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    redisUrl: testRedisUrl(),
    prefix: uniquePrefix("e2e-codes"),
    autotask: { users: [OK, MOVED, BAD_SECRET, BAD_TRACKING, RESTRICTED, LIMITED, DOWN, FLAKY, LOCKED] },
    retry: FAST_RETRY,
  });
  stack.autotask.injectFault(
    { username: LIMITED.username, path: /thresholdinformation/i },
    { kind: "rateLimit", retryAfterSeconds: 3_600 },
  );
  stack.autotask.injectFault({ username: DOWN.username }, { kind: "status", status: 503, body: "" });
});
afterAll(async () => stack?.close());

/** Finished threads (final metadata and the "Done" reply) for this username, oldest first. */
function finishedFor(s: Stack, username: string): EmulatedThread[] {
  return s.slack
    .thread(DEMO_CHANNEL)
    .filter(
      (thread) =>
        metadataOf(thread)?.event_payload?.username === username && thread.replies.some(hasDoneLine),
    );
}

/** Submits the modal and resolves with the thread of this check once it is finished. */
async function check(s: Stack, credentials: Credentials): Promise<EmulatedThread> {
  const before = finishedFor(s, credentials.username).length;
  const { answer } = await s.submitCheck(credentials);
  expect(answer.json).toMatchObject({ response_action: "update" });
  const done = await s.slack.waitFor(() => {
    const finished = finishedFor(s, credentials.username);
    return finished.length > before ? finished : undefined;
  }, 15_000);
  return done[done.length - 1] as EmulatedThread;
}

/** Autotask requests made for this API username (zone lookup or authenticated). */
function requestsFor(username: string): number {
  return stack.autotask.requests.filter(
    (request) =>
      request.headers.username?.toLowerCase() === username || request.query.user?.toLowerCase() === username,
  ).length;
}

type Case = {
  code: string;
  outcome: "ok" | "warning" | "failed";
  credentials: Credentials;
  /** The headline a person reads first. */
  title: string;
  /** What the person is told to do (from the advice). */
  advice: string;
  domain: string | null;
};

const CASES: Case[] = [
  {
    code: "ok",
    outcome: "ok",
    credentials: credentialsOf(OK),
    title: "The Autotask connection works",
    advice: "Paste https://webservices15.autotask.net as the Domain",
    domain: "https://webservices15.autotask.net",
  },
  {
    code: "zone_mismatch",
    outcome: "warning",
    credentials: credentialsOf(MOVED, "https://ww5.autotask.net"),
    title: "the portal URL is for another zone",
    advice: "Use https://webservices15.autotask.net as the Domain",
    domain: "https://webservices15.autotask.net",
  },
  {
    code: "unknown_username",
    outcome: "failed",
    credentials: { ...credentialsOf(OK), username: "nobody@acme.example", portalUrl: "" },
    title: "Autotask does not know this API username",
    advice: "Copy the API username again",
    domain: null,
  },
  {
    code: "invalid_credentials",
    outcome: "failed",
    credentials: { ...credentialsOf(BAD_SECRET), secret: "not-the-secret-1" },
    title: "Autotask rejected the username or secret",
    advice: "Check the secret",
    domain: "https://webservices15.autotask.net",
  },
  {
    code: "invalid_tracking_identifier",
    outcome: "failed",
    credentials: { ...credentialsOf(BAD_TRACKING), trackingId: "TRACKWRONG9999" },
    title: "Autotask rejected the tracking identifier",
    advice: "copy the identifier again",
    domain: "https://webservices15.autotask.net",
  },
  {
    code: "insufficient_permissions",
    outcome: "failed",
    credentials: credentialsOf(RESTRICTED),
    title: "The API user cannot read everything the integration needs",
    advice: "security level that can read Tickets",
    domain: "https://webservices15.autotask.net",
  },
  {
    code: "rate_limited",
    outcome: "failed",
    credentials: credentialsOf(LIMITED),
    title: "Autotask's API request limit was reached",
    advice: "wait a few minutes and check again",
    domain: "https://webservices15.autotask.net",
  },
  {
    code: "autotask_unavailable",
    outcome: "failed",
    credentials: credentialsOf(DOWN),
    title: "Autotask could not be reached",
    advice: "check again in a few minutes",
    domain: "https://webservices15.autotask.net",
  },
];

describe("every result code through Slack", () => {
  it.each(CASES)("reports $code with its headline, metadata and what to do next", async (c) => {
    const thread = await check(stack, c.credentials);
    const shown = readable(thread);
    const everything = threadText(thread);

    const payload = metadataOf(thread).event_payload;
    expect(payload).toMatchObject({ outcome: c.outcome, code: c.code, username: c.credentials.username });
    // A key without a value is left out: Slack would drop metadata holding a null.
    expect(payload.api_url).toBe(c.domain ?? undefined);
    expect(Object.values(payload)).not.toContain(null);
    expect(shown).toContain(c.title);
    expect(shown).toContain("What to do next:");
    expect(shown).toContain(c.advice);
    if (c.domain) expect(shown).toContain(`Domain to paste: \`${c.domain}\``);
    else expect(shown).toContain("Domain to paste: not determined");

    const last = thread.replies.at(-1)?.text.split("\n").at(-1) ?? "";
    expect(last).toMatch(/^Done: /);
    if (c.outcome === "failed") {
      // The thread itself, not only the parent, says what to fix; and offers to reopen the form.
      expect(last).toContain(c.advice);
      expect(shown).toContain("[Fix and retry]");
    } else {
      expect(shown).not.toContain("[Fix and retry]");
    }
    expect(everything).not.toContain(c.credentials.secret);
  });

  it("retries transient failures with backoff and says so in the thread", () => {
    const [limited] = finishedFor(stack, LIMITED.username);
    const notices = (limited ? replyLines(limited) : []).filter((line) => line.includes("trying again"));
    expect(notices).toEqual([
      expect.stringContaining("attempt 2 of 3"),
      expect.stringContaining("attempt 3 of 3"),
    ]);
    // Three job attempts, each one request: the 1-hour Retry-After is not waited for inside a check.
    const logins = stack.autotask.requests.filter(
      (request) =>
        request.headers.username === LIMITED.username && /thresholdinformation/i.test(request.path),
    );
    expect(logins).toHaveLength(3);
  });

  it("finishes as ok when a retry succeeds, and the thread shows the retry's steps", async () => {
    // The first job attempt's login gets an empty 503 (not retried inside the check: it may have
    // been a failed login); the second attempt, on a unit of its own, gets through.
    stack.autotask.injectFault(
      { username: FLAKY.username, path: /thresholdinformation/i },
      { kind: "status", status: 503, body: "" },
      1,
    );
    const thread = await check(stack, credentialsOf(FLAKY));
    expect(metadataOf(thread).event_payload).toMatchObject({ outcome: "ok", code: "ok" });
    const texts = replyLines(thread);
    const notice = texts.findIndex((text) => text.includes("trying again"));
    expect(notice).toBeGreaterThan(0);
    // After the notice, the person sees the credentials pass, not only the earlier failure.
    expect(
      texts
        .slice(notice + 1)
        .some((text) => text.includes("*Credentials*") && text.includes(":white_check_mark:")),
    ).toBe(true);
    expect(texts.at(-1)).toContain("The Autotask connection works");
  });

  it("refuses a 4th try after 3 failed logins in 15 minutes, without calling Autotask", async () => {
    const wrong = { ...credentialsOf(LOCKED), secret: "wrong-secret-again" };
    for (let attempt = 1; attempt <= 3; attempt++) {
      const thread = await check(stack, wrong);
      expect(metadataOf(thread).event_payload.code).toBe("invalid_credentials");
    }
    const requestsBefore = requestsFor(LOCKED.username);

    const refused = await check(stack, credentialsOf(LOCKED));
    expect(metadataOf(refused).event_payload).toMatchObject({ outcome: "failed", code: "too_many_failures" });
    expect(requestsFor(LOCKED.username)).toBe(requestsBefore);
    const shown = readable(refused);
    expect(shown).toContain("too many recent logins with this username failed");
    expect(shown).toMatch(/try again after \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(refused.replies.at(-1)?.text).toContain("try again after");
  });
});

describe("a worker that cannot open the secret", () => {
  const prefix = uniquePrefix("e2e-keys");
  let web: Stack;
  let worker: Stack;
  beforeAll(async () => {
    const key = () => randomBytes(32).toString("base64");
    web = await startStack({
      redisUrl: testRedisUrl(),
      prefix,
      role: "web",
      env: { CREDENTIALS_KEY: key() },
      autotask: { users: [OK] },
    });
    worker = await startStack({
      redisUrl: testRedisUrl(),
      prefix,
      role: "worker",
      env: { CREDENTIALS_KEY: key() },
      shared: web.shared,
    });
  });
  afterAll(async () => {
    await worker?.close();
    await web?.close();
  });

  it("reports internal_error and tells whoever runs the bot to share one CREDENTIALS_KEY", async () => {
    const thread = await check(web, credentialsOf(OK));
    expect(metadataOf(thread).event_payload).toMatchObject({ outcome: "failed", code: "internal_error" });
    const shown = readable(thread);
    expect(shown).toContain("The bot failed while checking");
    expect(shown).toContain("CREDENTIALS_KEY");
    expect(thread.replies.at(-1)?.text).toContain("CREDENTIALS_KEY");
    expect(web.autotask.requests).toHaveLength(0);
  });
});
