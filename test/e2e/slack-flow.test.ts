/**
 * The Slack flow end to end, as a person in Slack lives it: the command, the modal, the queued
 * job, the thread and its final state. The real HTTP receiver gets signed requests; BullMQ runs
 * on the test Redis; Slack and Autotask are loopback emulators.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_ADMIN, DEMO_CHANNEL, type Stack, startStack } from "../../src/demo/stack.js";
import type { EmulatedApiUser } from "../../src/emulators/autotask.js";
import { checkJobId } from "../../src/queue/jobs.js";
import { BLOCK_IDS, CONNECT_CALLBACK_ID } from "../../src/slack/modal.js";
import {
  credentialsOf,
  metadataOf,
  openCheckQueue,
  parentsFor,
  readable,
  replyLines,
  threadText,
  until,
  viewsOpenWith,
} from "../support/e2e-helpers.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const HAPPY: EmulatedApiUser = {
  username: "happy@acme.example",
  secret: "Hp9#secret-Value/1",
  trackingId: "TRACKHAPPY7Q2Z9",
  zone: "15",
};
const TWICE: EmulatedApiUser = {
  username: "twice@acme.example",
  secret: "Tw1ce+secret",
  trackingId: "TRACKTWICE0001",
  zone: "5",
};
const RERUN: EmulatedApiUser = {
  username: "rerun@acme.example",
  secret: "R3run&secret",
  trackingId: "TRACKRERUN0002",
  zone: "15",
};

type InputBlock = {
  type: string;
  block_id?: string;
  optional?: boolean;
  label?: { text: string };
  element?: { type?: string; initial_value?: string };
};

const prefix = uniquePrefix("e2e-flow");
let stack: Stack;
let queue: ReturnType<typeof openCheckQueue>;

beforeAll(async () => {
  stack = await startStack({ redisUrl: testRedisUrl(), prefix, autotask: { users: [HAPPY, TWICE, RERUN] } });
  queue = openCheckQueue(testRedisUrl(), prefix);
});
afterAll(async () => {
  await queue?.close();
  await stack?.close();
});

/** The modal's text inputs (the optional Watch box is a checkboxes input, asserted on its own). */
function inputsOf(view: unknown): InputBlock[] {
  return ((view as { blocks: InputBlock[] }).blocks ?? []).filter(
    (block) => block.type === "input" && block.element?.type !== "checkboxes",
  );
}

describe("/autotask-connect opens the modal", () => {
  it("acks at once and calls views.open with the trigger inside its 3 s, showing the four labelled inputs", async () => {
    const sentAt = Date.now();
    const command = await stack.slashCommand({});
    expect(command.status).toBe(200);
    expect(command.ms).toBeLessThan(3_000);
    expect(command.text).toBe(""); // a bare ack: the modal is the answer
    const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, command.triggerId));
    expect(opened.at - sentAt).toBeLessThan(3_000);
    expect(opened.response).toMatchObject({ ok: true });

    const view = opened.args.view as { callback_id: string };
    expect(view.callback_id).toBe(CONNECT_CALLBACK_ID);
    const labels = inputsOf(view).map((block) => block.label?.text ?? "");
    for (const wanted of ["Portal URL", "API username", "Secret", "Tracking identifier"]) {
      expect(
        labels.some((label) => label.includes(wanted)),
        `an input labelled ${wanted}`,
      ).toBe(true);
    }
    expect(labels).toHaveLength(4);
    const watchBox = (view as unknown as { blocks: InputBlock[] }).blocks.find(
      (block) => block.block_id === "watch",
    );
    expect(watchBox).toMatchObject({
      type: "input",
      optional: true,
      label: { text: "Watch this connection" },
    });
  });

  it("pre-fills the portal URL typed after the command", async () => {
    const typed = "https://ww15.autotask.net/Mvc/Framework/Navigation.mvc/Landing";
    const command = await stack.slashCommand({ text: typed });
    const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, command.triggerId));
    const portal = inputsOf(opened.args.view).find((block) => block.block_id === BLOCK_IDS.portalUrl);
    expect(portal?.element?.initial_value).toBe(typed);
  });

  it("opens an empty form and says why when the text is not an Autotask address", async () => {
    const command = await stack.slashCommand({ text: "ww5.autotask.net.evil.com" });
    const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, command.triggerId));
    const portal = inputsOf(opened.args.view).find((block) => block.block_id === BLOCK_IDS.portalUrl);
    expect(portal?.element?.initial_value).toBeUndefined();
    const id = command.responseUrl.split("/").pop();
    const notice = await stack.slack.waitFor(() => stack.slack.responsePosts.find((post) => post.id === id));
    expect(JSON.stringify(notice.body)).toContain("I left the Portal URL field empty");
    expect(JSON.stringify(notice.body)).toContain("not an Autotask address");
  });

  it("answers help with an ephemeral help text and opens no modal", async () => {
    const command = await stack.slashCommand({ text: "help" });
    expect(command.json).toMatchObject({ response_type: "ephemeral" });
    expect((command.json as { text: string }).text).toContain("/autotask-connect status");
    expect(viewsOpenWith(stack, command.triggerId)).toBeUndefined();
  });
});

