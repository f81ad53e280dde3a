/**
 * The validation procedure of the contract ("Autotask calls"): domain, zone, credentials,
 * permissions, in that order, to one `CheckResult`. Knows nothing of Slack, BullMQ or the
 * environment; the CLI, the worker and the tests all call `runCheck`.
 */
import { type Answered, type Attempted, attempt } from "./attempt.js";
import type { LoginBudget, LoginUnit, Refusal, SpentOn } from "./budget.js";
import type { AutotaskClient, AutotaskReply } from "./client.js";
import { type AutotaskCall, readUsage, readZoneAnswer, type ZoneAnswer } from "./diagnosis.js";
import { resolvePortalUrl } from "./domain.js";
import { probeOutcome, probesVerdict } from "./probes.js";
import {
  buildResult,
  type Found,
  failedBecause,
  maskTrackingId,
  scrub,
  scrubText,
  step,
  zoneLabel,
  zoneShortName,
} from "./report.js";
import type { CheckResult, CheckStep, ResultCode, Usage } from "./result.js";
import { DEFAULT_RETRY, sleep as defaultSleep, type RetryPolicy, type Sleep } from "./retry.js";
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
   * The login budget of API usernames (budget.ts). With it, a spent budget sends nothing at all
   * (looked at before the zone lookup) and ends `too_many_failures`; a store that cannot answer
   * sends nothing and ends `autotask_unavailable` (a later run may pass). The login takes a unit,
   * atomically, right before it is sent, and gives it back only on proof.
   * Entity probes go out together once this check's ThresholdInformation answered 2xx, i.e. on
   * credentials just proven valid, without waiting on the budget; any probe that ends without proof
   * is counted into the budget at once. Without a budget nothing is counted (tests of the procedure).
   */
  budget?: LoginBudget;
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

/** Extra context of a result: denied entities, a budget refusal, advice the code alone cannot give. */
type Extras = { deniedEntities?: string[]; retryAt?: Date; spentOn?: SpentOn; advice?: string };

type Finish = (code: ResultCode, usage?: Usage | null, extras?: Extras) => CheckResult;

/** Runs the check. Never throws: a bug inside becomes the code internal_error. */
export async function runCheck(input: CheckInput, deps: CheckDeps): Promise<CheckResult> {
  const progress: Progress = { steps: [], found: null };
  const finish: Finish = (code, usage = null, extras = {}) =>
    scrub(
      buildResult(input, progress.steps, code, progress.found, usage, {
        deniedEntities: extras.deniedEntities ?? [],
        requestId: input.requestId,
        retryAt: extras.retryAt,
        spentOn: extras.spentOn,
        advice: extras.advice,
      }),
      input,
    );
  try {
    return await procedure(input, deps, progress, finish);
  } catch {
    return finish("internal_error");
  }
}

/** Advice when the budget's store (Redis) could not answer: nothing was sent, a later run may pass. */
const BUDGET_UNAVAILABLE_ADVICE =
  "Nothing was sent to Autotask: the bot could not reach the store where it counts login attempts (Redis), and it does not log in uncounted. Try again in a few minutes; if it keeps happening, tell whoever runs the bot.";

/** The sentence of a step not tried because the login budget refused. */
function notTriedBecause(refusal: Refusal): string {
  if (refusal.kind === "unavailable")
    return "Not checked: the bot could not reach Redis to count the login, so nothing was sent.";
  return refusal.spentOn.unknown > 0
    ? "Not checked: the last login attempts with this API username in 15 minutes ended without a clear answer."
    : "Not checked: this API username failed to log in 3 times in the last 15 minutes.";
}

