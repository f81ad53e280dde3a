/** The least time a check can take under given upstream latencies: the reference of the time-to-verdict phase. Pure. */

/** Latency added by the emulators before every answer, in milliseconds. */
export type UpstreamLatency = { autotaskMs: number; slackMs: number };

/**
 * Autotask calls that must follow one another: zoneInformation (where the user lives), then
 * ThresholdInformation (the credentials, on the zone's host), then the entity probes, all at
 * once (each entity is its own endpoint; Autotask allows 3 concurrent requests per endpoint).
 */
export const SEQUENTIAL_AUTOTASK_CALLS = 3;

export type CriticalPath = { ms: number; describe: string };

/**
 * zoneInformation + ThresholdInformation + the slowest probe + one Slack call (the final
 * chat.update; the parent and the replies can be posted while Autotask answers).
 */
export function criticalPath(latency: UpstreamLatency): CriticalPath {
  const ms = SEQUENTIAL_AUTOTASK_CALLS * latency.autotaskMs + latency.slackMs;
  return {
    ms,
    describe: `critical path ${SEQUENTIAL_AUTOTASK_CALLS}×${latency.autotaskMs}+${latency.slackMs}`,
  };
}