describe("a valid submission", () => {
  it("posts a parent, every step in order in its thread, and the final state with the Domain, zone, usage and metadata", async () => {
    const { answer } = await stack.submitCheck(credentialsOf(HAPPY));
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(3_000);
    expect(answer.json).toMatchObject({ response_action: "update" });
    expect(JSON.stringify(answer.json)).toContain(`<#${DEMO_CHANNEL}>`);

    const thread = await stack.waitForResult(HAPPY.username);
    const parentPost = stack.slack
      .callsOf("chat.postMessage")
      .find(
        (call) =>
          call.args.channel === DEMO_CHANNEL &&
          !call.args.thread_ts &&
          String(call.args.text).includes(HAPPY.username),
      );
    expect(readable(parentPost?.args as { text: string; blocks: unknown[] })).toContain(
      `Checking the Autotask connection for \`${HAPPY.username}\`, requested by @${DEMO_ADMIN}`,
    );

    // Every step in order, one line each; steps of the same moment share a reply.
    const lines = replyLines(thread);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain("*Domain*");
    expect(lines[1]).toContain("*Zone*");
    expect(lines[2]).toContain("*Credentials*");
    expect(lines[3]).toContain("*Permissions*");
    expect(lines[4]).toMatch(/^Done: .*The Autotask connection works/);
    expect(thread.replies.length).toBeLessThanOrEqual(5);
    expect(thread.replies.every((reply) => reply.threadTs === thread.ts)).toBe(true);

    const update = stack.slack.callsOf("chat.update").find((call) => call.args.ts === thread.ts);
    expect(update?.args.metadata).toEqual({
      event_type: "autotask_connection_checked",
      event_payload: {
        request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        outcome: "ok",
        code: "ok",
        api_url: "https://webservices15.autotask.net",
        zone: "15",
        username: HAPPY.username,
      },
    });
    expect(metadataOf(thread)).toEqual(update?.args.metadata);

    const shown = readable(thread);
    expect(shown).toContain("The Autotask connection works");
    expect(shown).toContain("Domain to paste: `https://webservices15.autotask.net`");
    expect(shown).toContain("America West 2");
    expect(shown).toMatch(/Usage: \d+ of 10,000 requests this hour|\d+ of 10,000 requests this hour/);
    expect(shown).toContain("…Q2Z9");
    expect(shown).not.toContain("[Fix and retry]");
  });

  it("shows the tracking identifier only as its last 4 characters, anywhere in Slack", () => {
    const everything = JSON.stringify(stack.slack.calls);
    expect(everything).toContain("Q2Z9");
    expect(everything).not.toContain(HAPPY.trackingId.slice(-5));
  });

  it("lists the workspace's last results for /autotask-connect status", async () => {
    // The result is recorded for status just after the last thread reply.
    await until("the check's job completed", async () =>
      (await queue.jobs()).find((job) => job.data.username === HAPPY.username && job.finishedOn),
    );
    const command = await stack.slashCommand({ text: "status" });
    expect(command.status).toBe(200);
    const id = command.responseUrl.split("/").pop();
    const posted = await stack.slack.waitFor(() => stack.slack.responsePosts.find((post) => post.id === id));
    const text = readable(posted.body as { text: string; blocks: unknown[] });
    expect(text).toContain(HAPPY.username);
    expect(text).toContain("The Autotask connection works");
    expect(text).toContain("https://webservices15.autotask.net");
    expect(posted.body).toMatchObject({ response_type: "ephemeral" });
  });
});

