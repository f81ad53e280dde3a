/** The processes of a bench run and the helpers every phase uses to drive them. */
import type { EmulatorCounts, EmulatorEndpoints } from "../emulators-server.js";
import type { BenchProcess } from "./ipc.js";
import type { SlackSender } from "./load.js";
import type { MemoryReading } from "./memory.js";

/** An app under test (the bot or its baseline): its process and a sender of signed requests to it. */
export type AppUnderTest = { name: "bot" | "bare"; process: BenchProcess; sender: SlackSender };

export type Emulators = {
  process: BenchProcess;
  endpoints: EmulatorEndpoints;
  counts(): Promise<EmulatorCounts>;
  /** Resolves once the counter reaches `atLeast`; rejects after `timeoutMs`. */
  waitUntil(
    counter: keyof Omit<EmulatorCounts, "failures">,
    atLeast: number,
    timeoutMs?: number,
  ): Promise<void>;
  triggers(count: number): Promise<string[]>;
  /** A response_url for the requests (never posted to on the paths measured). */
  responseUrl: string;
};

export function emulatorsOf(process: BenchProcess, endpoints: EmulatorEndpoints): Emulators {
  return {
    process,
    endpoints,
    counts: () => process.call<EmulatorCounts>("counts"),
    waitUntil: async (counter, atLeast, timeoutMs = 120_000) => {
      await process.call("waitUntil", { counter, atLeast, timeoutMs });
    },
    triggers: (count) => process.call<string[]>("triggers", count),
    responseUrl: `${endpoints.slackOrigin}/response/bench`,
  };
}

export function memoryOf(app: AppUnderTest, collect = true): Promise<MemoryReading> {
  return app.process.call<MemoryReading>("memory", collect);
}

/** Distinct view ids for a whole run: Slack never submits one view twice on purpose. */
let viewSequence = 0;
export function nextViewIds(count: number): string[] {
  return Array.from({ length: count }, () => `VBENCH${(viewSequence++).toString(36).toUpperCase()}`);
}
