/**
 * Slack's posting limit, per channel: "chat.postMessage generally allows posting one message per
 * second per channel", "short bursts >1 allowed" (api.slack.com/docs/rate-limits, "Posting
 * messages"); past it Slack answers HTTP 429 with `Retry-After` in seconds. A token bucket per
 * channel: `burst` posts at once, refilled at `perSecond`.
 */

/** A per-channel posting limit, e.g. `{ perSecond: 1, burst: 5 }`. */
export type PostRateLimit = { perSecond: number; burst: number };

type Bucket = { tokens: number; at: number };

export class ChannelPostLimit {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limit: PostRateLimit,
    private readonly now: () => number,
  ) {}

  /** Takes one post for this channel: null when allowed, else the seconds to wait (Retry-After, >= 1). */
  take(channel: string): number | null {
    const now = this.now();
    const bucket = this.buckets.get(channel) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(
      this.limit.burst,
      bucket.tokens + ((now - bucket.at) / 1_000) * this.limit.perSecond,
    );
    bucket.at = now;
    this.buckets.set(channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return null;
    }
    // Retry-After is whole seconds: round up, so a client that waits it out is let through.
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
  }
}
