/**
 * A zone watch's run: zoneInformation only, no credentials (outside Autotask's hourly limit). The
 * same client, diagnosis and retry rules as the check's zone step.
 */
import type { AutotaskClient } from "../autotask/client.js";
import { diagnoseReply, readZoneAnswer } from "../autotask/diagnosis.js";
import { outcomeOf } from "../autotask/result.js";
import { DEFAULT_RETRY, sleep as defaultSleep, type RetryPolicy, retrying } from "../autotask/retry.js";
import type { Observation } from "./store.js";

export type ZoneRunDeps = {
  client: Pick<AutotaskClient, "zoneInformation">;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  now?: () => number;
};

/** Looks the username's zone up; never throws. */
export async function lookUpZone(username: string, deps: ZoneRunDeps): Promise<Observation> {
  const at = (deps.now ?? Date.now)();
  const failed = (code: Observation["code"]): Observation => ({
    at,
    mode: "zone",
    outcome: outcomeOf(code),
    code,
    apiUrl: null,
    zone: null,
    zoneName: null,
    usage: null,
  });
  try {
    const reply = await retrying(
      () => deps.client.zoneInformation(username, deps.signal),
      (value) => diagnoseReply("zone", value),
      {
        policy: { ...DEFAULT_RETRY, ...deps.retry },
        sleep: defaultSleep,
        random: Math.random,
        signal: deps.signal,
      },
    );
    const failure = diagnoseReply("zone", reply);
    if (failure) return failed(failure.code);
    const answer = readZoneAnswer(reply.kind === "response" ? reply.body.json : null);
    if (!answer.ok) return failed(answer.failure.code);
    return {
      at,
      mode: "zone",
      outcome: "ok",
      code: "ok",
      apiUrl: answer.zone.apiUrl,
      zone: answer.zone.id,
      zoneName: answer.zoneName,
      usage: null,
    };
  } catch {
    return failed("internal_error");
  }
}
