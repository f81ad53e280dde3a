/**
 * Posting a check's progress and result to Slack, in one place: the parent message, thread
 * replies for the steps, and the final state written onto the parent with chat.update.
 * Idempotent per request (state in Redis), so a job re-run after a crash continues the thread it
 * started. Posts go through a lane per channel (see channel-poster.ts): a busy channel waits out
 * Slack's limit alone, and the replies waiting meanwhile leave as one message.
 */
import type { WebClient } from "@slack/web-api";
import type { CheckResult, CheckStep } from "../autotask/result.js";
import type { Logger } from "../ops/logger.js";
import { steadily } from "../ops/steadily.js";
import type { ThreadLocation, ThreadState, ThreadStore } from "../state/thread-state.js";
import type { ChannelPoster } from "./channel-poster.js";
import {
  type CheckContext,
  renderFinal,
  renderFinalReply,
  renderNotice,
  renderParentPending,
  renderReplyBatch,
  renderStepReply,
  type SlackMessage,
} from "./messages.js";
import type { ResponseUrlPoster } from "./response-url.js";

/** Where and for whom a check reports. */
export type NotifyTarget = {
  requestId: string;
  channelId: string;
  requesterId: string;
  responseUrl?: string;
  context: CheckContext;
  /**
   * The thread's state as stored in Redis, read once per job attempt and kept current by the
   * notifier. Only the worker holding the job's lock posts for it, so memory and Redis agree.
   */
  thread: ThreadState;
};

export type Notifier = {
  /**
   * Posts the parent message unless this request already has one, and records where it is (riding
   * out a Redis blip, so a re-run finds it). Called once per target; later calls share the first's
   * promise, so the check need not wait for it.
   */
  begin(target: NotifyTarget): Promise<ThreadLocation>;
  /**
   * Queues a step's thread reply, once per step and job attempt: a crash re-run (same attempt)
   * repeats nothing, while a retry after a transient failure shows its own steps. Resolves at
   * once; replies leave in order in the background, steps of the same moment in one message.
   * @param attempt BullMQ's attemptsMade. @defaultValue 0
   */
  step(target: NotifyTarget, step: CheckStep, attempt?: number): Promise<void>;
  /** Resolves once every reply queued for this check is posted (or given up on). */
  settle(target: NotifyTarget): Promise<void>;
  /** A one-off thread reply (e.g. "retrying in 10 s"), posted at most once per mark. */
  notice(target: NotifyTarget, mark: string, text: string): Promise<void>;
  /**
   * Writes the final state onto the parent (chat.update, with message metadata) at once, then the
   * last thread reply after any still waiting.
   */
  finish(target: NotifyTarget, result: CheckResult): Promise<void>;
};

export type NotifierDeps = {
  /** Built with `rejectRateLimitedCalls: true`: 429s are waited out per channel by `poster`. */
  client: WebClient;
  poster: ChannelPoster;
  threads: ThreadStore;
  respond: ResponseUrlPoster;
  logger: Logger;
  /** Counts Slack call failures by method and error code. */
  onSlackError?: (method: string, error: string) => void;
  /**
   * How long a step's reply waits for further steps to share its message, in milliseconds. The
   * final reply and notices do not wait. @defaultValue 250
   */
  replyLingerMs?: number;
  /** Waits between the tries of recording the parent's location in Redis. @defaultValue about 15 s in all */
  locationRetryDelaysMs?: readonly number[];
};

/** Errors that mean "the bot may not post here", so the DM fallback applies. */
const CANNOT_POST_HERE = new Set([
  "not_in_channel",
  "channel_not_found",
  "is_archived",
  "restricted_action",
  "restricted_action_read_only_channel",
  "restricted_action_thread_only_channel",
  "cannot_dm_bot",
  "ekm_access_denied",
]);

/** Long enough for a Redis failover or reconnect, short of BullMQ giving the job to another worker. */
const LOCATION_RETRY_DELAYS_MS = [100, 300, 900, 2_000, 4_000, 8_000];

export function slackErrorCode(error: unknown): string {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  if (data && typeof data.error === "string") return data.error;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown_error";
}

/** A reply waiting to be posted. */
type Pending = { mark: string; message: SlackMessage };

/** Per check attempt: its parent, the replies waiting, and the chain that posts them in order. */
type Outbox = {
  parent: Promise<ThreadLocation>;
  pending: Pending[];
  chain: Promise<void>;
  timer: NodeJS.Timeout | null;
};

