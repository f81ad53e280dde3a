/**
 * Sentences and assembly of a `CheckResult`: the wording of each step, the skipped steps, and the
 * scrubbing of credentials from every sentence. Pure.
 */
import type { Refusal } from "./budget.js";
import { type AdviceContext, adviceFor, type Failure } from "./diagnosis.js";
import {
  type CheckName,
  type CheckResult,
  type CheckStep,
  outcomeOf,
  type ResultCode,
  type Usage,
} from "./result.js";
import type { Zone } from "./zones.js";

const STEP_ORDER: CheckName[] = ["domain", "zone", "credentials", "permissions"];

/** "ww5", "prde": the portal host's first label, the name people know their zone by. */
export function zoneShortName(zone: Zone): string {
  return new URL(zone.portalUrl).hostname.split(".")[0] as string;
}

/** "ww5 (America West)", "prde (Deutsch Pre-Release)": how a person sees a zone. */
export function zoneLabel(zone: Zone, name = zone.name): string {
  return `${zoneShortName(zone)} (${name})`;
}

/** The tracking identifier as it may be shown: its last 4 characters ("…1A2B"). */
export function maskTrackingId(trackingId: string): string {
  return trackingId.length > 4 ? `…${trackingId.slice(-4)}` : "…";
}

/** The zone a check uses, with the name to show. */
export type Found = { zone: Zone; zoneName: string } | null;

/** The sentence of a failed request; says so when the login budget stopped a retry. */
export function failedBecause(failure: Failure, refused: Refusal | null): string {
  if (!refused) return failure.reason;
  const why =
    refused.kind === "spent" ? "this username's login budget is spent" : "the login budget could not be read";
  return `${failure.reason}; it was not tried again, because ${why}`;
}

/** An entity whose probe failed for a reason other than permissions, and that reason. */
export type ProbeFailure = { entity: string; reason: string };

/**
 * The permissions step from the probes' outcomes, every entity named: fail if any entity is denied
 * or its probe failed, warn if any is empty.
 */
export function permissionsStep(
  required: string[],
  readable: string[],
  empty: string[],
  denied: string[],
  failed: ProbeFailure[] = [],
): CheckStep {
  if (required.length === 0)
    return step("permissions", "skip", "No entities are required, so no read access was probed.");
  const parts: string[] = [];
  if (denied.length > 0) parts.push(`The API user's security level cannot read ${list(denied)}.`);
  if (readable.length > 0)
    parts.push(`${denied.length > 0 ? "It" : "The API user"} can read ${list(readable)}.`);
  if (empty.length > 0) {
    parts.push(
      `${list(empty)} returned no records: there may be none yet, or the security level may hide them.`,
    );
  }
  for (const { entity, reason } of failed) parts.push(`Reading ${entity} failed: ${reason}.`);
  const status = denied.length > 0 || failed.length > 0 ? "fail" : empty.length > 0 ? "warn" : "pass";
  return step("permissions", status, parts.join(" "));
}

function list(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

export function step(name: CheckName, status: CheckStep["status"], detail: string): CheckStep {
  return { name, status, detail };
}

/** Assembles the result: every step in contract order (unreached ones "skip"), outcome and advice. */
export function buildResult(
  input: { requestId: string; username: string },
  ran: CheckStep[],
  code: ResultCode,
  found: Found,
  usage: Usage | null,
  context: Omit<AdviceContext, "apiUrl" | "usage"> & { deniedEntities: string[]; requestId: string },
  skippedBecause = "Not checked, because an earlier check failed.",
): CheckResult {
  const checks = STEP_ORDER.map(
    (name) => ran.find((done) => done.name === name) ?? step(name, "skip", skippedBecause),
  );
  const apiUrl = found?.zone.apiUrl ?? null;
  return {
    requestId: input.requestId,
    outcome: outcomeOf(code, usage),
    code,
    apiUrl,
    zone: found?.zone.id ?? null,
    zoneName: found?.zoneName ?? null,
    username: input.username,
    checks,
    usage,
    advice: adviceFor(code, { ...context, apiUrl, usage }),
  };
}

/**
 * Last line of defence: the secret, and the tracking identifier beyond its last 4 characters, must
 * not leave in any sentence, even one quoting Autotask. Values shorter than 4 characters are too
 * common as substrings to scrub meaningfully.
 */
export function scrub(result: CheckResult, input: { secret: string; trackingId: string }): CheckResult {
  const clean = (text: string) => scrubText(text, input);
  return {
    ...result,
    zoneName: result.zoneName === null ? null : clean(result.zoneName),
    checks: result.checks.map((check) => ({ ...check, detail: clean(check.detail) })),
    advice: clean(result.advice),
  };
}

/** The text rule of {@link scrub}, for a sentence that leaves before the result is assembled (a step). */
export function scrubText(text: string, input: { secret: string; trackingId: string }): string {
  let out = text;
  // Most sentences hold neither: a scan, not a split and join, is all they cost.
  if (input.secret.length >= 4 && out.includes(input.secret))
    out = out.replaceAll(input.secret, "[redacted]");
  if (input.trackingId.length > 4 && out.includes(input.trackingId)) {
    // A function, so a "$" in the identifier's last characters is not read as a replacement pattern.
    const masked = maskTrackingId(input.trackingId);
    out = out.replaceAll(input.trackingId, () => masked);
  }
  return out;
}
