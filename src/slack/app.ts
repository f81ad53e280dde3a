/** The Bolt app: HTTP receiver at POST /slack/events (signed requests only), or Socket Mode. */

import { App, type BlockButtonAction, HTTPReceiver, LogLevel, type ViewSubmitAction } from "@slack/bolt";
import { ErrorCode, WebClient } from "@slack/web-api";
import type { Dispatcher } from "undici";
import type { Config } from "../config.js";
import type { OpsRoute } from "../ops/http.js";
import { type Logger, toSlackLogger } from "../ops/logger.js";
import type { RolesLookup } from "./authorize.js";
import { COMMAND, type createCommandHandler } from "./command.js";
import { RETRY_ACTION_ID } from "./messages.js";
import { CONNECT_CALLBACK_ID } from "./modal.js";
import type { createRetryActionHandler } from "./retry-action.js";
import type { SlackIdentity } from "./slack-link.js";
import type { createSubmissionHandler } from "./submission.js";
import { createUndiciFetch, type UndiciFetch, undiciFetch } from "./undici-fetch.js";

type BoltApp = App;

export type SlackHandlers = {
  command: ReturnType<typeof createCommandHandler>;
  submission: ReturnType<typeof createSubmissionHandler>;
  retry: ReturnType<typeof createRetryActionHandler>;
};

export type SlackAppOptions = {
  slack: Config["slack"];
  logger: Logger;
  handlers: SlackHandlers;
  /** /healthz, /readyz, /metrics on the receiver's port (HTTP mode only). */
  opsRoutes: OpsRoute[];
  /** How the app's Web API clients send (the outbound proxy). @defaultValue undiciFetch */
  fetch?: UndiciFetch;
  /** Who the bot is, once auth.test answered at start-up (see slack-link.ts). */
  identity?: () => SlackIdentity | null;
  /** Registers further listeners (e.g. watches' buttons and App Home) on the app. */
  extraListeners?: ((app: BoltApp) => void)[];
};

export type SlackApp = {
  app: BoltApp;
  mode: "http" | "socket";
  /** Starts listening (HTTP) or connecting (Socket Mode); resolves with the HTTP port, if any. */
  start(port: number): Promise<number | null>;
  stop(): Promise<void>;
};

/**
 * Views.open must happen inside the trigger's 3 s: no retries from the web role, and a 429 is
 * answered at once. Without `rejectRateLimitedCalls` WebClient waits out the whole Retry-After
 * with its queue paused, holding every later call of the client (ack path included).
 */
const WEB_CLIENT_OPTIONS = {
  retryConfig: { retries: 0 },
  timeout: 2_500,
  rejectRateLimitedCalls: true,
};

/**
 * The web role's users.info client, separate from the app's: a lookup Slack rate-limits is
 * answered at once (`rejectRateLimitedCalls`) and never shares a queue with views.open.
 */
export function createRolesClient(slack: Config["slack"], logger: Logger, fetch = undiciFetch): WebClient {
  return new WebClient(slack.botToken, {
    ...WEB_CLIENT_OPTIONS,
    fetch,
    timeout: 1_000,
    logger: toSlackLogger(logger, "web-api"),
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
  });
}

/**
 * A client that posts (check threads, watch replies and alerts): patient with errors, but a 429
 * fails the call at once (`rejectRateLimitedCalls`) so the caller's per-channel lane
 * (channel-poster.ts) waits it out, instead of WebClient pausing every call of the client.
 */
export function createPostingClient(
  slack: Config["slack"],
  logger: Logger,
  dispatcher?: Dispatcher,
): WebClient {
  return new WebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {}),
    logger: toSlackLogger(logger, "web-api"),
    // Every check posts through this client: its 10 s deadline per call is the fetch's, not
    // WebClient's `timeout`, which makes an AbortSignal.timeout per call.
    fetch: createUndiciFetch(dispatcher, 10_000),
    retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 5_000, randomize: true },
    rejectRateLimitedCalls: true,
  });
}

/** users.info through `client`, a 429 as a value (the authorizer's `lookupRoles`). */
export async function lookupRolesWith(client: WebClient, userId: string): Promise<RolesLookup> {
  try {
    const reply = await client.users.info({ user: userId });
    return {
      isAdmin: Boolean(reply.user?.is_admin),
      isOwner: Boolean(reply.user?.is_owner || reply.user?.is_primary_owner),
    };
  } catch (error) {
    const { code, retryAfter } = error as { code?: string; retryAfter?: number };
    if (code === ErrorCode.RateLimitedError) return { rateLimitedForMs: (retryAfter ?? 1) * 1_000 };
    throw error;
  }
}
/**
 * Socket Mode's own client, for `apps.connections.open` on every (re)connect. It keeps Socket
 * Mode's default retries (no `retryConfig`): with the web role's "no retries", one failed call
 * during a reconnect Slack asked for left the bot disconnected, with an unhandled rejection.
 */
const SOCKET_MODE_CLIENT_OPTIONS = { timeout: 10_000 };

export function createSlackApp({
  slack,
  logger,
  handlers,
  opsRoutes,
  fetch = undiciFetch,
  identity = () => null,
  extraListeners = [],
}: SlackAppOptions): SlackApp {
  const slackLogger = toSlackLogger(logger, "bolt");
  const logLevel = logger.isLevelEnabled("debug") ? LogLevel.DEBUG : LogLevel.INFO;
  const apiUrl = slack.apiUrl ? { slackApiUrl: slack.apiUrl } : {};
  const clientOptions = { ...WEB_CLIENT_OPTIONS, fetch, ...apiUrl };
  const socketMode = Boolean(slack.appToken);

  const receiver = socketMode
    ? undefined
    : new HTTPReceiver({
        signingSecret: slack.signingSecret as string,
        endpoints: "/slack/events",
        customRoutes: opsRoutes,
        logger: slackLogger,
        logLevel,
        processBeforeResponse: false,
        // Slack gives 3 s; answer before that if a handler never acks.
        unhandledRequestTimeoutMillis: 2_900,
      });
  // An authorize function rather than `token`: with a token Bolt calls auth.test in its
  // constructor, and a Slack it cannot reach (or a refused token) became an unhandled rejection
  // that killed the process. The runtime checks the token itself (slack-link.ts).
  const botToken = slack.botToken as string;
  const app = new App({
    authorize: async () => ({ botToken, ...identity() }),
    logger: slackLogger,
    logLevel,
    clientOptions,
    developerMode: false,
    ...(receiver
      ? { receiver }
      : {
          socketMode: true,
          appToken: slack.appToken,
          // Bolt hands installerOptions.clientOptions to the Socket Mode client (it defaults to clientOptions).
          installerOptions: { clientOptions: { ...SOCKET_MODE_CLIENT_OPTIONS, fetch, ...apiUrl } },
        }),
  });
  app.error(async (error) => {
    logger.error(
      { code: (error as { code?: string }).code, message: error.message },
      "unhandled error in a Slack handler",
    );
  });

  app.command(COMMAND, handlers.command);
  app.view<ViewSubmitAction>(CONNECT_CALLBACK_ID, handlers.submission);
  app.action<BlockButtonAction>(RETRY_ACTION_ID, handlers.retry);
  for (const register of extraListeners) register(app);

  return {
    app,
    mode: socketMode ? "socket" : "http",
    async start(port) {
      if (socketMode) {
        await app.start();
        return null;
      }
      const server = (await app.start(port)) as import("node:http").Server;
      const address = server.address();
      return typeof address === "object" && address ? address.port : port;
    },
    stop: () => app.stop() as Promise<void>,
  };
}
