/**
 * The Autotask REST calls of the check, on undici. Every request goes to an allow-listed host
 * only, follows no redirect and has a deadline; every outcome, network failures included, is a
 * value (`AutotaskReply`), never an exception.
 */
import { type Dispatcher, request } from "undici";
import { requestDeadline } from "../ops/deadline.js";
import { USER_AGENT } from "../version.js";
import { isAllowedApiHost, ZONE_LOOKUP_HOST } from "./domain.js";

export type AutotaskClientOptions = {
  /** Deadline of one request, from the first byte sent to the last byte read, in milliseconds. */
  timeoutMs: number;
  /**
   * Tests and emulators only: send every request to this origin with the real host as the first
   * path segment (`https://HOST/path` -> `${originOverride}/HOST/path`).
   */
  originOverride?: string;
  /** @defaultValue `USER_AGENT` from version.ts */
  userAgent?: string;
  /** @defaultValue undici's global dispatcher */
  dispatcher?: Dispatcher;
};

export type Credentials = { username: string; secret: string; trackingId: string };

export type ParsedBody = {
  /** The body parsed as JSON, or null when it is empty or not JSON. */
  json: unknown | null;
  /** Messages of a `{"errors":[...]}` (or `{"Message":...}`) body, under any status. */
  errors: string[];
  /** The first 500 characters of the body, for diagnosis only; never log it next to credentials. */
  text: string;
};

export type NetworkFailure = "timeout" | "refused" | "reset" | "tls" | "dns" | "aborted" | "other";

export type AutotaskReply =
  | {
      kind: "response";
      status: number;
      /** From `Retry-After` (seconds or an HTTP date), in milliseconds; null when absent. */
      retryAfterMs: number | null;
      wwwAuthenticate: string | null;
      body: ParsedBody;
    }
  | { kind: "network"; failure: NetworkFailure; detail: string }
  /** The host is not an Autotask API host: no request was made. */
  | { kind: "blocked"; host: string };

export interface AutotaskClient {
  /** `GET zoneInformation?user=` on the zone lookup host, without credentials. */
  zoneInformation(username: string, signal?: AbortSignal): Promise<AutotaskReply>;
  /** `GET ThresholdInformation` on `apiUrl` (an API origin such as `https://webservices5.autotask.net`). */
  thresholdInformation(
    apiUrl: string,
    credentials: Credentials,
    signal?: AbortSignal,
  ): Promise<AutotaskReply>;
  /** `GET {entity}/query` for one record id: proves the API user's security level can read the entity. */
  queryEntity(
    apiUrl: string,
    entity: string,
    credentials: Credentials,
    signal?: AbortSignal,
  ): Promise<AutotaskReply>;
}

const API_PATH = "/atservicesrest/v1.0";
/** The contract's probe: one id, with the filter a query requires. */
export const ENTITY_PROBE_SEARCH = JSON.stringify({
  MaxRecords: 1,
  IncludeFields: ["id"],
  filter: [{ op: "gte", field: "id", value: 0 }],
});
const MAX_BODY_BYTES = 64 * 1024;
const CANCELLED: AutotaskReply = { kind: "network", failure: "aborted", detail: "the check was cancelled" };
const MAX_TEXT_CHARS = 500;
// Header values must be visible Latin-1; undici would throw on anything else, with the value in reach.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Creates the client. Nothing is sent until a method is called. */
export function createAutotaskClient(options: AutotaskClientOptions): AutotaskClient {
  const userAgent = options.userAgent ?? USER_AGENT;

  async function get(
    host: string,
    pathAndQuery: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<AutotaskReply> {
    if (!isAllowedApiHost(host)) return { kind: "blocked", host };
    const url = options.originOverride
      ? `${options.originOverride.replace(/\/+$/, "")}/${host}${pathAndQuery}`
      : `https://${host}${pathAndQuery}`;
    if (signal?.aborted) return CANCELLED;
    const deadline = requestDeadline(options.timeoutMs, signal);
    try {
      const response = await request(url, {
        method: "GET",
        headers: { accept: "application/json", "user-agent": userAgent, ...headers },
        signal: deadline.signal,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
        dispatcher: options.dispatcher,
      });
      // A body whose announced length fits is read in one go (undici holds it to that length);
      // one without, or longer, is read piece by piece up to the cap.
      const length = Number(headerValue(response.headers["content-length"]) ?? Number.NaN);
      const text = length <= MAX_BODY_BYTES ? await response.body.text() : await readCapped(response.body);
      return {
        kind: "response",
        status: response.statusCode,
        retryAfterMs: parseRetryAfter(headerValue(response.headers["retry-after"]), Date.now()),
        wwwAuthenticate: headerValue(response.headers["www-authenticate"]),
        body: parseBody(text),
      };
    } catch (error) {
      if (signal?.aborted) return CANCELLED;
      if (deadline.timedOut()) {
        return {
          kind: "network",
          failure: "timeout",
          detail: `no complete answer within ${options.timeoutMs} ms`,
        };
      }
      return classifyNetworkError(error);
    } finally {
      deadline.clear();
    }
  }

  function authHeaders(credentials: Credentials): Record<string, string> | null {
    const values = [credentials.username, credentials.secret, credentials.trackingId];
    if (!values.every((value) => HEADER_VALUE.test(value))) return null;
    return {
      apiintegrationcode: credentials.trackingId,
      username: credentials.username,
      secret: credentials.secret,
    };
  }

  function authenticated(
    apiUrl: string,
    pathAndQuery: string,
    credentials: Credentials,
    signal?: AbortSignal,
  ): Promise<AutotaskReply> {
    const host = apiHostOf(apiUrl);
    if (host === null) return Promise.resolve({ kind: "blocked", host: apiUrl.slice(0, 100) });
    const headers = authHeaders(credentials);
    if (headers === null) {
      return Promise.resolve({
        kind: "network",
        failure: "other",
        detail:
          "the username, secret or tracking identifier contains characters that cannot be sent, such as line breaks",
      });
    }
    return get(host, pathAndQuery, headers, signal);
  }

  return {
    zoneInformation(username, signal) {
      return get(
        ZONE_LOOKUP_HOST,
        `${API_PATH}/zoneInformation?user=${encodeURIComponent(username)}`,
        {},
        signal,
      );
    },
    thresholdInformation(apiUrl, credentials, signal) {
      return authenticated(apiUrl, `${API_PATH}/ThresholdInformation`, credentials, signal);
    },
    queryEntity(apiUrl, entity, credentials, signal) {
      const path = `${API_PATH}/${encodeURIComponent(entity)}/query?search=${encodeURIComponent(ENTITY_PROBE_SEARCH)}`;
      return authenticated(apiUrl, path, credentials, signal);
    },
  };
}

/** The host of an API origin, or null unless it is a bare `https://host` (no userinfo, port or path). */
function apiHostOf(apiUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.username || url.password || url.port) return null;
  if (url.pathname !== "/" || url.search || url.hash) return null;
  return url.hostname;
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    // Only the start matters for diagnosis; the rest is dropped (breaking out destroys the stream).
    if (size >= MAX_BODY_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY_BYTES).toString("utf8");
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

/**
 * `Retry-After` in milliseconds from `now`: delta seconds or an HTTP date; null when absent or
 * unreadable. Never negative.
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Defensive parsing of any body: empty, HTML, truncated JSON or `{"errors":[...]}` under any status. */
export function parseBody(text: string): ParsedBody {
  const trimmed = text.trim();
  let json: unknown = null;
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      json = JSON.parse(trimmed);
    } catch {
      json = null;
    }
  }
  return { json, errors: errorsOf(json), text: text.slice(0, MAX_TEXT_CHARS) };
}

