/**
 * Last-line defence: removes registered secrets from any text about to leave the process
 * (log lines, Slack calls, job errors). Structural redaction (pino paths) catches known fields;
 * this catches a secret that slipped into a message, an error or a URL.
 */

export const REDACTED = "[REDACTED]";

/** JSON string escaping without the quotes, as the secret appears inside a serialized string. */
function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** Every spelling of `secret` that outgoing text may carry: as is, URL-encoded, JSON-escaped. */
function spellingsOf(secret: string): string[] {
  const uri = encodeURIComponent(secret);
  const form = new URLSearchParams({ s: secret }).toString().slice(2);
  const json = jsonEscaped(secret);
  const candidates = [
    secret,
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (percent) => percent.toLowerCase()),
    form,
    json,
    // A JSON string inside a JSON string: an error message logged inside a serialized body.
    jsonEscaped(json),
    encodeURIComponent(json),
  ];
  return [...new Set(candidates)].filter((spelling) => spelling !== "");
}

type Span = { start: number; end: number };

/** Start and end of every occurrence, overlapping ones included. */
function occurrences(text: string, needle: string, into: Span[]): void {
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    into.push({ start: at, end: at + needle.length });
  }
}

/**
 * A set of secrets to scrub from text. Registration is counted: the same secret added twice
 * stays registered until both removers have run.
 */
export class SecretScrubber {
  /** Each registered secret: how many registrations hold it, and its spellings (built once). */
  readonly #registered = new Map<string, { count: number; spellings: string[] }>();

  /** Number of distinct secrets registered now. */
  get size(): number {
    return this.#registered.size;
  }

  /**
   * Registers a secret while it is in memory. Empty strings are ignored.
   * @returns a function that unregisters it (idempotent); call it in a `finally`.
   */
  add(secret: string): () => void {
    if (secret === "") return () => {};
    const known = this.#registered.get(secret);
    if (known) known.count += 1;
    else this.#registered.set(secret, { count: 1, spellings: spellingsOf(secret) });
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      const entry = this.#registered.get(secret);
      if (!entry) return;
      entry.count -= 1;
      if (entry.count > 0) return;
      this.#registered.delete(secret);
    };
  }

  /**
   * Replaces each stretch of text covered by any spelling of any registered secret with
   * `[REDACTED]`. Overlapping matches merge, so no fragment of either secret survives.
   */
  scrub(text: string): string {
    if (this.#registered.size === 0 || text === "") return text;
    const spans: Span[] = [];
    for (const { spellings } of this.#registered.values()) {
      for (const spelling of spellings) occurrences(text, spelling, spans);
    }
    if (spans.length === 0) return text;
    spans.sort((a, b) => a.start - b.start);
    let result = "";
    let cursor = 0;
    let current: Span | undefined;
    for (const span of spans) {
      if (current && span.start <= current.end) {
        current.end = Math.max(current.end, span.end);
        continue;
      }
      if (current) {
        result += text.slice(cursor, current.start) + REDACTED;
        cursor = current.end;
      }
      current = { ...span };
    }
    if (current) {
      result += text.slice(cursor, current.start) + REDACTED;
      cursor = current.end;
    }
    return result + text.slice(cursor);
  }

  /**
   * A deep copy of `value` with every string (and object key) scrubbed. Plain objects, arrays and
   * errors are copied; other objects (Dates, Buffers, class instances) are returned as they are.
   */
  scrubValue<T>(value: T): T {
    if (this.#registered.size === 0) return value;
    return this.#copy(value, new WeakMap()) as T;
  }

  #copy(value: unknown, seen: WeakMap<object, unknown>): unknown {
    if (typeof value === "string") return this.scrub(value);
    if (typeof value !== "object" || value === null) return value;
    const known = seen.get(value);
    if (known !== undefined) return known;
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      seen.set(value, copy);
      for (const item of value) copy.push(this.#copy(item, seen));
      return copy;
    }
    if (value instanceof Error) {
      const copy = new Error(this.scrub(value.message));
      seen.set(value, copy);
      copy.name = value.name;
      copy.stack = value.stack === undefined ? undefined : this.scrub(value.stack);
      if (value.cause !== undefined) copy.cause = this.#copy(value.cause, seen);
      for (const [key, item] of Object.entries(value)) {
        (copy as unknown as Record<string, unknown>)[this.scrub(key)] = this.#copy(item, seen);
      }
      return copy;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) return value;
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [key, item] of Object.entries(value)) copy[this.scrub(key)] = this.#copy(item, seen);
    return copy;
  }
}

/**
 * The scrubber of this process. The submission handler registers a secret while it handles it,
 * the worker while a check runs; the logger scrubs every line with it.
 */
export const processScrubber = new SecretScrubber();
