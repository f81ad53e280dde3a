/**
 * What an Autotask reply means, and what the person should do about it. Pure: every failure
 * shape of REFERENCE.md maps to a result code here, with no network and no clock.
 */
import type { AutotaskReply } from "./client.js";
import { zoneOfApiUrl } from "./domain.js";
import { isUsageHigh, type ResultCode, type Usage } from "./result.js";
import type { Zone } from "./zones.js";

/** The three Autotask calls of a check, in order. */
export type AutotaskCall = "zone" | "credentials" | "permissions";

export type Failure = {
  code: ResultCode;
  /** True when trying the same request again may succeed (never for an authentication failure). */
  retry: boolean;
  /** How long Autotask asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs: number | null;
  /** What happened, as the end of a sentence: "Autotask answered HTTP 503". No credential, no raw body. */
  reason: string;
};

const THREAD_THRESHOLD = /thread threshold|itgenatr005/i;
const UNKNOWN_USER = /zone information could not be determined/i;
const BAD_TRACKING_ID = /integration\s*code/i;
const NO_PERMISSION = /adequate permission|not have (the )?permission|not authori[sz]ed to (query|read)/i;

function failure(
  code: ResultCode,
  retry: boolean,
  reason: string,
  retryAfterMs: number | null = null,
): Failure {
  return { code, retry, retryAfterMs, reason };
}

/** Longest quote of an upstream message, in characters, counted after scrubbing. */
export const QUOTE_CHARS = 160;

/** Removes credentials from a text; the check passes one that knows the secret it sent. */
export type Redact = (text: string) => string;

const keep: Redact = (text) => text;

/**
 * An upstream message made safe to quote in a sentence: credentials removed by `redact` FIRST, then
 * one line, then cut to {@link QUOTE_CHARS}. Cutting first could leave a prefix of the secret that
 * no later scrub recognises.
 */
export function quoteUpstream(message: string, redact: Redact = keep): string {
  // Scrubbed before and after flattening: a secret may hold a tab, which flattening turns into a space.
  const line = redact(redact(message).replace(/[\p{Cc}\p{Cf}]+/gu, " ")).trim();
  return `"${line.length > QUOTE_CHARS ? `${line.slice(0, QUOTE_CHARS)}…` : line}"`;
}

/**
 * Classifies a reply to one of the check's calls. Returns null for a success shape (2xx, JSON,
 * no errors): the step then reads the body with `readZoneAnswer`, `readUsage` or `readItemCount`.
 */
export function diagnoseReply(
  call: AutotaskCall,
  reply: AutotaskReply,
  redact: Redact = keep,
): Failure | null {
  if (reply.kind === "blocked") {
    return failure(
      "autotask_unavailable",
      false,
      `"${reply.host.slice(0, 80)}" is not an Autotask API host, so nothing was sent there`,
    );
  }
  if (reply.kind === "network") {
    if (reply.failure === "aborted") return failure("autotask_unavailable", false, "the check was cancelled");
    return failure("autotask_unavailable", true, `Autotask could not be reached: ${reply.detail}`);
  }
  const { status, body } = reply;
  const said = body.errors[0] === undefined ? "" : ` (${quoteUpstream(body.errors[0], redact)})`;
  const errors = body.errors.join("\n");

  if (THREAD_THRESHOLD.test(errors) || THREAD_THRESHOLD.test(body.text)) {
    return failure(
      "rate_limited",
      true,
      "Autotask refused the request because too many requests ran at once (Thread Threshold Exceeded)",
      reply.retryAfterMs,
    );
  }
  if (status === 429) {
    return failure(
      "rate_limited",
      true,
      `Autotask's request limit was reached (HTTP 429)${said}`,
      reply.retryAfterMs,
    );
  }
  if (UNKNOWN_USER.test(errors)) {
    return failure("unknown_username", false, `Autotask's zone lookup does not know this username${said}`);
  }
  if (BAD_TRACKING_ID.test(errors)) {
    return failure(
      "invalid_tracking_identifier",
      false,
      `Autotask rejected the API tracking identifier${said}`,
    );
  }
  if (NO_PERMISSION.test(errors) || (call === "permissions" && status === 403)) {
    return failure("insufficient_permissions", false, `the API user's security level may not read it${said}`);
  }
  if (call !== "zone" && (status === 401 || status === 403)) {
    return failure("invalid_credentials", false, `Autotask rejected the login (HTTP ${status})${said}`);
  }
  if (status >= 300 && status < 400) {
    return failure(
      "autotask_unavailable",
      false,
      `Autotask answered with a redirect (HTTP ${status}), which is not followed`,
    );
  }
  // Gateways and timeouts say nothing about the request, whatever their body: try again.
  if ([408, 502, 503, 504].includes(status) || (status >= 500 && body.errors.length === 0)) {
    return failure("autotask_unavailable", true, `Autotask answered HTTP ${status}${said}`);
  }
  if (body.errors.length > 0) {
    // A deliberate answer the table above does not know (.NET's "Object reference not set to an
    // instance of an object." under 500 is one): it does not change on retry, so quote it.
    return failure(
      "autotask_error",
      false,
      `Autotask answered HTTP ${status} with its own error: ${quoteUpstream(body.errors[0] as string, redact)}`,
    );
  }
  if (status < 200 || status >= 300) {
    return failure("autotask_unavailable", false, `Autotask answered HTTP ${status}`);
  }
  if (body.json === null) {
    return failure(
      "autotask_unavailable",
      true,
      `Autotask answered HTTP ${status} with something that is not JSON`,
    );
  }
  return null;
}

