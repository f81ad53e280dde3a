/** One way to bound a wait: everything the bot awaits on another system has a deadline. */
import { EventEmitter } from "node:events";

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

/** What {@link requestDeadline} gives a request: its signal, which of the two fired, and the clean-up. */
export type RequestDeadline = {
  /** For undici's `signal` option, which takes an EventEmitter as well as an AbortSignal. */
  signal: EventEmitter;
  /** True once the deadline, not the caller's signal, aborted the request. */
  timedOut(): boolean;
  /** Stops the timer and the listener; call it when the request ends, however it ends. */
  clear(): void;
};

/**
 * One abort signal for an undici request: fires `ms` after the call, or when `caller` aborts. An
 * EventEmitter, not an AbortController (or AbortSignal.timeout with AbortSignal.any, three
 * signals), which were a measurable share of a check's CPU. A `caller` already aborted is the
 * caller's to handle before sending: an emitter has no "aborted" state for undici to read.
 */
export function requestDeadline(ms: number, caller?: AbortSignal | null): RequestDeadline {
  const signal = new EventEmitter();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signal.emit("abort");
  }, ms);
  const cancel = () => signal.emit("abort");
  caller?.addEventListener("abort", cancel, { once: true });
  return {
    signal,
    timedOut: () => timedOut,
    clear() {
      clearTimeout(timer);
      caller?.removeEventListener("abort", cancel);
    },
  };
}
