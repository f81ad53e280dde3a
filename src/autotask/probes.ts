/**
 * The entity probes of the permissions step: how each ended, the step that reports every entity,
 * and the code they give the check. Pure.
 */
import type { Answered, Attempted } from "./attempt.js";
import { type Failure, readItemCount } from "./diagnosis.js";
import { failedBecause, permissionsStep } from "./report.js";
import type { CheckStep, ResultCode } from "./result.js";

/** How one entity probe ended. */
export type Probe =
  | { entity: string; kind: "readable" | "empty" | "denied" }
  | { entity: string; kind: "failed"; failure: Failure; reason: string };

/** When probes fail differently, the check's code is the first of these that occurred. */
const PROBE_FAILURE_ORDER: ResultCode[] = [
  "invalid_credentials",
  "invalid_tracking_identifier",
  "autotask_error",
  "rate_limited",
  "autotask_unavailable",
];

/** Reads one probe's last answer. */
export function probeOutcome(entity: string, probed: Attempted): Probe {
  const { reply, failure } = probed.last as Answered;
  if (failure === null) {
    const some = reply.kind === "response" && readItemCount(reply.body.json) > 0;
    return { entity, kind: some ? "readable" : "empty" };
  }
  if (failure.code === "insufficient_permissions") return { entity, kind: "denied" };
  return { entity, kind: "failed", failure, reason: failedBecause(failure, probed.refused) };
}

/**
 * The permissions step naming every entity, the entities denied, and the code of a check that
 * failed a probe (null when every probe answered). A probe that could not finish decides the code
 * before a denial: the verdict on the other entities is then incomplete.
 */
export function probesVerdict(
  required: string[],
  probes: Probe[],
): { step: CheckStep; denied: string[]; code: ResultCode | null } {
  const named = (kind: Probe["kind"]) =>
    probes.filter((probe) => probe.kind === kind).map((probe) => probe.entity);
  const failed = probes.filter(
    (probe): probe is Extract<Probe, { kind: "failed" }> => probe.kind === "failed",
  );
  const denied = named("denied");
  const step = permissionsStep(
    required,
    named("readable"),
    named("empty"),
    denied,
    failed.map((probe) => ({ entity: probe.entity, reason: probe.reason })),
  );
  const worst =
    PROBE_FAILURE_ORDER.find((code) => failed.some((probe) => probe.failure.code === code)) ??
    failed[0]?.failure.code;
  const code = worst ?? (denied.length > 0 ? "insufficient_permissions" : null);
  return { step, denied, code };
}
