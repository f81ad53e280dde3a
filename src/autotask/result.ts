/** The outcome of one credential check: the contract's `CheckResult` (DESIGN.md Part B, "Result"). */

export const RESULT_CODES = [
  "ok",
  "zone_mismatch",
  "unknown_username",
  "invalid_credentials",
  "invalid_tracking_identifier",
  "insufficient_permissions",
  "rate_limited",
  "autotask_unavailable",
  "autotask_error",
  "too_many_failures",
  "internal_error",
] as const;

export type ResultCode = (typeof RESULT_CODES)[number];
export type Outcome = "ok" | "warning" | "failed";
export type CheckName = "domain" | "zone" | "credentials" | "permissions";
export type CheckStatus = "pass" | "warn" | "fail" | "skip";

export type CheckStep = { name: CheckName; status: CheckStatus; detail: string };

export type Usage = { used: number; limit: number; timeframeMinutes: number };

export type CheckResult = {
  requestId: string;
  outcome: Outcome;
  code: ResultCode;
  /** API origin to paste as the "Domain", e.g. `https://webservices15.autotask.net`. */
  apiUrl: string | null;
  /** "15", "prde". */
  zone: string | null;
  /** "America West 2". */
  zoneName: string | null;
  username: string;
  checks: CheckStep[];
  usage: Usage | null;
  /** What the person should do next, one or two sentences. */
  advice: string;
};

/** Share of the hourly request limit from which a working connection is reported as a warning. */
export const USAGE_WARNING_SHARE = 0.8;

/** True when `usage` is at or above {@link USAGE_WARNING_SHARE} of its limit. */
export function isUsageHigh(usage: Usage | null | undefined): boolean {
  return usage != null && usage.limit > 0 && usage.used / usage.limit >= USAGE_WARNING_SHARE;
}

/**
 * The outcome a code implies: only `ok` passes, `zone_mismatch` is a warning, and a working
 * connection whose usage is at or above 80% of the limit is at least a warning (the code stays).
 */
export function outcomeOf(code: ResultCode, usage: Usage | null = null): Outcome {
  if (code === "ok") return isUsageHigh(usage) ? "warning" : "ok";
  if (code === "zone_mismatch") return "warning";
  return "failed";
}
