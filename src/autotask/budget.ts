/**
 * The login budget (DESIGN.md Part B, "Login budget"): per API username, case-insensitive, at most
 * 3 authenticated requests in any 15 minutes may end without proof that the credentials are valid,
 * because Autotask locks an API user after repeated failed logins.
 *
 * The check core takes a unit before an authenticated request may end without proof, and gives it
 * back only on proof (`provesCredentials` in diagnosis.ts). A unit not given back stays spent for
 * its 15 minutes: a 401, a timeout, a reset, a worker killed mid-request, a Redis error on give-back.
 * The store behind it (Redis for the bot) must make `take` one atomic step across every process.
 */
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.js";

/** A taken unit of the budget: opaque to the check, handed back to `giveBack` or `keep`. */
export type LoginUnit = { readonly id: string; readonly username: string };

/** Why a unit was kept: a rejected login (401, bad tracking identifier) or an unknown outcome. */
export type KeptAs = "rejected" | "unknown";

/** What the units in the window were spent on. Units whose outcome was never written count as unknown. */
export type SpentOn = { rejections: number; unknown: number };

export type BudgetTake =
  | { ok: true; unit: LoginUnit }
  /** Spent: nothing may be sent until `retryAt`. */
  | { ok: false; kind: "spent"; retryAt: Date; spentOn: SpentOn }
  /** The store could not answer: nothing may be sent (fail closed). */
  | { ok: false; kind: "unavailable" };

/** A refusal of `take`. */
export type Refusal = Exclude<BudgetTake, { ok: true }>;

export interface LoginBudget {
  /**
   * Takes a unit for `username` if the budget has one, atomically. It may wait (until `signal`
   * aborts) while the budget is spent only by requests still in flight, since those may come
   * back on proof. Never throws.
   */
  take(username: string, signal?: AbortSignal): Promise<BudgetTake>;
  /** Returns a unit on proof that the credentials are valid. A failure keeps the unit spent. Never throws. */
  giveBack(unit: LoginUnit): Promise<void>;
  /** Writes why a unit stays spent (for the wording of `too_many_failures`). Never throws. */
  keep(unit: LoginUnit, as: KeptAs): Promise<void>;
  /**
   * Counts a request that was sent without a unit and ended without proof (an entity probe after
   * the credentials were just proven), whatever the budget holds. Never throws; it retries a
   * failing store for a few seconds rather than lose the count.
   */
  spend(username: string, as: KeptAs): Promise<void>;
}

/**
 * How long a login's unit may rightly stay pending (taken, outcome not written yet): it is taken
 * before the zone lookup, so it spans that lookup with its retries, then the login, plus a margin.
 * A pending unit older than this belongs to a dead worker and counts as an unknown outcome.
 */
export function loginInFlightMs(timeoutMs: number, retry: RetryPolicy = DEFAULT_RETRY): number {
  const zoneLookup = retry.attempts * timeoutMs + (retry.attempts - 1) * retry.maxDelayMs;
  return zoneLookup + timeoutMs + 5_000;
}

/** The normal form of an API username for the budget: Autotask usernames are case-insensitive. */
export function budgetId(username: string): string {
  return username.trim().toLowerCase();
}

/**
 * A budget for a run that has no shared store (the CLI without Redis): exactly one login attempt
 * per run, never handed back, so a run retries no authenticated request. Nothing counts across
 * runs: it only keeps one run from spending a username's budget alone.
 */
export function createOneAttemptBudget(): LoginBudget {
  const taken = new Set<string>();
  return {
    async take(username) {
      const id = budgetId(username);
      if (taken.has(id)) {
        return {
          ok: false,
          kind: "spent",
          retryAt: new Date(Date.now() + 15 * 60_000),
          spentOn: { rejections: 0, unknown: 1 },
        };
      }
      taken.add(id);
      return { ok: true, unit: { id: "1", username: id } };
    },
    async giveBack() {},
    async keep() {},
    async spend() {},
  };
}
