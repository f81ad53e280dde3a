/**
 * The CI leak audit (issue 5): during one full test run every bot stack writes what it logged (at
 * debug level), the secrets it was given and what its Slack emulator saw into an audit folder;
 * afterwards this module searches all of it, and every key and value of the run's Redis, for every
 * spelling of every secret. A hit names where it was, never the secret (only a hash and a length).
 *
 * Files in the audit folder, one set per test process (`<pid>` in the name):
 * - `secrets-<pid>.ndjson`: `{"secret":"..."}` lines;
 * - `logs-<pid>.ndjson`: log lines as the loggers wrote them;
 * - `slack-<pid>-<n>.json`: one emulator's calls, ephemerals and response_url posts;
 * - `output-<pid>-<label>.log`: stdout/stderr of bot processes started by tests.
 */
import { createHash } from "node:crypto";
import { appendFileSync, closeSync, openSync, readdirSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { StackAudit } from "../../src/demo/stack.js";

/** Every way a secret may be written where it leaks: plain, URL- and form-encoded, JSON-escaped, base64. */
export function spellingsOf(secret: string): string[] {
  const utf8 = Buffer.from(secret, "utf8");
  return [
    ...new Set([
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ s: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
      utf8.toString("base64"),
      utf8.toString("base64").replace(/=+$/, ""),
      utf8.toString("base64url"),
    ]),
  ];
}

/** Shorter secrets are not searched for: "wrong" or "x" would match ordinary text. */
export const MIN_AUDITED_SECRET_LENGTH = 8;

/** A place where a secret was found. `secret` is a fingerprint, never the secret itself. */
export type LeakHit = { where: string; secret: string };

export type AuditReport = {
  secrets: number;
  /** Secrets given to the run but too short to search for meaningfully. */
  skippedShortSecrets: number;
  logLines: number;
  slackCalls: number;
  outputFiles: number;
  redisKeys: number;
  hits: LeakHit[];
};

/** A secret as it may be printed: its length and the start of its SHA-256. */
export function fingerprint(secret: string): string {
  return `sha256:${createHash("sha256").update(secret).digest("hex").slice(0, 12)} (length ${secret.length})`;
}

/** A searchable text and where it came from. */
export type Haystack = Iterable<[where: string, text: string]>;

/** Every place where any spelling of any secret occurs; one hit per place and secret. */
export function scanTexts(secrets: Iterable<string>, haystack: Haystack): LeakHit[] {
  const needles = [...secrets].map((secret) => ({
    print: fingerprint(secret),
    spellings: spellingsOf(secret),
  }));
  const hits: LeakHit[] = [];
  for (const [where, text] of haystack) {
    for (const needle of needles) {
      if (needle.spellings.some((spelling) => text.includes(spelling))) {
        hits.push({ where, secret: needle.print });
      }
    }
  }
  return hits;
}

/**
 * Every key of a Redis whose name starts with `prefix` (all keys by default), with each part of its
 * value as stored (string; hash fields and values; list, set and sorted-set members; stream entry
 * fields), as scan input. Raw parts, not one serialisation of the whole value, so a secret inside a
 * JSON string is not hidden behind a second layer of escaping.
 */
export async function redisHaystack(redisUrl: string, prefix = ""): Promise<[string, string][]> {
  const redis = new Redis(redisUrl);
  const texts: [string, string][] = [];
  try {
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(
        cursor,
        "MATCH",
        `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`,
        "COUNT",
        1_000,
      );
      cursor = next;
      for (const key of batch) keys.add(key);
    } while (cursor !== "0");
    for (const key of [...keys].sort()) {
      const type = await redis.type(key);
      let parts: string[];
      switch (type) {
        case "string":
          parts = [(await redis.get(key)) ?? ""];
          break;
        case "hash":
          parts = Object.entries(await redis.hgetall(key)).flat();
          break;
        case "list":
          parts = await redis.lrange(key, 0, -1);
          break;
        case "set":
          parts = await redis.smembers(key);
          break;
        case "zset":
          parts = await redis.zrange(key, 0, -1);
          break;
        case "stream":
          parts = (await redis.xrange(key, "-", "+")).flatMap(([id, fields]) => [id, ...fields]);
          break;
        default:
          parts = [`(unreadable type ${type})`];
      }
      texts.push([`Redis ${type} ${key}`, [key, ...parts].join("\n")]);
    }
    return texts;
  } finally {
    await redis.quit();
  }
}

function filesOf(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix))
    .sort();
}

