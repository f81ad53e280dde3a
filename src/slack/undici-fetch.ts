/**
 * A `fetch` for the Slack WebClient built on undici's `request()`: the same HTTP client as the
 * Autotask calls, without WHATWG streams on the response path (a third of the worker's CPU went
 * to global fetch and its streams in profiles). Only what WebClient uses is supported: string
 * bodies, headers, a signal, no redirects.
 */
import { type Dispatcher, request } from "undici";

type FetchInit = {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | null;
};

export type UndiciFetch = (input: string | URL, init?: FetchInit) => Promise<Response>;

function headerPairs(headers: Record<string, string | string[] | undefined>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (Array.isArray(value)) for (const item of value) pairs.push([name, item]);
    else if (value !== undefined) pairs.push([name, value]);
  }
  return pairs;
}

/**
 * The fetch, sending through `dispatcher` (the outbound proxy, see ops/proxy.ts).
 * @param dispatcher @defaultValue undici's global dispatcher
 */
export function createUndiciFetch(dispatcher?: Dispatcher): UndiciFetch {
  return async (input, init = {}) => {
    if (init.body !== undefined && typeof init.body !== "string") {
      // File uploads (multipart) are not used by the bot; let the platform handle them.
      return fetch(input, init as RequestInit);
    }
    const response = await request(input, {
      method: (init.method ?? "GET") as "GET" | "POST",
      headers: init.headers,
      body: init.body,
      signal: init.signal ?? undefined,
      dispatcher,
    });
    const text = await response.body.text();
    return new Response(response.statusCode === 204 ? null : text, {
      status: response.statusCode,
      headers: headerPairs(response.headers),
    });
  };
}

/** The fetch on undici's global dispatcher (no proxy). */
export const undiciFetch: UndiciFetch = createUndiciFetch();
