/**
 * The bot's memory over many checks: RSS after a full GC once warm, after 1,000 checks and after
 * 5,000, and the peak. The emulators run in another process, so none of this is theirs.
 */
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { memoryOf } from "../lib/context.js";
import type { MemoryReading } from "../lib/memory.js";
import { runChecks } from "./throughput.js";

export type MemorySamples = {
  warm: MemoryReading;
  after1k: MemoryReading;
  after5k: MemoryReading;
  /** Highest RSS of the whole run, from the kernel's accounting (getrusage). */
  peakRss: number;
};

export async function measureMemory(
  app: AppUnderTest,
  emulators: Emulators,
  options: { warmup: number; concurrency: number },
): Promise<MemorySamples> {
  await runChecks(app, emulators, options.warmup, options.concurrency);
  const warm = await memoryOf(app);
  await runChecks(app, emulators, 1_000, options.concurrency);
  const after1k = await memoryOf(app);
  for (let done = 1_000; done < 5_000; done += 1_000) {
    await runChecks(app, emulators, 1_000, options.concurrency);
  }
  const after5k = await memoryOf(app);
  return { warm, after1k, after5k, peakRss: after5k.peakRss };
}
