/**
 * The validation procedure of the contract ("Autotask calls"): domain, zone, credentials,
 * permissions, in that order, to one `CheckResult`. Knows nothing of Slack, BullMQ or the
 * environment; the CLI, the worker and the tests all call `runCheck`.
 */
import type { AutotaskClient, AutotaskReply } from "./client.js";
import {
  type AutotaskCall,
  diagnoseReply,
  readItemCount,
  readUsage,
  readZoneAnswer,
  type ZoneAnswer,
} from "./diagnosis.js";
import { resolvePortalUrl } from "./domain.js";
import {
  buildResult,
  type Found,
  maskTrackingId,
  permissionsStep,
  scrub,
  scrubText,
  step,
  zoneLabel,
  zoneShortName,
} from "./report.js";
import type { CheckResult, CheckStep, ResultCode, Usage } from "./result.js";
import { DEFAULT_RETRY, sleep as defaultSleep, type RetryPolicy, retrying, type Sleep } from "./retry.js";
import type { Zone } from "./zones.js";

export type CheckInput = {
  requestId: string;
  portalUrl: string;
  username: string;
  secret: string;
  trackingId: string;
};

export type CheckDeps = {
  client: AutotaskClient;
  /** Entities whose read access is probed, e.g. ["Companies", "Tickets"]. */
  requiredEntities: string[];
  /**
   * Called after each step that ran (domain, zone, credentials, permissions), in order, and awaited.
   * Steps never reached are not reported here (they appear as "skip" in the result). Errors it
   * throws are ignored.
   */
  onStep?: (step: CheckStep) => void | Promise<void>;
  /** Cancels the check; it then ends as autotask_unavailable ("the check was cancelled"). */
  signal?: AbortSignal;
  /** Transient-failure retry budget for each request. @defaultValue `{ attempts: 3, baseDelayMs: 500, maxDelayMs: 5000 }` */
  retry?: Partial<RetryPolicy>;
  /** @defaultValue a timer that an abort cuts short */
  sleep?: Sleep;
  /** Jitter source in [0, 1). @defaultValue Math.random */
  random?: () => number;
};

/** Codes that may pass on their own if the same check runs again later. */
export function isTransient(code: ResultCode): boolean {
  return code === "rate_limited" || code === "autotask_unavailable";
}

/** What a check has learnt so far; a bug that throws half-way still reports it. */
type Progress = { steps: CheckStep[]; found: Found };

/** Runs the check. Never throws: a bug inside becomes the code internal_error. */
export async function runCheck(input: CheckInput, deps: CheckDeps): Promise<CheckResult> {
  const progress: Progress = { steps: [], found: null };
  const finish: Finish = (code, usage = null, deniedEntities = []) =>
    scrub(
      buildResult(input, progress.steps, code, progress.found, usage, {
        deniedEntities,
        requestId: input.requestId,
      }),
      input,
    );
  try {
    return await procedure(input, deps, progress, finish);
  } catch {
    return finish("internal_error");
  }
}

type Finish = (code: ResultCode, usage?: Usage | null, deniedEntities?: string[]) => CheckResult;

