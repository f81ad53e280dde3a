/**
 * What "Fix and retry" pre-fills, kept in Redis under an opaque id so the button's value (visible
 * to anyone who can read the message) carries no username or tracking identifier. Never the secret.
 * It names who ran the check: only they get the tracking identifier back.
 */
import { randomBytes } from "node:crypto";
import type { RedisClient } from "../queue/redis.js";

export type RetryPrefill = {
  portalUrl: string;
  username: string;
  trackingId: string;
  /** The Slack user who ran the check; absent in pre-fills saved before it was kept. */
  requesterId?: string;
};

export type RetryPrefills = {
  save(prefill: RetryPrefill): Promise<string>;
  /** The prefill, or null when it expired or never existed. */
  load(id: string): Promise<RetryPrefill | null>;
};

/** @param ttlSeconds how long the button keeps working. @defaultValue 7 days */
export function createRetryPrefills(
  redis: RedisClient,
  prefix: string,
  ttlSeconds = 7 * 24 * 3600,
): RetryPrefills {
  const keyOf = (id: string) => `${prefix}:retry:${id}`;
  return {
    async save(prefill) {
      const id = randomBytes(16).toString("base64url");
      const { portalUrl, username, trackingId, requesterId } = prefill;
      const record = { portalUrl, username, trackingId, requesterId };
      await redis.set(keyOf(id), JSON.stringify(record), "EX", ttlSeconds);
      return id;
    },
    async load(id) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return null;
      const raw = await redis.get(keyOf(id));
      if (!raw) return null;
      try {
        return JSON.parse(raw) as RetryPrefill;
      } catch {
        return null;
      }
    },
  };
}

/**
 * What the modal may be pre-filled with for `userId`: portal URL and username for anyone allowed
 * to press the button, the tracking identifier only for the person who ran the check.
 */
export function prefillFor(
  prefill: RetryPrefill,
  userId: string,
): { portalUrl: string; username: string; trackingId?: string } {
  const { portalUrl, username, trackingId, requesterId } = prefill;
  return requesterId === userId ? { portalUrl, username, trackingId } : { portalUrl, username };
}
