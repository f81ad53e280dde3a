/** Who may run /autotask-connect (AUTHORIZED_USERS): workspace admins, everyone, or listed users. */
import type { AuthorizedUsers } from "../config.js";
import { rejectAfter } from "../ops/deadline.js";

export type UserRoles = { isAdmin: boolean; isOwner: boolean };
export type Authorization = { ok: true } | { ok: false; reason: "not_authorized" | "unverifiable" };
export type Authorizer = (userId: string) => Promise<Authorization>;

export type AuthorizerOptions = {
  /** How a user's roles are looked up (users.info). */
  lookupRoles: (userId: string) => Promise<UserRoles>;
  /** How long a lookup is trusted. @defaultValue 5 minutes */
  ttlMs?: number;
  /** The lookup runs before the modal opens, inside Slack's 3 s: bounded. @defaultValue 1_000 */
  timeoutMs?: number;
  now?: () => number;
};

export function createAuthorizer(policy: AuthorizedUsers, options: AuthorizerOptions): Authorizer {
  const { lookupRoles, ttlMs = 5 * 60_000, timeoutMs = 1_000, now = Date.now } = options;
  const cache = new Map<string, { isAdmin: boolean; until: number }>();

  async function isAdmin(userId: string): Promise<boolean | null> {
    const cached = cache.get(userId);
    if (cached && cached.until > now()) return cached.isAdmin;
    try {
      const roles = await rejectAfter(lookupRoles(userId), timeoutMs, "users.info");
      const admin = roles.isAdmin || roles.isOwner;
      if (cache.size > 10_000) cache.clear();
      cache.set(userId, { isAdmin: admin, until: now() + ttlMs });
      return admin;
    } catch {
      return null;
    }
  }

  return async (userId) => {
    if (policy.kind === "everyone") return { ok: true };
    if (policy.kind === "listed")
      return policy.userIds.includes(userId) ? { ok: true } : { ok: false, reason: "not_authorized" };
    const admin = await isAdmin(userId);
    if (admin === null) return { ok: false, reason: "unverifiable" };
    return admin ? { ok: true } : { ok: false, reason: "not_authorized" };
  };
}
