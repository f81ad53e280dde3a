/**
 * Posting into a watch's thread: alerts (broadcast to the channel, with the contract's metadata)
 * and the plain replies that say a watch started or could not. One small poster over the Slack
 * WebClient, through the same per-channel lanes as check threads (channel-poster.ts), so an alert
 * waits out Slack's per-channel limit instead of failing on a 429.
 */
import type { MessageMetadata } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import type { ChannelPoster } from "../slack/channel-poster.js";
import type { SlackMessage } from "../slack/messages.js";
import type { AlertMessage } from "./render.js";

export type ThreadRef = { channelId: string; threadTs: string };

export type WatchPoster = {
  /** A reply in the thread, also sent to the channel (`reply_broadcast`), with metadata. */
  alert(thread: ThreadRef, message: AlertMessage): Promise<void>;
  /** A plain reply in the thread. */
  reply(thread: ThreadRef, message: SlackMessage): Promise<void>;
};

export function createWatchPoster(client: WebClient, lanes: ChannelPoster): WatchPoster {
  return {
    async alert(thread, message) {
      await lanes.post(thread.channelId, () =>
        client.chat.postMessage({
          channel: thread.channelId,
          thread_ts: thread.threadTs,
          reply_broadcast: true,
          text: message.text,
          blocks: message.blocks,
          metadata: message.metadata as unknown as MessageMetadata,
        }),
      );
    },
    async reply(thread, message) {
      await lanes.post(thread.channelId, () =>
        client.chat.postMessage({
          channel: thread.channelId,
          thread_ts: thread.threadTs,
          text: message.text,
          blocks: message.blocks,
        }),
      );
    },
  };
}