/** The secrets recorded in an audit folder, de-duplicated. */
export function readAuditSecrets(dir: string): string[] {
  const secrets = new Set<string>();
  for (const name of filesOf(dir, "secrets-")) {
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (line.trim() === "") continue;
      secrets.add((JSON.parse(line) as { secret: string }).secret);
    }
  }
  return [...secrets];
}

/**
 * Scans an audit folder (logs, Slack dumps, process output) and, when `redisUrl` is given, every key
 * of that Redis, for every secret recorded in the folder.
 */
export async function auditFolder(dir: string, redisUrl?: string): Promise<AuditReport> {
  const all = readAuditSecrets(dir);
  const secrets = all.filter((secret) => secret.trim().length >= MIN_AUDITED_SECRET_LENGTH);
  const report: AuditReport = {
    secrets: secrets.length,
    skippedShortSecrets: all.length - secrets.length,
    logLines: 0,
    slackCalls: 0,
    outputFiles: 0,
    redisKeys: 0,
    hits: [],
  };
  for (const name of filesOf(dir, "logs-")) {
    const lines = readFileSync(join(dir, name), "utf8").split("\n");
    report.logLines += lines.filter((line) => line !== "").length;
    report.hits.push(
      ...scanTexts(
        secrets,
        lines.map((line, index) => [`${name} line ${index + 1}`, line]),
      ),
    );
  }
  for (const name of filesOf(dir, "slack-")) {
    const dump = JSON.parse(readFileSync(join(dir, name), "utf8")) as {
      calls: { method?: string }[];
      ephemerals: unknown[];
      responsePosts: unknown[];
    };
    report.slackCalls += dump.calls.length;
    report.hits.push(
      ...scanTexts(secrets, [
        ...dump.calls.map((call, index): [string, string] => [
          `${name} call ${index} (${call.method})`,
          JSON.stringify(call),
        ]),
        [`${name} ephemerals`, JSON.stringify(dump.ephemerals)],
        [`${name} response_url posts`, JSON.stringify(dump.responsePosts)],
      ]),
    );
  }
  for (const name of filesOf(dir, "output-")) {
    report.outputFiles += 1;
    const lines = readFileSync(join(dir, name), "utf8").split("\n");
    report.hits.push(
      ...scanTexts(
        secrets,
        lines.map((line, index) => [`${name} line ${index + 1}`, line]),
      ),
    );
  }
  if (redisUrl) {
    const keys = await redisHaystack(redisUrl);
    report.redisKeys = keys.length;
    report.hits.push(...scanTexts(secrets, keys));
  }
  return report;
}

/** The report as a person reads it: figures, then every hit (fingerprints only). */
export function formatReport(report: AuditReport): string {
  const lines = [
    `leak audit: ${report.secrets} secrets searched (${report.skippedShortSecrets} shorter than ${MIN_AUDITED_SECRET_LENGTH} skipped) in ` +
      `${report.logLines} log lines, ${report.slackCalls} Slack calls, ${report.outputFiles} process outputs, ${report.redisKeys} Redis keys`,
    report.hits.length === 0
      ? "leak audit: no secret found anywhere"
      : `leak audit: ${report.hits.length} LEAKS`,
    ...report.hits.map((hit) => `  ${hit.where}: secret ${hit.secret}`),
  ];
  return lines.join("\n");
}

/**
 * The sink every stack of one test process writes to (see setStackAudit). Writes are synchronous,
 * so nothing is lost when the process ends.
 */
export type FolderSink = StackAudit & {
  /** Output of a bot process a test started (stdout and stderr), under a label. */
  output(label: string, text: string): void;
  close(): void;
};

export function folderSink(dir: string): FolderSink {
  const pid = process.pid;
  let logFd: number | null = null;
  let dumps = 0;
  const seen = new Set<string>();
  return {
    logLine(line) {
      logFd ??= openSync(join(dir, `logs-${pid}.ndjson`), "a");
      writeSync(logFd, line.endsWith("\n") ? line : `${line}\n`);
    },
    secret(value) {
      if (seen.has(value)) return;
      seen.add(value);
      appendFileSync(join(dir, `secrets-${pid}.ndjson`), `${JSON.stringify({ secret: value })}\n`);
    },
    prefix() {
      // The audit scans the whole Redis of the run, so prefixes need no record.
    },
    slack(dump) {
      dumps += 1;
      appendFileSync(join(dir, `slack-${pid}-${dumps}.json`), JSON.stringify(dump));
    },
    output(label, text) {
      appendFileSync(join(dir, `output-${pid}-${label.replace(/[^A-Za-z0-9_-]/g, "_")}.log`), text);
    },
    close() {
      if (logFd !== null) closeSync(logFd);
      logFd = null;
    },
  };
}
