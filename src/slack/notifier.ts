/**
 * Posting a check's progress and result to Slack, in one place: the parent message, one thread
 * reply per step, and the final state written onto the parent with chat.update. Idempotent per
 * request (state in Redis), so a job re-run after a crash continues the thread it started.
 */
import type { MessageMetadata } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import type { CheckResult, CheckStep } from "../autotask/result.js";
import type { Logger } from "../ops/logger.js";
import type { ThreadLocation, ThreadState, ThreadStore } from "../state/thread-state.js";
import {
  type CheckContext,
  renderFinal,
  renderFinalReply,
  renderParentPending,
  renderQueuedReply,
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
  /** Posts the parent message and the "queued" reply unless this request already has them. */
  begin(target: NotifyTarget): Promise<ThreadLocation>;
  /**
   * Queues a step's thread reply, once per step and job attempt: a crash re-run (same attempt)
   * repeats nothing, while a retry after a transient failure shows its own steps. Resolves at
   * once; replies are posted in order in the background (see `settle`).
   * @param attempt BullMQ's attemptsMade. @defaultValue 0
   */
  step(target: NotifyTarget, step: CheckStep, attempt?: number): Promise<void>;
  /** Resolves once every reply queued for this check is posted (or given up on). */
  settle(target: NotifyTarget): Promise<void>;
  /** A one-off thread reply (e.g. "retrying in 10 s"), posted at most once per mark. */
  notice(target: NotifyTarget, mark: string, text: string): Promise<void>;
  /** Writes the final state onto the parent (chat.update, with message metadata) and a last reply. */
  finish(target: NotifyTarget, result: CheckResult): Promise<void>;
};

export type NotifierDeps = {
  client: WebClient;
  threads: ThreadStore;
  respond: ResponseUrlPoster;
  logger: Logger;
  /** Counts Slack call failures by method and error code. */
  onSlackError?: (method: string, error: string) => void;
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

export function slackErrorCode(error: unknown): string {
  const data = (error as { data?: { error?: unknown } } | null)?.data;
  if (data && typeof data.error === "string") return data.error;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "unknown_error";
}

export function createNotifier({ client, threads, respond, logger, onSlackError }: NotifierDeps): Notifier {
  function failed(method: string, target: NotifyTarget, error: unknown): string {
    const code = slackErrorCode(error);
    onSlackError?.(method, code);
    logger.warn({ requestId: target.requestId, method, error: code }, "Slack call failed");
    return code;
  }

  async function post(channel: string, message: SlackMessage, threadTs?: string): Promise<string> {
    const reply = await client.chat.postMessage({
      channel,
      text: message.text,
      ...(message.blocks.length > 0 ? { blocks: message.blocks } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return reply.ts as string;
  }

  async function openParent(target: NotifyTarget): Promise<ThreadLocation> {
    const parent = renderParentPending(target.context);
    try {
      const ts = await post(target.channelId, parent);
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
    const opened = await client.conversations.open({ users: target.requesterId });
    const dmChannel = opened.channel?.id as string;
    const ts = await post(dmChannel, parent);
    return { channelId: dmChannel, parentTs: ts, via: "dm" };
  }

  async function postReply(target: NotifyTarget, mark: string, message: SlackMessage): Promise<void> {
    const { location, posted } = target.thread;
    if (!location || posted.has(mark)) return;
    try {
      await post(location.channelId, message, location.parentTs);
      await threads.markPosted(target.requestId, mark);
      posted.add(mark);
    } catch (error) {
      // A missing progress reply must not stop the check; the final state still lands on the parent.
      failed("chat.postMessage", target, error);
    }
  }

  // Progress replies go out in order on one chain per check, without holding up the check: its
  // next Autotask call runs while Slack takes the reply. `finish` waits for the chain.
  const replyChains = new WeakMap<NotifyTarget, Promise<void>>();
  function replyOnce(target: NotifyTarget, mark: string, message: SlackMessage): Promise<void> {
    const previous = replyChains.get(target) ?? Promise.resolve();
    const next = previous.then(() => postReply(target, mark, message));
    replyChains.set(target, next);
    return next;
  }
  const repliesPosted = (target: NotifyTarget) => replyChains.get(target) ?? Promise.resolve();

  return {
    async begin(target) {
      if (target.thread.location) return target.thread.location;
      const location = await openParent(target);
      await threads.setLocation(target.requestId, location);
      target.thread.location = location;
      await replyOnce(target, "queued", renderQueuedReply(target.context));
      return location;
    },

    step(target, step, attempt = 0) {
      void replyOnce(
        target,
        attempt > 0 ? `step:${step.name}:${attempt}` : `step:${step.name}`,
        renderStepReply(step),
      );
      return Promise.resolve();
    },

    settle: repliesPosted,

    notice: (target, mark, text) => replyOnce(target, `notice:${mark}`, { text, blocks: [] }),

    async finish(target, result) {
      const location = target.thread.location ?? (await this.begin(target));
      const final = renderFinal(result, target.context);
      await repliesPosted(target);
      // chat.update is idempotent: a re-run after a crash rewrites the same final state.
      await client.chat.update({
        channel: location.channelId,
        ts: location.parentTs,
        text: final.text,
        blocks: final.blocks,
        // api_url and zone may be null, which @slack/types' payload type does not model.
        metadata: final.metadata as unknown as MessageMetadata,
      });
      await replyOnce(target, "final", renderFinalReply(result));
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