/**
 * Whether an authenticated request's answer proves the credentials valid (the login budget gives
 * its unit back): a 2xx JSON answer, or an answer that names a cause other than the credentials (a permission
 * error on a query, Itgenatr005, a 429). Everything else may be a failed login to Autotask: a
 * 401/403, a rejected tracking identifier, an unknown `errors` answer, an empty or HTML 5xx, and
 * any network failure after the request may have been sent.
 */
export function provesCredentials(reply: AutotaskReply, failure: Failure | null): boolean {
  if (reply.kind !== "response") return false;
  // A 2xx proves the login only when Autotask itself answered it: JSON, not a proxy's HTML page.
  if (reply.status >= 200 && reply.status < 300) return reply.body.json !== null;
  return failure?.code === "insufficient_permissions" || failure?.code === "rate_limited";
}

/**
 * Whether an authenticated request never left: the host was refused by the allow-list, or the
 * connection failed before any byte of the request could be sent (refused, DNS, TLS handshake).
 * Its budget unit goes back: Autotask cannot have counted a login it never received.
 */
export function neverSent(reply: AutotaskReply): boolean {
  if (reply.kind === "blocked") return true;
  return reply.kind === "network" && ["refused", "dns", "tls"].includes(reply.failure);
}

/** A kept unit's cause, for the wording of `too_many_failures`: a rejected login or an unknown outcome. */
export function keptAs(failure: Failure | null): "rejected" | "unknown" {
  return failure?.code === "invalid_credentials" || failure?.code === "invalid_tracking_identifier"
    ? "rejected"
    : "unknown";
}

export type ZoneAnswer = { ok: true; zone: Zone; zoneName: string } | { ok: false; failure: Failure };

/**
 * Reads a successful zoneInformation body. Its `url` decides where credentials go, so it is accepted
 * only when it is an Autotask API host (`zoneOfApiUrl`).
 */
export function readZoneAnswer(json: unknown): ZoneAnswer {
  const record = typeof json === "object" && json !== null ? (json as Record<string, unknown>) : {};
  if (typeof record.url !== "string") {
    return {
      ok: false,
      failure: failure(
        "autotask_unavailable",
        true,
        "Autotask's zone lookup answered without an API address",
      ),
    };
  }
  const zone = zoneOfApiUrl(record.url);
  if (zone === null) {
    return {
      ok: false,
      failure: failure(
        "autotask_unavailable",
        false,
        `Autotask's zone lookup named ${quoteUpstream(record.url.slice(0, 100))}, which is not an Autotask API address, so no credentials were sent there`,
      ),
    };
  }
  // Our own names for known zones keep messages consistent; Autotask's name is better for new zones.
  const reported =
    typeof record.zoneName === "string" ? record.zoneName.replace(/[\p{Cc}\p{Cf}]/gu, "").trim() : "";
  const useReported = zone.name.startsWith("Autotask zone") && reported !== "" && reported.length <= 80;
  return { ok: true, zone, zoneName: useReported ? reported : zone.name };
}

/** Usage from a ThresholdInformation body; null when a field is missing or not a count. */
export function readUsage(json: unknown): Usage | null {
  if (typeof json !== "object" || json === null) return null;
  const { externalRequestThreshold, requestThresholdTimeframe, currentTimeframeRequestCount } =
    json as Record<string, unknown>;
  const counts = [currentTimeframeRequestCount, externalRequestThreshold, requestThresholdTimeframe];
  if (!counts.every((value) => typeof value === "number" && Number.isFinite(value) && value >= 0))
    return null;
  return {
    used: currentTimeframeRequestCount as number,
    limit: externalRequestThreshold as number,
    timeframeMinutes: requestThresholdTimeframe as number,
  };
}

/** How many records an entity query returned; 0 when the body has no `items` list. */
export function readItemCount(json: unknown): number {
  if (typeof json !== "object" || json === null) return 0;
  const items = (json as { items?: unknown }).items;
  return Array.isArray(items) ? items.length : 0;
}

