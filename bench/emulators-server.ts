/**
 * Child process: the Slack Web API and Autotask REST emulators, apart from the process under test
 * so their work and memory are not counted as the bot's. They record every call in memory; this
 * process folds each call into counters as it happens and drops the record, so long runs stay flat.
 */
import { type AutotaskEmulator, startAutotaskEmulator } from "../src/emulators/autotask.js";
import { type SlackEmulator, startSlackEmulator } from "../src/emulators/slack.js";
import { ADMIN_IDS, API_USERS, CHANNEL_ID, TEAM_ID } from "./lib/fixtures.js";
import { emit, serve } from "./lib/ipc.js";

/** What the emulators have answered since start. */
export type EmulatorCounts = {
  viewsOpened: number;
  /** Parent messages: chat.postMessage without thread_ts that Slack accepted. */
  parents: number;
  replies: number;
  /** chat.update calls carrying message metadata: one per finished check. */
  finals: number;
  autotaskRequests: number;
  /** Web API calls answered ok:false (or an HTTP error), by method. */
  failures: Record<string, number>;
};

export type EmulatorEndpoints = { slackApiUrl: string; slackOrigin: string; autotaskOrigin: string };

type Counter = Exclude<keyof EmulatorCounts, "failures">;
type Waiter = { counter: Counter; atLeast: number; resolve: () => void };

let slack: SlackEmulator | undefined;
let autotask: AutotaskEmulator | undefined;
let watching = false;
const waiters = new Set<Waiter>();
const counts: EmulatorCounts = {
  viewsOpened: 0,
  parents: 0,
  replies: 0,
  finals: 0,
  autotaskRequests: 0,
  failures: {},
};

/** Folds the calls recorded since last time into the counters; runs after every call the emulator answers. */
function observe(): false {
  if (!slack || !autotask) return false;
  for (const { method, args, response } of slack.calls) {
    const ok = (response as { ok?: boolean }).ok === true;
    if (!ok) counts.failures[method] = (counts.failures[method] ?? 0) + 1;
    else if (method === "views.open") counts.viewsOpened += 1;
    else if (method === "chat.postMessage" && args.thread_ts === undefined) {
      counts.parents += 1;
      if (watching) emit("parent", null);
    } else if (method === "chat.postMessage") counts.replies += 1;
    else if (method === "chat.update" && args.metadata !== undefined) {
      counts.finals += 1;
      if (watching) emit("final", null);
    }
  }
  slack.calls.length = 0;
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

serve({
  async start(): Promise<EmulatorEndpoints> {
    // Trigger ids are issued in batches ahead of a round: give them time to be used.
    slack = await startSlackEmulator({ teamId: TEAM_ID, triggerTtlMs: 30 * 60_000 });
    autotask = await startAutotaskEmulator({ users: [...API_USERS], requestThreshold: 1_000_000_000 });
    slack.setChannel(CHANNEL_ID, { kind: "public", botIsMember: true, name: "msp-ops" });
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
  async stop() {
    await slack?.close();
    await autotask?.close();
  },
});
