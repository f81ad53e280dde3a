import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/ops/logger.js";
import type { CheckJob } from "../../src/queue/jobs.js";
import { SecretScrubber } from "../../src/security/redact.js";
import type { Authorization } from "../../src/slack/authorize.js";
import { BLOCK_IDS, buildConnectModal } from "../../src/slack/modal.js";
import { createSubmissionHandler } from "../../src/slack/submission.js";

const values = {
  [BLOCK_IDS.portalUrl]: { [BLOCK_IDS.portalUrl]: { value: "https://ww5.autotask.net" } },
  [BLOCK_IDS.username]: { [BLOCK_IDS.username]: { value: "api@example.com" } },
  [BLOCK_IDS.secret]: { [BLOCK_IDS.secret]: { value: "a-secret-value" } },
  [BLOCK_IDS.trackingId]: { [BLOCK_IDS.trackingId]: { value: "TRACKING1A2B" } },
};

async function submit(authorization: Authorization) {
  const acks: unknown[] = [];
  const queued: CheckJob[] = [];
  const handler = createSubmissionHandler({
    enqueue: async (job) => {
      queued.push(job);
      return { ok: true, jobId: "j", duplicate: false };
    },
    sealSecret: () => "sealed",
    authorize: async () => authorization,
    logger: createLogger({ level: "silent", pretty: false }),
  });
  const modal = buildConnectModal({}, { channelId: "C1", teamId: "T1" });
  const args = {
    ack: async (response?: unknown) => void acks.push(response),
    body: { team: { id: "T1" }, user: { id: "U1", team_id: "T1" } },
    view: { id: "V1", private_metadata: modal.private_metadata, state: { values } },
  };
  await handler(args as unknown as Parameters<typeof handler>[0]);
  return { ack: acks[0] as { response_action: string; errors?: Record<string, string> }, queued };
}

describe("submission by someone whose admin status Slack could not confirm in time", () => {
  it("asks them to try again instead of telling them they are not allowed", async () => {
    const { ack, queued } = await submit({ ok: false, reason: "unverifiable" });
    expect(queued).toHaveLength(0);
    expect(ack.response_action).toBe("errors");
    const message = Object.values(ack.errors ?? {}).join(" ");
    expect(message).not.toMatch(/not allowed/i);
    expect(message).toMatch(/again/i);
  });

  it("still refuses someone who is not authorized", async () => {
    const { ack, queued } = await submit({ ok: false, reason: "not_authorized" });
    expect(queued).toHaveLength(0);
    expect(Object.values(ack.errors ?? {}).join(" ")).toMatch(/not allowed/i);
  });
});

describe("Fix and retry pressed while Slack cannot confirm admin status in time", () => {
  it("says to try again instead of refusing", async () => {
    const { createRetryActionHandler } = await import("../../src/slack/retry-action.js");
    const responses: { text?: string }[] = [];
    const opened: unknown[] = [];
    const handler = createRetryActionHandler({
      authorize: async () => ({ ok: false, reason: "unverifiable" }),
      policy: { kind: "admins" },
      prefills: { save: async () => "id", load: async () => null },
    });
    const args = {
      ack: async () => {},
      respond: async (message: { text?: string }) => void responses.push(message),
      client: { views: { open: async (view: unknown) => void opened.push(view) } },
      logger: { warn: () => {} },
      body: {
        user: { id: "U1" },
        actions: [{ value: "id" }],
        trigger_id: "t",
        response_url: "https://hooks.slack.com/x",
      },
    };
    await handler(args as unknown as Parameters<typeof handler>[0]);
    expect(opened).toHaveLength(0);
    expect(responses).toHaveLength(1);
    expect(responses[0]?.text).not.toMatch(/only workspace admins/i);
    expect(responses[0]?.text).toMatch(/again/i);
  });
});

describe("the submitted secret while the web process handles it", () => {
  it("is scrubbed from a log line that would carry it, and forgotten afterwards", async () => {
    const scrubber = new SecretScrubber();
    const lines: string[] = [];
    const handler = createSubmissionHandler({
      // An upstream error that echoes what it was given: the worst case for a log line.
      enqueue: async (job) => ({ ok: false, reason: "unavailable", detail: `refused ${job.sealedSecret}` }),
      sealSecret: (secret) => secret,
      authorize: async () => ({ ok: true }),
      scrubber,
      logger: createLogger({
        level: "info",
        pretty: false,
        scrubber,
        destination: { write: (l: string) => void lines.push(l) },
      }),
    });
    const modal = buildConnectModal({}, { channelId: "C1", teamId: "T1" });
    await handler({
      ack: async () => {},
      body: { team: { id: "T1" }, user: { id: "U1", team_id: "T1" } },
      view: { id: "V2", private_metadata: modal.private_metadata, state: { values } },
    } as unknown as Parameters<typeof handler>[0]);
    expect(lines.join("\n")).toContain("could not enqueue");
    expect(lines.join("\n")).not.toContain("a-secret-value");
    expect(scrubber.size).toBe(0);
  });
});
