/** Memory of the current process, read the same way in the bot and in the baselines. */

export type MemoryReading = {
  /** Resident set size now, in bytes. */
  rss: number;
  /** V8 heap in use now, in bytes. */
  heapUsed: number;
  /** V8 heap reserved now (what GC keeps for reuse), in bytes. */
  heapTotal: number;
  /** Memory of C++ objects tied to JS objects (Buffers excluded: see arrayBuffers), in bytes. */
  external: number;
  /** ArrayBuffers and Buffers, in bytes (part of `external`). */
  arrayBuffers: number;
  /** Highest RSS since the process started, in bytes. */
  peakRss: number;
  /** Whether a full garbage collection ran first (node --expose-gc). */
  collected: boolean;
};

/** Reads memory, after a full GC when `collect` and global.gc is available. */
export function readMemory(collect: boolean): MemoryReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  const collected = collect && typeof gc === "function";
  if (collected) {
    // Twice: the first pass may only queue finalizers whose objects the second one frees.
    gc();
    gc();
  }
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external - usage.arrayBuffers,
    arrayBuffers: usage.arrayBuffers,
    peakRss: process.resourceUsage().maxRSS * 1_024,
    collected,
  };
}
