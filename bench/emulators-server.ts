/**
 * Child process: the Slack Web API and Autotask REST emulators, apart from the process under test
 * so their work and memory are not counted as the bot's. They record every call in memory; this
 * process folds each call into counters as it happens and drops the record, so long runs stay flat.
 */
import { type AutotaskEmulator, startAutotaskEmulator } from "../src/emulators/autotask.js";
import { type SlackEmulator, startSlackEmulator } from "../src/emulators/slack.js";
import { wallClockMs } from "./lib/clock.js";
import { ADMIN_IDS, API_USERS, CHANNEL_IDS, TEAM_ID } from "./lib/fixtures.js";
import { emit, serve } from "./lib/ipc.js";
import type { ThreadView } from "./lib/threads.js";

/** What the emulators have answered since start. */
export type EmulatorCounts = {
  viewsOpened: number;
  /** Parent messages: chat.postMessage without thread_ts that Slack accepted. */
  parents: number;
  replies: number;
  /** chat.update calls carrying message metadata: one per finished check. */
  finals: number;
  autotaskRequests: number;
  /** Web API calls answered 429 (Slack's rate limit), by method: expected where a limit is set. */
  rateLimited: Record<string, number>;
  /** Web API calls answered ok:false (or another HTTP error), by method. */
  failures: Record<string, number>;
};

/** How the emulators answer: upstream latency and Slack's per-channel posting limit. */
export type EmulatorSettings = {
  /** Added before every Slack Web API answer, in milliseconds. @defaultValue 0 */
  slackLatencyMs?: number;
  /** Added before every Autotask answer, in milliseconds. @defaultValue 0 */
  autotaskLatencyMs?: number;
  /** Per-channel chat.postMessage limit, as Slack's (about 1 a second, short bursts). @defaultValue none */
  postRateLimit?: { perSecond: number; burst: number };
};

export type EmulatorEndpoints = { slackApiUrl: string; slackOrigin: string; autotaskOrigin: string };

/** Sent with the "parent" and "final" events: where, and when the emulator answered the call. */
export type MessageEvent = { channel: string; at: number };

type Counter = Exclude<keyof EmulatorCounts, "failures" | "rateLimited">;
type Waiter = { counter: Counter; atLeast: number; resolve: () => void };

let slack: SlackEmulator | undefined;
let autotask: AutotaskEmulator | undefined;
let watching = false;
/** When the Slack emulator last answered a call, on {@link wallClockMs}. */
let lastSlackCallAt = 0;
const waiters = new Set<Waiter>();
const counts: EmulatorCounts = {
  viewsOpened: 0,
  parents: 0,
  replies: 0,
  finals: 0,
  autotaskRequests: 0,
  rateLimited: {},
  failures: {},
};

/** An answer of Slack's rate limit: HTTP 429 (recorded as its status), or the error it carries. */
function rateLimited(response: unknown): boolean {
  const answer = response as { status?: number; error?: string; body?: { error?: string } } | undefined;
  return answer?.status === 429 || answer?.error === "ratelimited" || answer?.body?.error === "ratelimited";
}

/** Folds the calls recorded since last time into the counters; runs after every call the emulator answers. */
function observe(): false {
  if (!slack || !autotask) return false;
  const now = wallClockMs();
  if (slack.calls.length > 0) lastSlackCallAt = now;
  // A call counts once it is answered: a person sees a message when Slack has answered the post.
  const unanswered = slack.calls.filter((call) => call.answeredAt === undefined);
  for (const { method, args, response, answeredAt } of slack.calls) {
    if (answeredAt === undefined) continue;
    const ok = (response as { ok?: boolean }).ok === true;
    const channel = String(args.channel ?? "");
    if (rateLimited(response)) counts.rateLimited[method] = (counts.rateLimited[method] ?? 0) + 1;
    else if (!ok) counts.failures[method] = (counts.failures[method] ?? 0) + 1;
    else if (method === "views.open") counts.viewsOpened += 1;
    else if (method === "chat.postMessage" && args.thread_ts === undefined) {
      counts.parents += 1;
      if (watching) emit("parent", { channel, at: now } satisfies MessageEvent);
    } else if (method === "chat.postMessage") counts.replies += 1;
    else if (method === "chat.update" && args.metadata !== undefined) {
      counts.finals += 1;
      if (watching) emit("final", { channel, at: now } satisfies MessageEvent);
    }
  }
  slack.calls.splice(0, slack.calls.length, ...unanswered);
  slack.responsePosts.length = 0;
  counts.autotaskRequests += autotask.requests.length;
  autotask.requests.length = 0;
  for (const waiter of waiters) {
    if (counts[waiter.counter] >= waiter.atLeast) {
      waiters.delete(waiter);
      waiter.resolve();
    }
  }
  return false;
}

