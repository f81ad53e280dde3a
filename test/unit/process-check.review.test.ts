import type { Job } from "bullmq";
import { describe, expect, it } from "vitest";
import { isTransient } from "../../src/autotask/check.js";
import type { CheckResult } from "../../src/autotask/result.js";
import { createLogger } from "../../src/ops/logger.js";
import type { CheckJob } from "../../src/queue/jobs.js";
import { createCheckProcessor } from "../../src/queue/process-check.js";
import { SecretScrubber } from "../../src/security/redact.js";
import type { Notifier } from "../../src/slack/notifier.js";
import type { ThreadState, ThreadStore } from "../../src/state/thread-state.js";

const data: CheckJob = {
  requestId: "5f0c6a3e-8a7b-4c1d-9e2f-0a1b2c3d4e5f",
  viewId: "V1",
  teamId: "T1",
  channelId: "C1",
  requesterId: "U1",
  portalUrl: "https://ww5.autotask.net",
  username: "api@example.com",
  trackingId: "TRACKING1A2B",
  sealedSecret: "sealed",
  requestedAt: 0,
};

function rejected(): CheckResult {
  return {
    requestId: data.requestId,
    outcome: "failed",
    code: "invalid_credentials",
    apiUrl: "https://webservices5.autotask.net",
    zone: "5",
    zoneName: "America West",
    username: data.username,
    checks: [],
    usage: null,
    advice: "Check the secret.",
  };
}

/** Redis (the fail-fast connection) refuses the first write of each kind, as in a failover blip. */
function setup(failing: "saveResult" | "savePrefill") {
  const logins: string[] = [];
  const stored = new Map<string, ThreadState>();
  const blip = (what: typeof failing) => {
    if (failing === what) {
      failing = null as unknown as typeof failing;
      throw new Error("Connection is closed.");
    }
  };
  const threads: ThreadStore = {
    get: async (id) => stored.get(id) ?? { location: null, posted: new Set(), result: null, retryId: null },
    setLocation: async (id, location) => {
      stored.set(id, { location, posted: new Set(), result: null, retryId: null });
    },
    markPosted: async () => {},
    saveResult: async (id, result, { retryId }) => {
      blip("saveResult");
      const state = stored.get(id);
      if (state) Object.assign(state, { result, retryId });
    },
  };
  const notifier: Notifier = {
    begin: async (target) => {
      const location = { channelId: "C1", parentTs: "1.0", via: "channel" as const };
      await threads.setLocation(target.requestId, location);
      target.thread.location = location;
      return location;
    },
    step: async () => {},
    settle: async () => {},
    notice: async () => {},
    finish: async () => {},
  };
  const processor = createCheckProcessor({
    runCheck: async () => {
      logins.push("ThresholdInformation");
      return rejected();
    },
    isTransient,
    openSecret: () => ({ ok: true, secret: "the-secret" }),
    notifier,
    threads,
    retryPrefills: {
      save: async () => {
        blip("savePrefill");
        return "retry-id";
      },
      load: async () => null,
    },
    recent: {
      push: (teamId, entry) => ({
        key: `recent:${teamId}`,
        entry: JSON.stringify(entry),
        requestId: entry.requestId,
        keep: 10,
        ttlSeconds: 60,
      }),
      list: async () => [],
    },
    scrubber: new SecretScrubber(),
    logger: createLogger({ level: "silent", pretty: false }),
  });
  const job = {
    data: { ...data },
    opts: { attempts: 3, backoff: { type: "exponential", delay: 5_000 } },
    attemptsMade: 0,
    updateData: async () => {},
  } as unknown as Job<CheckJob>;
  /** Runs the job as BullMQ does: a throw is an attempt used up, then the next attempt. */
  async function runAsBullMq() {
    for (; job.attemptsMade < 3; job.attemptsMade++) {
      try {
        return await processor(job);
      } catch {}
    }
    return null;
  }
  return { logins, runAsBullMq };
}

describe("a Redis blip right after Autotask rejected the login", () => {
  it.each(["savePrefill", "saveResult"] as const)(
    "does not log in again (the %s write failed once)",
    async (failing) => {
      const { logins, runAsBullMq } = setup(failing);
      const returned = await runAsBullMq();
      expect(returned).toMatchObject({ code: "invalid_credentials" });
      expect(logins).toHaveLength(1);
    },
  );
});
