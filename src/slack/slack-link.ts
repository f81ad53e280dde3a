/**
 * Whether the bot can use Slack: `auth.test` with the bot token at start-up. A rejected token is
 * fatal (no retry makes it valid); a network failure (DNS, firewall, proxy, a Slack outage) is
 * retried with backoff while `/readyz` says what is wrong.
 */
import { ErrorCode, WebClient } from "@slack/web-api";
import type { Config } from "../config.js";
import { type Logger, toSlackLogger } from "../ops/logger.js";
import type { UndiciFetch } from "./undici-fetch.js";

/** Slack's Web API, when SLACK_API_URL is unset. */
export const SLACK_API_URL = "https://slack.com/api/";

/** auth.test errors that mean the token itself is refused: fix the configuration, then restart. */
export const REJECTED_TOKEN_ERRORS: readonly string[] = [
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
];

export type SlackIdentity = { botUserId?: string; botId?: string; teamId?: string };

export type SlackProbe =
  | { kind: "ok"; identity: SlackIdentity }
  /** Slack answered and refused the token, with this error code. */
  | { kind: "rejected"; error: string }
  /** Slack could not be asked (or answered nothing usable); `retryAfterMs` when it said. */
  | { kind: "unreachable"; detail: string; retryAfterMs?: number };

const NETWORK_CAUSES: Record<string, string> = {
  ENOTFOUND: "DNS lookup failed",
  EAI_AGAIN: "DNS lookup failed",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  UND_ERR_SOCKET: "connection closed",
  UND_ERR_ABORTED: "no answer in time",
  ABORT_ERR: "no answer in time",
  UND_ERR_HEADERS_TIMEOUT: "no answer in time",
};

/** What went wrong in a form a person can act on, from a WebClient error. Pure. */
export function classifySlackError(error: unknown): Exclude<SlackProbe, { kind: "ok" }> {
  const failure = error as {
    code?: string;
    data?: { error?: string };
    original?: { code?: string; name?: string; message?: string; cause?: { code?: string } };
    statusCode?: number;
    retryAfter?: number;
  };
  if (failure.code === ErrorCode.PlatformError) {
    const code = failure.data?.error ?? "unknown_error";
    return REJECTED_TOKEN_ERRORS.includes(code)
      ? { kind: "rejected", error: code }
      : { kind: "unreachable", detail: `Slack answered ${code}` };
  }
  if (failure.code === ErrorCode.RateLimitedError)
    return {
      kind: "unreachable",
      detail: "Slack rate-limited auth.test",
      retryAfterMs: (failure.retryAfter ?? 1) * 1_000,
    };
  if (failure.code === ErrorCode.HTTPError)
    return { kind: "unreachable", detail: `Slack answered HTTP ${failure.statusCode ?? "error"}` };
  const original = failure.original;
  const code =
    original?.code ?? original?.cause?.code ?? (original?.name === "AbortError" ? "ABORT_ERR" : undefined);
  const cause = code ? (NETWORK_CAUSES[code] ?? "network error") : "network error";
  return { kind: "unreachable", detail: code ? `${cause} (${code})` : cause };
}

/** Asks Slack who the token belongs to. Never throws. */
export async function probeSlack(client: WebClient): Promise<SlackProbe> {
  try {
    const reply = await client.auth.test();
    return {
      kind: "ok",
      identity: { botUserId: reply.user_id, botId: reply.bot_id, teamId: reply.team_id },
    };
  } catch (error) {
    return classifySlackError(error);
  }
}

/** The one line a person reads for a refused token. */
export function rejectedTokenLine(error: string): string {
  return `Slack rejected SLACK_BOT_TOKEN (${error}): check that it is the app's current Bot User OAuth Token (xoxb-..., OAuth & Permissions), that the app is still installed in the workspace, and reinstall it if the token was revoked.`;
}

/** The one line a person reads while Slack cannot be reached. */
export function unreachableLine(host: string, detail: string): string {
  return `Slack is unreachable at ${host}: ${detail}. Check DNS, the firewall, and HTTPS_PROXY / NO_PROXY; retrying.`;
}

export type SlackLinkOptions = {
  /** A client with the bot token, no retries of its own, and a deadline. */
  client: WebClient;
  /** Named in log lines and /readyz, e.g. "slack.com". */
  host: string;
  logger: { info(o: object, msg: string): void; warn(o: object, msg: string): void };
  /** Called once when Slack refuses the token after start-up (the process should stop). */
  onRejected: (error: string) => void;
  /** Wait before the first retry, doubled each time up to `maxDelayMs`. @defaultValue 1_000 */
  initialDelayMs?: number;
  /** @defaultValue 30_000 */
  maxDelayMs?: number;
};

export type SlackLink = {
  /** The first auth.test; when it cannot reach Slack, retries go on in the background. */
  connect(): Promise<SlackProbe>;
  /** Who the bot is, once Slack answered. */
  identity(): SlackIdentity | null;
  /** For /readyz: ok once auth.test succeeded, else what is wrong. */
  readiness: { name: string; check: () => Promise<{ ok: boolean; detail?: string }> };
  stop(): void;
};

export function createSlackLink(options: SlackLinkOptions): SlackLink {
  const { client, host, logger, onRejected, initialDelayMs = 1_000, maxDelayMs = 30_000 } = options;
  let identity: SlackIdentity | null = null;
  let problem = "not checked yet";
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  async function attempt(tries: number): Promise<SlackProbe> {
    const probe = await probeSlack(client);
    if (stopped) return probe;
    if (probe.kind === "ok") {
      identity = probe.identity;
      logger.info({ host, botUserId: probe.identity.botUserId, attempts: tries }, "connected to Slack");
    } else if (probe.kind === "rejected") {
      problem = `Slack rejected the bot token (${probe.error})`;
      if (tries > 1) onRejected(probe.error);
    } else {
      problem = `Slack is unreachable at ${host}: ${probe.detail}`;
      const backoff = Math.min(maxDelayMs, initialDelayMs * 2 ** (tries - 1));
      const delayMs = Math.max(backoff, probe.retryAfterMs ?? 0);
      logger.warn(
        { host, detail: probe.detail, attempt: tries, retryInMs: delayMs },
        unreachableLine(host, probe.detail),
      );
      timer = setTimeout(() => void attempt(tries + 1), delayMs);
    }
    return probe;
  }

  return {
    connect: () => attempt(1),
    identity: () => identity,
    readiness: {
      name: "slack",
      check: async () => (identity ? { ok: true } : { ok: false, detail: problem }),
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/**
 * The client of the start-up check: no retries of its own (the link retries), a 429 answered at
 * once, a 10 s deadline. The link logs one line per failed attempt, so WebClient's own warning
 * about the failed request goes to debug.
 */
export function createSlackLinkClient(slack: Config["slack"], fetch: UndiciFetch, logger: Logger): WebClient {
  const slackLogger = toSlackLogger(logger, "web-api");
  return new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl ?? SLACK_API_URL,
    fetch,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: { ...slackLogger, warn: (...parts: unknown[]) => slackLogger.debug(...parts) },
  });
}
