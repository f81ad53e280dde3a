/** Posting to a Slack `response_url` (ephemeral replies; works in channels the bot is not in). */
import { type Dispatcher, request } from "undici";

export type ResponseUrlPoster = (url: string, message: Record<string, unknown>) => Promise<void>;

export type ResponseUrlOptions = {
  /** Hosts a response_url may point at. @defaultValue ["hooks.slack.com"] plus the Web API host in tests */
  allowedHosts: string[];
  /** @defaultValue 5_000 */
  timeoutMs?: number;
  /** The outbound proxy (ops/proxy.ts). @defaultValue undici's global dispatcher */
  dispatcher?: Dispatcher;
};

/** A poster that refuses URLs outside the allowed hosts: the URL round-trips through the client. */
export function createResponseUrlPoster({
  allowedHosts,
  timeoutMs = 5_000,
  dispatcher,
}: ResponseUrlOptions): ResponseUrlPoster {
  const allowed = new Set(allowedHosts.map((host) => host.toLowerCase()));
  return async (url, message) => {
    const parsed = new URL(url);
    if (!allowed.has(parsed.host.toLowerCase()))
      throw new Error(`response_url host ${parsed.host} is not allowed`);
    const response = await request(parsed, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(message),
      // undici's request() never follows redirects.
      signal: AbortSignal.timeout(timeoutMs),
      dispatcher,
    });
    await response.body.dump();
    if (response.statusCode >= 300) {
      throw Object.assign(new Error(`response_url answered ${response.statusCode}`), {
        code: `http_${response.statusCode}`,
      });
    }
  };
}

/** The hosts response URLs may use: Slack's, plus the Web API emulator's when SLACK_API_URL points at one. */
export function responseUrlHosts(slackApiUrl?: string): string[] {
  const hosts = ["hooks.slack.com"];
  if (slackApiUrl) hosts.push(new URL(slackApiUrl).host);
  return hosts;
}