export type AdviceContext = {
  /** The API origin to paste as the Domain, when known. */
  apiUrl?: string | null;
  /** Entities the API user could not read (insufficient_permissions). */
  deniedEntities?: string[];
  /** When the login budget allows the next attempt (too_many_failures). */
  retryAt?: Date;
  /** What the login budget was spent on (too_many_failures): rejected logins and unknown outcomes. */
  spentOn?: { rejections: number; unknown: number };
  /** The API usage Autotask reported: at or above 80% of the limit, ok and zone_mismatch advice warns. */
  usage?: Usage | null;
  /** Replaces the code's advice: for a result whose cause the code alone does not say. */
  advice?: string;
  /** Quoted in internal_error advice so a report can be matched to logs. */
  requestId?: string;
};

const USERS_PAGE = "Admin > Resources/Users";

/**
 * "3 login attempts with this API username in the last 15 minutes ended without an answer (2
 * timed out, were cut off or got an unexplained error; 1 was rejected)": what spent the budget.
 */
export function budgetSpentOn(spentOn: { rejections: number; unknown: number }): string {
  const total = spentOn.rejections + spentOn.unknown;
  const rejected = spentOn.rejections > 0 ? `; ${spentOn.rejections} rejected` : "";
  return `${total} login attempts with this API username in the last 15 minutes ended without an answer proving the credentials (${spentOn.unknown} timed out, were cut off or got an unexplained error${rejected})`;
}

function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** What the person should do next for a result code: one or two sentences they can act on. */
export function adviceFor(code: ResultCode, context: AdviceContext = {}): string {
  if (context.advice) return context.advice;
  const usageRisk =
    isUsageHigh(context.usage) && context.usage
      ? ` Careful: this database has used ${Math.floor((context.usage.used / context.usage.limit) * 100)}% of its API request limit, and Autotask slows down every integration on it from 50% and refuses their requests at 100%.`
      : "";
  const domain = context.apiUrl ?? "the API origin of your zone (https://webservicesN.autotask.net)";
  switch (code) {
    case "ok":
      return `Paste ${domain} as the Domain in the integration you are setting up, with this API username, secret and tracking identifier.${usageRisk}`;
    case "zone_mismatch":
      return `Use ${domain} as the Domain: Autotask says this API user lives in that zone, whatever the portal address says.${usageRisk}`;
    case "unknown_username":
      return `Copy the API username again from ${USERS_PAGE} > the API user (a generated one looks like an e-mail address) and check it has no extra characters.`;
    case "invalid_credentials":
      return `Check the secret (Autotask shows it only once: if in doubt, generate a new one under ${USERS_PAGE} > the API user), the API username and the API tracking identifier, since Autotask may report any of the three as a failed login. An inactive or locked API user looks the same; repeated failures lock it, so fix before retrying.`;
    case "invalid_tracking_identifier":
      return `For "Custom (Internal Integration)", copy the identifier again from ${USERS_PAGE} > the API user > API Tracking Identifier; for a vendor's integration Autotask does not show it, so ask the vendor for it (or use Custom (Internal Integration)).`;
    case "insufficient_permissions": {
      const entities = context.deniedEntities?.length
        ? context.deniedEntities.join(", ")
        : "the listed entities";
      return `Give the API user a security level that can read ${entities} (${USERS_PAGE} > the API user > Security Level), then check again.`;
    }
    case "rate_limited":
      return "Autotask is limiting this database's API requests (10,000 an hour shared by every integration, 3 at once per integration): wait a few minutes and check again.";
    case "autotask_unavailable":
      return "Autotask did not give a usable answer: check again in a few minutes, and look at Autotask's status page if it keeps happening.";
    case "autotask_error":
      return `Autotask refused the request with the message quoted above: check the API user in ${USERS_PAGE} (active, security level, tracking identifier). If it persists, report the quoted message to Kaseya support.`;
    case "too_many_failures": {
      const when = context.retryAt ? `after ${formatTime(context.retryAt)}` : "in 15 minutes";
      if (context.spentOn && context.spentOn.unknown > 0) {
        return `${budgetSpentOn(context.spentOn)}, and Autotask may count each as a failed login, which locks API users: the bot tries this username again ${when}. If Autotask is slow or down, look at its status page; otherwise check the secret, username and tracking identifier meanwhile.`;
      }
      return `This API username failed to log in 3 times in 15 minutes, and Autotask locks API users after repeated failures: check the secret, username and tracking identifier, then try again ${when}.`;
    }
    case "internal_error": {
      const reference = context.requestId ? ` with request id ${context.requestId}` : "";
      return `Something went wrong inside autotask-connect, not in Autotask: try again, and report it${reference} if it happens again.`;
    }
  }
}
