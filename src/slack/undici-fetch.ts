/**
 * A `fetch` for the Slack WebClient built on undici's `request()`: the same HTTP client as the
 * Autotask calls, answering with the plain `FetchResponse` the WebClient declares it needs
 * (@slack/web-api's WebClient.d.ts) rather than a WHATWG Response, whose streams and transferable
 * objects were a third of the worker's CPU in profiles. Only what WebClient uses is supported:
 * string bodies, headers, a signal, no redirects.
 */
import type { FetchFunction } from "@slack/web-api";
import { type Dispatcher, request } from "undici";
import { requestDeadline } from "../ops/deadline.js";

export type UndiciFetch = FetchFunction;
type FetchResponse = Awaited<ReturnType<FetchFunction>>;
type FetchHeaders = FetchResponse["headers"];

/** Response headers as undici gives them (names lower-cased; repeated ones as arrays). */
class PlainHeaders implements FetchHeaders {
  constructor(private readonly raw: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }

  /** Every header, a repeated one once per value. */
  *entries(): IterableIterator<[string, string]> {
    for (const [name, value] of Object.entries(this.raw)) {
      if (Array.isArray(value)) for (const item of value) yield [name, item];
      else if (value !== undefined) yield [name, value];
    }
  }
}

/** A response already read to its end: its body is text. */
function plainResponse(url: string, status: number, headers: PlainHeaders, body: string) {
  return {
    ok: status >= 200 && status < 300,
    status,
    // HTTP/1.1 reason phrases are optional and undici does not keep them.
    statusText: "",
    url,
    headers,
    text: async () => body,
    json: async (): Promise<unknown> => JSON.parse(body),
    arrayBuffer: async (): Promise<ArrayBuffer> => {
      const bytes = Buffer.from(body, "utf8");
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  } satisfies FetchResponse;
}

/**
 * The fetch, sending through `dispatcher` (the outbound proxy, see ops/proxy.ts).
 * @param dispatcher @defaultValue undici's global dispatcher
 * @param deadlineMs the whole call's deadline, from sending to the last byte of the answer, in
 *   milliseconds: the same cheap deadline as the Autotask client's, instead of the
 *   AbortSignal.timeout that WebClient's `timeout` makes for every call.
 *   @defaultValue none (the caller's signal only)
 */
export function createUndiciFetch(dispatcher?: Dispatcher, deadlineMs?: number): UndiciFetch {
  return async (input, init = {}) => {
    if (init.body !== undefined && typeof init.body !== "string") {
      // File uploads (multipart) are not used by the bot; let the platform handle them.
      return fetch(input, init);
    }
    init.signal?.throwIfAborted();
    const deadline = deadlineMs === undefined ? null : requestDeadline(deadlineMs, init.signal);
    try {
      const response = await request(input, {
        method: (init.method ?? "GET") as "GET" | "POST",
        headers: init.headers,
        body: init.body,
        signal: deadline?.signal ?? init.signal ?? undefined,
        dispatcher,
      });
      const text = await response.body.text();
      return plainResponse(String(input), response.statusCode, new PlainHeaders(response.headers), text);
    } finally {
      deadline?.clear();
    }
  };
}

/** The fetch on undici's global dispatcher (no proxy). */
export const undiciFetch = createUndiciFetch();
