/**
 * A clock every bench process reads alike: wall time in milliseconds with sub-millisecond
 * resolution (the process's time origin plus its monotonic clock), so a time taken in the
 * emulators' process can be set against one taken in the runner.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