describe("field errors keep the modal open", () => {
  const valid = credentialsOf(HAPPY);
  const cases = [
    {
      name: "a look-alike portal host",
      values: { ...valid, portalUrl: "https://ww5.autotask.net.evil.com" },
      block: BLOCK_IDS.portalUrl,
      says: "not an Autotask address",
    },
    {
      name: "an empty API username",
      values: { ...valid, username: "   " },
      block: BLOCK_IDS.username,
      says: "Enter the API username",
    },
    {
      name: "a space inside the API username",
      values: { ...valid, username: "api user@acme.example" },
      block: BLOCK_IDS.username,
      says: "contains a space",
    },
  ];

  it.each(cases)(
    "answers $name with errors on its block and queues nothing",
    async ({ values, block, says }) => {
      const command = await stack.slashCommand({});
      const opened = await stack.slack.waitFor(() => viewsOpenWith(stack, command.triggerId));
      const viewId = (opened.response as { view: { id: string } }).view.id;
      const answer = await stack.submitView(viewId, {
        [BLOCK_IDS.portalUrl]: values.portalUrl,
        [BLOCK_IDS.username]: values.username,
        [BLOCK_IDS.secret]: values.secret,
        [BLOCK_IDS.trackingId]: values.trackingId,
      });
      expect(answer.status).toBe(200);
      const json = answer.json as { response_action: string; errors: Record<string, string> };
      expect(json.response_action).toBe("errors");
      expect(Object.keys(json.errors)).toEqual([block]);
      expect(json.errors[block]).toContain(says);
      expect(await queue.queue.getJob(checkJobId(viewId))).toBeUndefined();
    },
  );
});

describe("duplicates and re-runs", () => {
  it("runs one check for the same view submitted twice", async () => {
    const { viewId, answer } = await stack.submitCheck(credentialsOf(TWICE));
    const values = {
      [BLOCK_IDS.portalUrl]: "https://ww5.autotask.net",
      [BLOCK_IDS.username]: TWICE.username,
      [BLOCK_IDS.secret]: TWICE.secret,
      [BLOCK_IDS.trackingId]: TWICE.trackingId,
    };
    const again = await stack.submitView(viewId, values);
    expect(answer.json).toMatchObject({ response_action: "update" });
    expect(again.json).toMatchObject({ response_action: "update" });

    await stack.waitForResult(TWICE.username);
    const jobs = (await queue.jobs()).filter((job) => job.data.username === TWICE.username);
    expect(jobs.map((job) => job.id)).toEqual([checkJobId(viewId)]);
    expect(parentsFor(stack, DEMO_CHANNEL, TWICE.username)).toHaveLength(1);
    const logins = stack.autotask.requests.filter(
      (request) => request.headers.username === TWICE.username && /thresholdinformation/i.test(request.path),
    );
    expect(logins).toHaveLength(1);
  });

  it("posts no second parent or reply when a finished job runs again", async () => {
    const { viewId } = await stack.submitCheck(credentialsOf(RERUN));
    const first = await stack.waitForResult(RERUN.username);
    const job = await until("the job completed", async () => {
      const found = await queue.queue.getJob(checkJobId(viewId));
      return found && (await found.isCompleted()) ? found : undefined;
    });
    const requestsBefore = stack.autotask.requests.length;

    // As if a worker finished the job but died before BullMQ recorded it: it is delivered again.
    await job.retry("completed");
    await stack.slack.waitFor(() => {
      const parent = parentsFor(stack, DEMO_CHANNEL, RERUN.username)[0];
      return parent && parent.edits > first.edits ? parent : undefined;
    });
    await until("the re-run completed", async () =>
      (await queue.queue.getJob(checkJobId(viewId)))?.isCompleted(),
    );

    const parents = parentsFor(stack, DEMO_CHANNEL, RERUN.username);
    expect(parents).toHaveLength(1);
    expect(parents[0]?.replies.map((reply) => reply.text)).toEqual(first.replies.map((reply) => reply.text));
    expect(threadText(parents[0] as typeof first)).toBe(threadText(first));
    expect(stack.autotask.requests.length).toBe(requestsBefore);
  });
});