export function createNotifier(deps: NotifierDeps): Notifier {
  const { client, poster, threads, respond, logger, onSlackError } = deps;
  const linger = deps.replyLingerMs ?? 250;
  const locationDelays = deps.locationRetryDelaysMs ?? LOCATION_RETRY_DELAYS_MS;
  const outboxes = new WeakMap<NotifyTarget, Outbox>();

  function failed(method: string, target: NotifyTarget, error: unknown): string {
    const code = slackErrorCode(error);
    onSlackError?.(method, code);
    logger.warn({ requestId: target.requestId, method, error: code }, "Slack call failed");
    return code;
  }

  function post(channel: string, message: () => SlackMessage | null, threadTs?: string) {
    let body: SlackMessage | null | undefined;
    return poster.post(channel, async () => {
      // Built when the lane reaches it (once; a 429 re-sends the same body), so the replies that
      // queued up while the channel was busy leave together.
      if (body === undefined) body = message();
      if (body === null) return null;
      const reply = await client.chat.postMessage({
        channel,
        text: body.text,
        ...(body.blocks.length > 0 ? { blocks: body.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return reply.ts as string;
    });
  }

  async function openParent(target: NotifyTarget): Promise<ThreadLocation> {
    const parent = renderParentPending(target.context);
    try {
      const ts = (await post(target.channelId, () => parent)) as string;
      return { channelId: target.channelId, parentTs: ts, via: "channel" };
    } catch (error) {
      const code = failed("chat.postMessage", target, error);
      if (!CANNOT_POST_HERE.has(code)) throw error;
    }
    // Private channel without the bot, or a DM between people: tell the requester where the
    // results go (ephemeral, in the channel they typed in) and report by DM instead.
    if (target.responseUrl) {
      await respond(target.responseUrl, {
        response_type: "ephemeral",
        replace_original: false,
        text:
          "I can't post in this channel (it is private and I'm not a member, or it is a direct message), " +
          "so I'll send the results to you as a direct message. To get them here, invite me with /invite.",
      }).catch((error: unknown) => failed("response_url", target, error));
    }
    const opened = await poster.call("conversations.open", () =>
      client.conversations.open({ users: target.requesterId }),
    );
    const dmChannel = opened.channel?.id as string;
    const ts = (await post(dmChannel, () => parent)) as string;
    return { channelId: dmChannel, parentTs: ts, via: "dm" };
  }

  async function startThread(target: NotifyTarget): Promise<ThreadLocation> {
    if (target.thread.location) return target.thread.location;
    const location = await openParent(target);
    // The parent exists now: losing where it is would make a re-run post a second one.
    await steadily(
      () => threads.setLocation(target.requestId, location),
      locationDelays,
      (error, attempt) =>
        logger.warn(
          { requestId: target.requestId, attempt, err: (error as Error)?.message },
          "could not record where the check's thread is; trying again",
        ),
    );
    target.thread.location = location;
    return location;
  }

  function outboxOf(target: NotifyTarget): Outbox {
    let outbox = outboxes.get(target);
    if (!outbox) {
      const parent = startThread(target);
      // Awaited by whoever needs the parent (flushes, finish); never an unhandled rejection here.
      parent.catch(() => {});
      outbox = { parent, pending: [], chain: Promise.resolve(), timer: null };
      outboxes.set(target, outbox);
    }
    return outbox;
  }

  /** Posts every reply waiting now as one message, after the replies before it. */
  function flush(target: NotifyTarget, outbox: Outbox): Promise<void> {
    if (outbox.timer) clearTimeout(outbox.timer);
    outbox.timer = null;
    outbox.chain = outbox.chain.then(async () => {
      let location: ThreadLocation;
      try {
        location = await outbox.parent;
      } catch {
        return; // No parent: the job fails and its re-run posts these replies.
      }
      let batch: Pending[] = [];
      try {
        await post(
          location.channelId,
          () => {
            batch = outbox.pending.splice(0);
            return batch.length === 0 ? null : renderReplyBatch(batch.map((item) => item.message));
          },
          location.parentTs,
        );
        if (batch.length === 0) return;
        const marks = batch.map((item) => item.mark);
        await threads.markPosted(target.requestId, ...marks);
        for (const mark of marks) target.thread.posted.add(mark);
      } catch (error) {
        // A missing progress reply must not stop the check; the final state still lands on the parent.
        failed("chat.postMessage", target, error);
      }
    });
    return outbox.chain;
  }

  function reply(target: NotifyTarget, mark: string, message: SlackMessage, now: boolean): Promise<void> {
    const outbox = outboxOf(target);
    if (target.thread.posted.has(mark) || outbox.pending.some((item) => item.mark === mark)) {
      return now ? flush(target, outbox) : Promise.resolve();
    }
    outbox.pending.push({ mark, message });
    if (now || linger <= 0) return flush(target, outbox);
    outbox.timer ??= setTimeout(() => void flush(target, outbox), linger);
    return Promise.resolve();
  }

  return {
    begin: (target) => outboxOf(target).parent,

    step(target, step, attempt = 0) {
      void reply(
        target,
        attempt > 0 ? `step:${step.name}:${attempt}` : `step:${step.name}`,
        renderStepReply(step),
        false,
      );
      return Promise.resolve();
    },

    settle: (target) => flush(target, outboxOf(target)),

    notice: (target, mark, text) => reply(target, `notice:${mark}`, renderNotice(text), true),

    async finish(target, result) {
      const location = await this.begin(target);
      const final = renderFinal(result, target.context);
      // chat.update is idempotent: a re-run after a crash rewrites the same final state. It is
      // not under the per-channel posting limit, so the verdict does not wait for the replies.
      await poster.call("chat.update", () =>
        client.chat.update({
          channel: location.channelId,
          ts: location.parentTs,
          text: final.text,
          blocks: final.blocks,
          metadata: final.metadata,
        }),
      );
      await reply(target, "final", renderFinalReply(result), true);
      if (location.via === "dm" && target.responseUrl && !target.thread.posted.has("final-ephemeral")) {
        await respond(target.responseUrl, {
          response_type: "ephemeral",
          replace_original: false,
          text: final.text,
          blocks: final.blocks,
        })
          .then(async () => {
            await threads.markPosted(target.requestId, "final-ephemeral");
            target.thread.posted.add("final-ephemeral");
          })
          .catch((error: unknown) => failed("response_url", target, error));
      }
    },
  };
}