async function procedure(
  input: CheckInput,
  deps: CheckDeps,
  progress: Progress,
  finish: Finish,
): Promise<CheckResult> {
  const report = async (ran: CheckStep) => {
    // Steps leave for Slack as they happen, before `finish` scrubs the result: scrub them here too.
    const done = { ...ran, detail: scrubText(ran.detail, input) };
    progress.steps.push(done);
    try {
      await deps.onStep?.(done);
    } catch {
      // A lost thread reply must not change the verdict.
    }
  };
  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  const call = (kind: AutotaskCall, send: () => Promise<AutotaskReply>) =>
    retrying(send, (reply) => diagnoseReply(kind, reply), {
      policy,
      sleep: deps.sleep ?? defaultSleep,
      random: deps.random ?? Math.random,
      signal: deps.signal,
    });
  const { client, signal } = deps;
  const { username } = input;

  // Domain. A bad portal address is caught earlier by the modal and the CLI; here it only warns,
  // because the username lookup can still find the zone, and the result then ends as zone_mismatch.
  const portal = input.portalUrl.trim();
  const resolved = portal === "" ? null : resolvePortalUrl(portal);
  const portalZone = resolved?.ok ? resolved.zone : null;
  if (resolved === null) {
    await report(
      step("domain", "skip", "No portal address was given, so the zone is looked up from the username."),
    );
  } else if (resolved.ok) {
    const { zone } = resolved;
    await report(
      step(
        "domain",
        "pass",
        `The portal address is in ${zoneLabel(zone)}, whose API origin is ${zone.apiUrl}.`,
      ),
    );
  } else {
    await report(
      step(
        "domain",
        "warn",
        `The portal address cannot be used: ${resolved.reason}. The zone is looked up from the username instead.`,
      ),
    );
  }
  progress.found = portalZone ? { zone: portalZone, zoneName: portalZone.name } : null;

  // Zone: Autotask's lookup is the authority; the portal's zone is only a fallback when it is down.
  const zoneReply = await call("zone", () => client.zoneInformation(username, signal));
  const zoneFailure = diagnoseReply("zone", zoneReply);
  const answer: ZoneAnswer = zoneFailure
    ? { ok: false, failure: zoneFailure }
    : readZoneAnswer(zoneReply.kind === "response" ? zoneReply.body.json : null);
  let zone: Zone;
  let fallback = false;
  let mismatch = resolved !== null && !resolved.ok;
  if (answer.ok) {
    zone = answer.zone;
    progress.found = { zone, zoneName: answer.zoneName };
    const reported = zoneLabel(zone, answer.zoneName);
    if (portalZone && portalZone.id !== zone.id) {
      mismatch = true;
      await report(
        step(
          "zone",
          "warn",
          `You entered ${zoneLabel(portalZone)} but this user lives in ${reported}; the checks use ${zoneShortName(zone)}.`,
        ),
      );
    } else {
      await report(step("zone", "pass", `Autotask reports that ${username} lives in ${reported}.`));
    }
  } else {
    const { failure } = answer;
    if (portalZone && failure.retry) {
      zone = portalZone;
      fallback = true;
      await report(
        step(
          "zone",
          "warn",
          `The zone lookup failed (${failure.reason}), so the zone of the portal address, ${zoneLabel(zone)}, is used.`,
        ),
      );
    } else {
      const detail =
        failure.code === "unknown_username"
          ? `Autotask does not know the API username "${username}": ${failure.reason}.`
          : `The zone of ${username} could not be looked up: ${failure.reason}.`;
      await report(step("zone", "fail", detail));
      return finish(failure.code);
    }
  }

  // Credentials: one authenticated request; a rejection is final (retries would lock the API user).
  const credentials = { username, secret: input.secret, trackingId: input.trackingId };
  const who = `${username} with tracking identifier ${maskTrackingId(input.trackingId)}`;
  const thresholdReply = await call("credentials", () =>
    client.thresholdInformation(zone.apiUrl, credentials, signal),
  );
  const credentialFailure = diagnoseReply("credentials", thresholdReply);
  if (credentialFailure) {
    const wrongZone =
      fallback && credentialFailure.code === "invalid_credentials"
        ? " The zone could not be confirmed, so a wrong portal address may also cause this."
        : "";
    await report(
      step(
        "credentials",
        "fail",
        `Checking ${who} at ${zone.apiUrl} failed: ${credentialFailure.reason}.${wrongZone}`,
      ),
    );
    return finish(credentialFailure.code);
  }
  const usage = thresholdReply.kind === "response" ? readUsage(thresholdReply.body.json) : null;
  const usageText = usage
    ? `; ${usage.used.toLocaleString("en-US")} of ${usage.limit.toLocaleString("en-US")} API requests used in the last ${usage.timeframeMinutes} minutes`
    : "; it did not report the API usage";
  await report(step("credentials", "pass", `Autotask accepted ${who}${usageText}.`));

  // Permissions: one read probe per entity, one at a time (Autotask allows 3 threads per integration).
  const readable: string[] = [];
  const empty: string[] = [];
  const denied: string[] = [];
  for (const entity of deps.requiredEntities) {
    const reply = await call("permissions", () =>
      client.queryEntity(zone.apiUrl, entity, credentials, signal),
    );
    const probeFailure = diagnoseReply("permissions", reply);
    if (probeFailure === null) {
      (reply.kind === "response" && readItemCount(reply.body.json) > 0 ? readable : empty).push(entity);
    } else if (probeFailure.code === "insufficient_permissions") {
      denied.push(entity);
    } else {
      await report(step("permissions", "fail", `Reading ${entity} failed: ${probeFailure.reason}.`));
      return finish(probeFailure.code, usage);
    }
  }
  await report(permissionsStep(deps.requiredEntities, readable, empty, denied));
  if (denied.length > 0) return finish("insufficient_permissions", usage, denied);
  return finish(mismatch ? "zone_mismatch" : "ok", usage);
}

/**
 * The result when the lockout guard refuses to try: this API username failed authentication 3 times
 * in 15 minutes. Only the portal address is resolved (no request is made); `retryAt` is when the
 * guard allows the next attempt.
 */
export function tooManyFailuresResult(input: {
  requestId: string;
  username: string;
  portalUrl: string;
  retryAt: Date;
}): CheckResult {
  const resolved = input.portalUrl.trim() === "" ? null : resolvePortalUrl(input.portalUrl);
  const ran: CheckStep[] = [];
  let found: Found = null;
  if (resolved?.ok) {
    found = { zone: resolved.zone, zoneName: resolved.zone.name };
    ran.push(
      step(
        "domain",
        "pass",
        `The portal address is in ${zoneLabel(resolved.zone)}, whose API origin is ${resolved.zone.apiUrl}.`,
      ),
    );
  } else if (resolved) {
    ran.push(step("domain", "warn", `The portal address cannot be used: ${resolved.reason}.`));
  }
  return buildResult(
    input,
    ran,
    "too_many_failures",
    found,
    null,
    { deniedEntities: [], requestId: input.requestId, retryAt: input.retryAt },
    "Not checked: this API username failed to log in 3 times in the last 15 minutes.",
  );
}
