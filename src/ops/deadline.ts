/** One way to bound a wait: everything the bot awaits on another system has a deadline. */

/**
 * Resolves with the promise's value, or with `fallback()` once `ms` have passed, whichever comes
 * first; a `fallback` that throws rejects. A rejection of the promise passes through. The timer
 * never keeps the process alive.
 */
export function withDeadline<T, F>(promise: Promise<T>, ms: number, fallback: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(fallback());
      } catch (error) {
        reject(error);
      }
    }, ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Like {@link withDeadline}, but rejects with a "timed out" error when the deadline passes. */
export function rejectAfter<T>(promise: Promise<T>, ms: number, what = "the operation"): Promise<T> {
  return withDeadline(promise, ms, () => {
    throw new Error(`${what} timed out after ${ms} ms`);
  }) as Promise<T>;
}
