/**
 * What changed between two findings of a watch: the rule "alert only on change" as a pure function.
 * The zone is compared always; the outcome only between runs of the same kind (a zone-only run
 * after Autotask rejected the secret is not a recovery); usage when it crosses 80% of the limit.
 */
import type { CheckResult, Outcome } from "../autotask/result.js";
import type { Observation, WatchKind } from "./store.js";

export type Change =
  /** Autotask reports another zone than before: the Domain pasted into integrations is stale. */
  | "zone_moved"
  /** The outcome got worse (ok -> warning -> failed), or a failure changed its cause. */
  | "worse"
  | "recovered"
  /** API usage went from under 80% of the limit to 80% or more. */
  | "usage_high";

const RANK: Record<Outcome, number> = { ok: 0, warning: 1, failed: 2 };

/** The share of the hourly limit at which integrations are about to be slowed down or refused. */
export const USAGE_ALERT_RATIO = 0.8;

function usageRatio(observation: Observation): number {
  const usage = observation.usage;
  return usage && usage.limit > 0 ? usage.used / usage.limit : 0;
}

/** A check's result as a watch's finding. */
export function observationOf(result: CheckResult, mode: WatchKind, at: number): Observation {
  return {
    at,
    mode,
    outcome: result.outcome,
    code: result.code,
    apiUrl: result.apiUrl,
    zone: result.zone,
    zoneName: result.zoneName,
    usage: result.usage,
  };
}

/** Every change from `previous` to `current`, most important first; empty when nothing changed. */
export function detectChanges(previous: Observation, current: Observation): Change[] {
  const changes: Change[] = [];
  if (previous.apiUrl && current.apiUrl && previous.apiUrl !== current.apiUrl) changes.push("zone_moved");
  if (previous.mode === current.mode) {
    const before = RANK[previous.outcome];
    const after = RANK[current.outcome];
    const usageCrossed = usageRatio(previous) < USAGE_ALERT_RATIO && usageRatio(current) >= USAGE_ALERT_RATIO;
    // A move's own warning (the watched portal URL is now in another zone) is the move, not news;
    // so is the warning that usage at 80% or more brings by itself (the check core's rule).
    const onlyTheMove = changes.includes("zone_moved") && current.code === "zone_mismatch";
    const onlyTheUsage = usageCrossed && current.outcome === "warning" && current.code === previous.code;
    const worse =
      after > before || (after === before && current.outcome === "failed" && current.code !== previous.code);
    if (worse && !onlyTheMove && !onlyTheUsage) changes.push("worse");
    else if (after < before) changes.push("recovered");
    if (usageCrossed) changes.push("usage_high");
  }
  return changes;
}
