/** Who may run /autotask-connect (AUTHORIZED_USERS): workspace admins, everyone, or listed users. */
import type { AuthorizedUsers } from "../config.js";
import { rejectAfter } from "../ops/deadline.js";
import { waitText } from "./admission.js";

export type UserRoles = { isAdmin: boolean; isOwner: boolean };
/** What a role lookup found: the roles, or that Slack rate-limited it (HTTP 429) for this long. */
export type RolesLookup = UserRoles | { rateLimitedForMs: number };
export type Authorization =
  | { ok: true }
  | { ok: false; reason: "not_authorized" }
  /** Slack could not confirm the user's role; `retryAt` when Slack said how long to wait. */
  | { ok: false; reason: "unverifiable"; retryAt?: Date };
export type Authorizer = (userId: string) => Promise<Authorization>;

export type AuthorizerOptions = {
  /**
   * How a user's roles are looked up (users.info). It must answer a 429 at once with
   * `rateLimitedForMs` rather than wait it out: it runs on the ack path.
   */
  lookupRoles: (userId: string) => Promise<RolesLookup>;
  /** How long a lookup is trusted. @defaultValue 5 minutes */
  ttlMs?: number;
  /**
   * How long an expired lookup may still be used while Slack does not answer or rate-limits
   * users.info, so admins who used the bot recently are still served. @defaultValue 1 hour
   */
  staleMs?: number;
  /** The lookup runs before the modal opens, inside Slack's 3 s: bounded. @defaultValue 1_000 */
  timeoutMs?: number;
  now?: () => number;
};

/** Why a role could not be confirmed, for the person: "Slack did not answer in time". */
export function unverifiableCause(authorization: { retryAt?: Date }): string {
  return authorization.retryAt
    ? "Slack is limiting how often I may look up roles"
    : "Slack did not answer in time";
}

/** When to try again: "in a moment", or "in 30 seconds" when Slack said how long to wait. */
export function retryWhen(authorization: { retryAt?: Date }, now = Date.now()): string {
  return authorization.retryAt ? waitText(authorization.retryAt, now) : "in a moment";
}

export function createAuthorizer(policy: AuthorizedUsers, options: AuthorizerOptions): Authorizer {
  const {
    lookupRoles,
    ttlMs = 5 * 60_000,
    staleMs = 60 * 60_000,
    timeoutMs = 1_000,
    now = Date.now,
  } = options;
  const cache = new Map<string, { isAdmin: boolean; until: number }>();
  // While Slack rate-limits users.info, asking again only extends the limit: nobody waits for it.
  let rateLimitedUntil = 0;

  async function isAdmin(userId: string): Promise<boolean | { retryAt?: Date }> {
    const cached = cache.get(userId);
    if (cached && cached.until > now()) return cached.isAdmin;
    const stale = cached && cached.until + staleMs > now() ? cached.isAdmin : undefined;
    if (rateLimitedUntil > now()) return stale ?? { retryAt: new Date(rateLimitedUntil) };
    try {
      const found = await rejectAfter(lookupRoles(userId), timeoutMs, "users.info");
      if ("rateLimitedForMs" in found) {
        rateLimitedUntil = now() + found.rateLimitedForMs;
        return stale ?? { retryAt: new Date(rateLimitedUntil) };
      }
      const admin = found.isAdmin || found.isOwner;
      if (cache.size > 10_000) cache.clear();
      cache.set(userId, { isAdmin: admin, until: now() + ttlMs });
      return admin;
    } catch {
      return stale ?? {};
    }
  }

  return async (userId) => {
    if (policy.kind === "everyone") return { ok: true };
    if (policy.kind === "listed")
      return policy.userIds.includes(userId) ? { ok: true } : { ok: false, reason: "not_authorized" };
    const admin = await isAdmin(userId);
    if (typeof admin === "object") return { ok: false, reason: "unverifiable", ...admin };
    return admin ? { ok: true } : { ok: false, reason: "not_authorized" };
  };
}