function errorsOf(json: unknown): string[] {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return [];
  const record = json as Record<string, unknown>;
  const errors: string[] = [];
  if (Array.isArray(record.errors)) {
    for (const entry of record.errors) {
      if (typeof entry === "string") errors.push(entry);
      else if (
        typeof entry === "object" &&
        entry !== null &&
        typeof (entry as { message?: unknown }).message === "string"
      ) {
        errors.push((entry as { message: string }).message);
      }
    }
  }
  // ASP.NET's own error shape, seen when the failure happens before Autotask's code runs.
  for (const key of ["Message", "message"]) {
    if (typeof record[key] === "string") errors.push(record[key] as string);
  }
  return errors;
}

const TIMEOUT_CODES = new Set([
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "ETIMEDOUT",
]);
const RESET_CODES = new Set(["ECONNRESET", "UND_ERR_SOCKET", "EPIPE", "ECONNABORTED", "UND_ERR_CLOSED"]);
const DNS_CODES = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NODATA", "EAI_FAIL"]);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$|ERR_OSSL_)/;

const FAILURE_DETAIL: Record<NetworkFailure, string> = {
  timeout: "the request timed out",
  refused: "the connection was refused",
  reset: "the connection was closed before the answer was complete",
  tls: "the secure connection (TLS) could not be established",
  dns: "the host name could not be resolved",
  aborted: "the check was cancelled",
  other: "the request failed",
};

/**
 * Classifies a network error by the codes on it and its causes. The detail names the code, never
 * the error's message (which may quote request data).
 */
export function classifyNetworkError(error: unknown): Extract<AutotaskReply, { kind: "network" }> {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth++) {
    const { code, name, cause } = current as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof code === "string") codes.push(code);
    if (name === "TimeoutError") codes.push("ETIMEDOUT");
    if (name === "AbortError") codes.push("ABORT_ERR");
    current = cause;
  }
  const failure = failureOf(codes);
  const code = codes[0];
  return {
    kind: "network",
    failure,
    detail: code ? `${FAILURE_DETAIL[failure]} (${code})` : FAILURE_DETAIL[failure],
  };
}

function failureOf(codes: string[]): NetworkFailure {
  if (codes.some((code) => TIMEOUT_CODES.has(code))) return "timeout";
  if (codes.includes("ECONNREFUSED")) return "refused";
  if (codes.some((code) => TLS_CODE.test(code))) return "tls";
  if (codes.some((code) => DNS_CODES.has(code))) return "dns";
  if (codes.some((code) => RESET_CODES.has(code))) return "reset";
  if (codes.includes("ABORT_ERR") || codes.includes("UND_ERR_ABORTED")) return "aborted";
  return "other";
}
