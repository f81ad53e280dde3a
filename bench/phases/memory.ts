/**
 * The bot's memory over many checks: RSS after a full GC once warm, after 1,000 checks and after
 * 5,000 (by default), and the peak. The emulators run in another process, so none of this is theirs.
 */
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { memoryOf } from "../lib/context.js";
import type { MemoryReading } from "../lib/memory.js";
import { runChecks } from "./throughput.js";

export type MemorySamples = {
  /** After the first and after the last count of checks, e.g. [1_000, 5_000]. */
  checks: [number, number];
  warm: MemoryReading;
  afterFirst: MemoryReading;
  afterLast: MemoryReading;
  /** Highest RSS of the whole run, from the kernel's accounting (getrusage). */
  peakRss: number;
};

export async function measureMemory(
  app: AppUnderTest,
  emulators: Emulators,
  options: { warmup: number; concurrency: number; checks: [number, number] },
): Promise<MemorySamples> {
  const [first, last] = options.checks;
  await runChecks(app, emulators, options.warmup, options.concurrency);
  const warm = await memoryOf(app);
  await runChecks(app, emulators, first, options.concurrency);
  const afterFirst = await memoryOf(app);
  // In batches of `first`, as a busy day would bring them.
  for (let done = first; done < last; done += first) {
    await runChecks(app, emulators, Math.min(first, last - done), options.concurrency);
  }
  const afterLast = await memoryOf(app);
  return { checks: options.checks, warm, afterFirst, afterLast, peakRss: afterLast.peakRss };
}
