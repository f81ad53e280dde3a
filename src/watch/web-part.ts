/**
 * The watch part of a web process: the service behind the buttons, App Home and the `watches`
 * subcommand. Posts its thread replies with the posting client it is given, in per-channel lanes.
 */
import type { App } from "@slack/bolt";
import type { WebClient } from "@slack/web-api";
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
  /** Posts the thread replies (a token-bearing client: Bolt's `app.client` has none). */
  slack: WebClient;
  logger: Logger;
}): WatchWebPart {
  const { config } = deps;
  const scheduler = createWatchScheduler({
    connection: deps.redis,
    prefix: config.queuePrefix,
    intervalSeconds: config.watch.intervalSeconds,
  });
  const poster = createWatchPoster(deps.slack, createChannelPoster());
  const service = createWatchService({
    store: createWatchStore(deps.redis, config.queuePrefix),
    scheduler,
    poster,
    limit: config.watch.perWorkspace,
    intervalSeconds: config.watch.intervalSeconds,
    credentialsKey: deps.credentialsKey,
    logger: deps.logger,
  });
  const list = { intervalSeconds: config.watch.intervalSeconds, limit: config.watch.perWorkspace };
  return {
    register(bolt) {
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
