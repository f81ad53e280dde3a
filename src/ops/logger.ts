/**
 * The process logger: pino JSON lines (pretty in a terminal), with two layers of redaction.
 * Known secret-bearing fields are censored by path; then every serialized line goes through the
 * {@link SecretScrubber}, which removes a registered secret wherever it slipped in (a message, an
 * error, a request body logged by a library).
 */
import { Writable } from "node:stream";
import { format } from "node:util";
import type { Logger as SlackLogger, LogLevel as SlackLogLevel } from "@slack/bolt";
import { type DestinationStream, type Level, type LevelWithSilent, type Logger, pino } from "pino";
import pretty from "pino-pretty";
import { processScrubber, REDACTED, type SecretScrubber } from "../security/redact.js";

export type { Logger };

/** Field names whose value is a credential wherever they appear (up to two levels down). */
const SECRET_FIELDS = [
  "secret",
  "Secret",
  "SECRET",
  "sealedSecret",
  "password",
  "token",
  "botToken",
  "appToken",
  "signingSecret",
  "authorization",
  "Authorization",
  "credentialsKey",
  "CREDENTIALS_KEY",
  "SLACK_BOT_TOKEN",
  "SLACK_APP_TOKEN",
  "SLACK_SIGNING_SECRET",
  "AUTOTASK_SECRET",
];

const CENSORED_FIELDS = new Set(SECRET_FIELDS);
/** Fields censored only under a parent of this name: request headers, a modal's typed state. */
const CENSORED_UNDER: Record<string, ReadonlySet<string>> = {
  headers: new Set(["secret", "Secret", "authorization", "Authorization", "cookie"]),
  // A view_submission's typed values include the secret; the modal state never needs logging.
  view: new Set(["state"]),
};

/**
 * A log line's fields with every credential field censored: each field of SECRET_FIELDS at the top
 * level and one and two levels down, and CENSORED_UNDER's under their parent. Copies only what it
 * changes (a line without such fields costs a walk, no allocation). pino's path redaction did the
 * same with a compiled function per path, at several times the cost of a whole log line.
 */
export function censorFields<T>(fields: T, depth = 0, parent = ""): T {
  if (typeof fields !== "object" || fields === null) return fields;
  const source = fields as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const value = source[key];
    const censor = CENSORED_FIELDS.has(key) || CENSORED_UNDER[parent]?.has(key) === true;
    const next = censor ? REDACTED : depth < 2 ? censorFields(value, depth + 1, key) : value;
    if (next !== value) {
      copy ??= Array.isArray(source) ? ([...source] as unknown as Record<string, unknown>) : { ...source };
      copy[key] = next;
    }
  }
  return (copy ?? fields) as T;
}

// Slack tokens have a recognisable shape; scrub them even when nobody registered them.
const SLACK_TOKEN = /\bx(?:ox[abposre]|app)-[A-Za-z0-9-]+/g;
// Input values in JSON that Slack's libraries log as text at debug level (Socket Mode logs every
// raw envelope, WebClient every request body): a typed secret arrives there before anyone could
// register it with the scrubber, and a pre-filled tracking identifier would show in full.
const JSON_INPUT_VALUE = /("(?:initial_)?value"\s*:\s*)"(?:[^"\\]|\\.)*"/g;

export type LoggerOptions = {
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Human-readable output through pino-pretty. @defaultValue `process.stdout.isTTY` */
  pretty?: boolean;
  /** Where lines go (tests capture them here). @defaultValue standard output */
  destination?: DestinationStream;
  /** Scrubs every serialized line. @defaultValue {@link processScrubber} */
  scrubber?: SecretScrubber;
};

/**
 * Creates the process logger, on the main thread (no worker-thread transport): a line is redacted
 * and scrubbed before the call returns, then written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const scrubber = options.scrubber ?? processScrubber;
  const wantPretty = options.pretty ?? Boolean(process.stdout.isTTY);
  const sink = wantPretty
    ? pretty({
        sync: true,
        colorize: options.destination === undefined,
        destination: prettyTarget(options.destination),
      })
    : // Synchronous, as pino's default and Node's own stdout to a pipe or file: one write per
      // line. An asynchronous one hands each line to the thread pool and back, about three times
      // the CPU of the write itself at a line or two per check, and loses what is still queued when
      // the process is killed.
      (options.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(
    {
      level: options.level,
      formatters: { log: (fields) => censorFields(fields) },
      hooks: { streamWrite: (line) => scrubber.scrub(line).replace(SLACK_TOKEN, REDACTED) },
    },
    sink,
  );
}

/** pino-pretty pipes into a Node stream; a bare `{ write }` destination is wrapped in one. */
function prettyTarget(destination: DestinationStream | undefined): number | Writable {
  if (destination === undefined) return 1;
  if (destination instanceof Writable) return destination;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      destination.write(chunk.toString());
      done();
    },
  });
}

const TO_SLACK_LEVEL: Record<LevelWithSilent, `${SlackLogLevel}`> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warn: "warn",
  error: "error",
  fatal: "error",
  silent: "error",
};

/**
 * Adapts a pino logger to the `Logger` of `@slack/logger`, for Bolt's `logger` option and the
 * WebClient. Everything those libraries log, debug included, goes through the same redaction.
 *
 * @param name - the `name` field of the lines. @defaultValue "slack"
 */
export function toSlackLogger(logger: Logger, name = "slack"): SlackLogger {
  let current = logger.child({ name });
  const write = (level: Level, parts: unknown[]): void => {
    if (!current.isLevelEnabled(level)) return;
    const err = parts.find((part): part is Error => part instanceof Error);
    const rest = err === undefined ? parts : parts.filter((part) => part !== err);
    const message = (rest.length > 0 ? format(...rest) : (err?.message ?? "")).replace(
      JSON_INPUT_VALUE,
      `$1"${REDACTED}"`,
    );
    if (err === undefined) current[level](message);
    else current[level]({ err }, message);
  };
  return {
    debug: (...parts: unknown[]) => write("debug", parts),
    info: (...parts: unknown[]) => write("info", parts),
    warn: (...parts: unknown[]) => write("warn", parts),
    error: (...parts: unknown[]) => write("error", parts),
    setLevel: (level) => {
      current.level = level;
    },
    getLevel: () => TO_SLACK_LEVEL[current.level as LevelWithSilent] as SlackLogLevel,
    setName: (newName) => {
      const level = current.level;
      current = logger.child({ name: newName });
      current.level = level;
    },
  };
}