/** A channel's threads as the emulator holds them now, reduced to what the bench verifies. */
function threadsOf(channel: string): ThreadView[] {
  return (slack as SlackEmulator).thread(channel).map((thread) => {
    const metadata = thread.metadata as { event_type?: string; event_payload?: Record<string, unknown> };
    const payload =
      metadata?.event_type === "autotask_connection_checked" ? metadata.event_payload : undefined;
    return {
      text: thread.text,
      username: typeof payload?.username === "string" ? payload.username : undefined,
      outcome: typeof payload?.outcome === "string" ? payload.outcome : undefined,
      replies: thread.replies.map((reply) => reply.text),
    };
  });
}

serve({
  async start(settings: EmulatorSettings = {}): Promise<EmulatorEndpoints> {
    // Trigger ids are issued in batches ahead of a round: give them time to be used.
    slack = await startSlackEmulator({
      teamId: TEAM_ID,
      triggerTtlMs: 30 * 60_000,
      latencyMs: settings.slackLatencyMs,
      postRateLimit: settings.postRateLimit,
    });
    autotask = await startAutotaskEmulator({
      users: [...API_USERS],
      requestThreshold: 1_000_000_000,
      latencyMs: settings.autotaskLatencyMs,
    });
    for (const [i, id] of CHANNEL_IDS.entries()) {
      slack.setChannel(id, { kind: "public", botIsMember: true, name: `msp-ops-${i}` });
    }
    for (const id of ADMIN_IDS) slack.setUser(id, { isAdmin: true, name: id.toLowerCase() });
    // A predicate that never holds: a hook run after every answered call, for as long as we live.
    slack.waitFor(observe, 2 ** 31 - 1).catch(() => {});
    return { slackApiUrl: slack.apiUrl, slackOrigin: slack.origin, autotaskOrigin: autotask.origin };
  },
  triggers(count: number): string[] {
    const issuer = slack as SlackEmulator;
    return Array.from({ length: count }, () => issuer.issueTriggerId());
  },
  counts(): EmulatorCounts {
    observe();
    return structuredClone(counts);
  },
  /** While on, each parent message and each final chat.update is reported as an event at once. */
  watch(on: boolean) {
    watching = on;
  },
  waitUntil({ counter, atLeast, timeoutMs }: { counter: Counter; atLeast: number; timeoutMs: number }) {
    observe();
    if (counts[counter] >= atLeast) return Promise.resolve(counts[counter]);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`${counter} reached ${counts[counter]} of ${atLeast} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        counter,
        atLeast,
        resolve: () => {
          clearTimeout(timer);
          resolve(counts[counter]);
        },
      };
      waiters.add(waiter);
    });
  },
  /**
   * Resolves once Slack has answered no call for `quietMs` (the checks under way have posted
   * everything they will), with how long that took; rejects after `timeoutMs`.
   */
  settle({ quietMs, timeoutMs }: { quietMs: number; timeoutMs: number }): Promise<number> {
    const started = wallClockMs();
    return new Promise<number>((resolve, reject) => {
      const poll = () => {
        observe();
        const now = wallClockMs();
        if (now - lastSlackCallAt >= quietMs) resolve(now - started);
        else if (now - started > timeoutMs) reject(new Error(`Slack still busy after ${timeoutMs} ms`));
        else setTimeout(poll, Math.max(5, quietMs / 5));
      };
      poll();
    });
  },
  threads(channels: string[]): Record<string, ThreadView[]> {
    return Object.fromEntries(channels.map((channel) => [channel, threadsOf(channel)]));
  },
  async stop() {
    await slack?.close();
    await autotask?.close();
  },
});
