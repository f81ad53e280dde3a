/**
 * The watch part of a web process: the service behind the buttons, App Home and the `watches`
 * subcommand. Posts its thread replies with the app's own Web API client.
 */
import type { App } from "@slack/bolt";
import type { Config } from "../config.js";
import type { Logger } from "../ops/logger.js";
import type { RedisClient } from "../queue/redis.js";
import type { Authorizer } from "../slack/authorize.js";
import { createChannelPoster } from "../slack/channel-poster.js";
import type { SlackMessage } from "../slack/messages.js";
import { createWatchPoster } from "./alert.js";
import { createWatchesAnswer, registerWatchListeners } from "./listeners.js";
import { createWatchScheduler } from "./scheduler.js";
import { createWatchService } from "./service.js";
import { createWatchStore } from "./store.js";

export type WatchWebPart = {
  /** Registers the buttons and App Home listeners on the Bolt app (before it starts). */
  register(app: App): void;
  /** `/autotask-connect watches`. */
  answerWatches(teamId: string): Promise<SlackMessage>;
  close(): Promise<void>;
};

export function createWatchWebPart(deps: {
  config: Config;
  redis: RedisClient;
  credentialsKey: Buffer;
  authorize: Authorizer;
  logger: Logger;
}): WatchWebPart {
  const { config } = deps;
  const scheduler = createWatchScheduler({
    connection: deps.redis,
    prefix: config.queuePrefix,
    intervalSeconds: config.watch.intervalSeconds,
  });
  let app: App | null = null;
  // The app's client rejects rate-limited calls (it must never hold the ack path): these replies
  // wait out a 429 in their channel's lane instead.
  const lanes = createChannelPoster();
  const service = createWatchService({
    store: createWatchStore(deps.redis, config.queuePrefix),
    scheduler,
    // The app's client exists once the app does; replies are posted only from its listeners.
    poster: {
      alert: (thread, message) => createWatchPoster((app as App).client, lanes).alert(thread, message),
      reply: (thread, message) => createWatchPoster((app as App).client, lanes).reply(thread, message),
    },
    limit: config.watch.perWorkspace,
    intervalSeconds: config.watch.intervalSeconds,
    credentialsKey: deps.credentialsKey,
    logger: deps.logger,
  });
  const list = { intervalSeconds: config.watch.intervalSeconds, limit: config.watch.perWorkspace };
  return {
    register(bolt) {
      app = bolt;
      registerWatchListeners(bolt, {
        service,
        authorize: deps.authorize,
        policy: config.authorizedUsers,
        list,
        logger: deps.logger,
      });
    },
    answerWatches: createWatchesAnswer({ service, list }),
    close: () => scheduler.close(),
  };
}