/** What a refusal of the login budget ends the check with. */
function refusedResult(refusal: Refusal, finish: Finish): CheckResult {
  if (refusal.kind === "unavailable")
    return finish("autotask_unavailable", null, { advice: BUDGET_UNAVAILABLE_ADVICE });
  return finish("too_many_failures", null, { retryAt: refusal.retryAt, spentOn: refusal.spentOn });
}

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
  const { client, signal, budget } = deps;
  const { username } = input;
  const redact = (text: string) => scrubText(text, input);
  const send = (
    call: AutotaskCall,
    request: () => Promise<AutotaskReply>,
    first?: "count-after" | LoginUnit,
  ): Promise<Attempted> =>
    attempt({
      call,
      send: request,
      redact,
      policy: { ...DEFAULT_RETRY, ...deps.retry },
      sleep: deps.sleep ?? defaultSleep,
      random: deps.random ?? Math.random,
      signal,
      budget: budget && first !== undefined ? { store: budget, username, first } : undefined,
    });

  // Domain. A bad portal address is caught earlier by the modal and the CLI; here it only warns,
  // because the username lookup can still find the zone, and the result then ends as zone_mismatch.
  const portal = input.portalUrl.trim();
  const resolved = portal === "" ? null : resolvePortalUrl(portal);
  const portalZone = resolved?.ok ? resolved.zone : null;
  progress.found = portalZone ? { zone: portalZone, zoneName: portalZone.name } : null;

  // The login's unit is taken before the zone lookup: a spent budget sends nothing at all, the
  // lookup included, and one atomic step answers both "may this check start" and "may it log in".
  // A check that ends before its login hands the unit back (one that throws leaves it spent: safe).
  let loginUnit: LoginUnit | undefined;
  if (budget) {
    const taken = await budget.take(username, signal);
    if (!taken.ok) return budgetRefusal(input, resolved, taken, progress, finish);
    loginUnit = taken.unit;
  }

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

  // Zone: Autotask's lookup is the authority; the portal's zone is only a fallback when it is down.
  const zoneAttempt = await send("zone", () => client.zoneInformation(username, signal));
  const zoneAnswered = zoneAttempt.last as Answered;
  const answer: ZoneAnswer = zoneAnswered.failure
    ? { ok: false, failure: zoneAnswered.failure }
    : readZoneAnswer(zoneAnswered.reply.kind === "response" ? zoneAnswered.reply.body.json : null);
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
      if (budget && loginUnit) await budget.giveBack(loginUnit);
      return finish(failure.code);
    }
  }

  // Credentials: one authenticated request on the unit taken above; only an answer that proves the
  // credentials is retried, each retry on a unit of its own, taken (atomically) before it is sent.
  const credentials = { username, secret: input.secret, trackingId: input.trackingId };
  const who = `${username} with tracking identifier ${maskTrackingId(input.trackingId)}`;
  const threshold = await send(
    "credentials",
    () => client.thresholdInformation(zone.apiUrl, credentials, signal),
    loginUnit,
  );
  // The first try always goes out: on the unit taken above, or without a budget at all.
  const thresholdAnswer = threshold.last as Answered;
  if (thresholdAnswer.failure) {
    const wrongZone =
      fallback && thresholdAnswer.failure.code === "invalid_credentials"
        ? " The zone could not be confirmed, so a wrong portal address may also cause this."
        : "";
    await report(
      step(
        "credentials",
        "fail",
        `Checking ${who} at ${zone.apiUrl} failed: ${failedBecause(thresholdAnswer.failure, threshold.refused)}.${wrongZone}`,
      ),
    );
    return finish(thresholdAnswer.failure.code);
  }
  const { reply: thresholdReply } = thresholdAnswer;
  const usage = thresholdReply.kind === "response" ? readUsage(thresholdReply.body.json) : null;
  const usageText = usage
    ? `; ${usage.used.toLocaleString("en-US")} of ${usage.limit.toLocaleString("en-US")} API requests used in the last ${usage.timeframeMinutes} minutes`
    : "; it did not report the API usage";
  await report(step("credentials", "pass", `Autotask accepted ${who}${usageText}.`));

  // Permissions: one read probe per entity, all at once: each entity is its own endpoint, and
  // Autotask allows 3 concurrent requests per integration and endpoint. Each probe's outcome is
  // kept whatever the others do, so a slow or failing one hides nothing.
  const probes = await Promise.all(
    deps.requiredEntities.map(async (entity) =>
      probeOutcome(
        entity,
        await send(
          "permissions",
          () => client.queryEntity(zone.apiUrl, entity, credentials, signal),
          "count-after",
        ),
      ),
    ),
  );
  const verdict = probesVerdict(deps.requiredEntities, probes);
  await report(verdict.step);
  if (verdict.code) return finish(verdict.code, usage, { deniedEntities: verdict.denied });
  return finish(mismatch ? "zone_mismatch" : "ok", usage);
}

/** The result when the budget refused before anything was sent: only the portal address is resolved. */
function budgetRefusal(
  input: CheckInput,
  resolved: ReturnType<typeof resolvePortalUrl> | null,
  refusal: Refusal,
  progress: Progress,
  finish: Finish,
): CheckResult {
  if (refusal.kind === "spent") {
    return tooManyFailuresResult({ ...input, retryAt: refusal.retryAt, spentOn: refusal.spentOn });
  }
  if (resolved?.ok) {
    progress.steps.push(
      step(
        "domain",
        "pass",
        `The portal address is in ${zoneLabel(resolved.zone)}, whose API origin is ${resolved.zone.apiUrl}.`,
      ),
    );
  }
  return refusedResult(refusal, finish);
}

/**
 * The result when the login budget refuses to try: this API username's attempts in the last 15
 * minutes used it up. Only the portal address is resolved (no request is made); `retryAt` is when
 * the budget allows the next attempt, `spentOn` what used it up.
 */
export function tooManyFailuresResult(input: {
  requestId: string;
  username: string;
  portalUrl: string;
  retryAt: Date;
  spentOn?: SpentOn;
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
    {
      deniedEntities: [],
      requestId: input.requestId,
      retryAt: input.retryAt,
      spentOn: input.spentOn,
    },
    notTriedBecause({
      ok: false,
      kind: "spent",
      retryAt: input.retryAt,
      spentOn: input.spentOn ?? { rejections: 3, unknown: 0 },
    }),
  );
}
