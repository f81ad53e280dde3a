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

/** The outcome a code implies: only `ok` passes, only `zone_mismatch` is a warning. */
export function outcomeOf(code: ResultCode): Outcome {
  if (code === "ok") return "ok";
  if (code === "zone_mismatch") return "warning";
  return "failed";
}
