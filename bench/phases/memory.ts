/**
 * The bot's memory over many checks: readings after a full GC once warm and after every batch
 * of checks (1,000 by default, up to 5,000), and the peak RSS. The emulators run in another
 * process, so none of this is theirs.
 */
import type { AppUnderTest, Emulators } from "../lib/context.js";
import { memoryOf } from "../lib/context.js";
import type { MemoryReading } from "../lib/memory.js";
import { runChecks } from "./throughput.js";

export type MemorySamples = {
  warm: MemoryReading;
  /** A reading after each batch, with the number of checks done by then. */
  series: { checks: number; reading: MemoryReading }[];
  /** Highest RSS of the whole run, from the kernel's accounting (getrusage). */
  peakRss: number;
};

/** Live memory after a GC: what the bot's objects hold, whatever the allocator and kernel keep. */
export function liveBytes(reading: MemoryReading): number {
  return reading.heapUsed + reading.external + reading.arrayBuffers;
}

export async function measureMemory(
  app: AppUnderTest,
  emulators: Emulators,
  options: { warmup: number; concurrency: number; batch: number; total: number },
): Promise<MemorySamples> {
  await runChecks(app, emulators, options.warmup, options.concurrency);
  const warm = await memoryOf(app);
  const series: MemorySamples["series"] = [];
  for (let done = 0; done < options.total; ) {
    const batch = Math.min(options.batch, options.total - done);
    await runChecks(app, emulators, batch, options.concurrency);
    done += batch;
    series.push({ checks: done, reading: await memoryOf(app) });
  }
  const last = series[series.length - 1]?.reading ?? warm;
  return { warm, series, peakRss: last.peakRss };
}
