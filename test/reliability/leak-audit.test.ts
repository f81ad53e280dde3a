/**
 * The leak audit catches a real leak: secrets planted in a log line, a Slack call, a process's
 * output and every kind of Redis value are all found, and the report never prints the secret.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setStackAudit, startStack } from "../../src/demo/stack.js";
import { credentialsOf } from "../support/e2e-helpers.js";
import { auditFolder, folderSink, formatReport, redisHaystack, scanTexts } from "../support/leak-audit.js";
import { activeAudit } from "../support/leak-audit-setup.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

// Not registered with the run's audit: only this file's own folders and prefix ever hold it.
const PLANTED = 'Pl4nted/Secret+"é&=';

describe("the leak audit's scanner", () => {
  const prefix = uniquePrefix("audit-self");
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(testRedisUrl());
    await redis.set(`${prefix}:string`, `x${PLANTED}y`);
    await redis.hset(`${prefix}:hash`, "data", JSON.stringify({ secret: PLANTED }));
    await redis.rpush(`${prefix}:list`, encodeURIComponent(PLANTED));
    await redis.sadd(`${prefix}:set`, Buffer.from(PLANTED).toString("base64"));
    await redis.zadd(`${prefix}:zset`, 1, `m-${PLANTED}`);
    await redis.xadd(`${prefix}:events`, "*", "failedReason", `boom ${PLANTED}`);
    await redis.hset(`${prefix}:clean`, "data", "nothing to see");
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it("finds a secret in every Redis type, in every spelling, and names the key", async () => {
    const hits = scanTexts([PLANTED], await redisHaystack(testRedisUrl(), prefix));
    const where = hits.map((hit) => hit.where.split(" ").at(-1)).sort();
    expect(where).toEqual(
      ["events", "hash", "list", "set", "string", "zset"].map((name) => `${prefix}:${name}`),
    );
  });

  it("finds planted secrets in logs, Slack dumps and process output, and prints only a fingerprint", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leak-audit-self-"));
    try {
      const sink = folderSink(dir);
      sink.secret(PLANTED);
      sink.logLine(`{"level":20,"msg":"debug ${JSON.stringify(PLANTED).slice(1, -1)}"}`);
      sink.slack({
        calls: [{ method: "chat.postMessage", args: { text: PLANTED } }],
        ephemerals: [],
        responsePosts: [],
      });
      sink.output("bot", `started\n${encodeURIComponent(PLANTED)}\n`);
      sink.close();
      const report = await auditFolder(dir);
      expect(report.hits.map((hit) => hit.where)).toEqual([
        expect.stringMatching(/^logs-\d+\.ndjson line 1$/),
        expect.stringMatching(/^slack-\d+-1\.json call 0 \(chat\.postMessage\)$/),
        expect.stringMatching(/^output-\d+-bot\.log line 2$/),
      ]);
      const printed = formatReport(report);
      expect(printed).toContain("3 LEAKS");
      for (const spelling of [PLANTED, encodeURIComponent(PLANTED), JSON.stringify(PLANTED)]) {
        expect(printed).not.toContain(spelling);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("ignores secrets too short to mean anything, and says how many", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leak-audit-short-"));
    try {
      writeFileSync(join(dir, "secrets-1.ndjson"), `${JSON.stringify({ secret: "wrong" })}\n`);
      writeFileSync(join(dir, "logs-1.ndjson"), '{"msg":"something went wrong"}\n');
      const report = await auditFolder(dir);
      expect(report).toMatchObject({ secrets: 0, skippedShortSecrets: 1, hits: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a stack under audit", () => {
  it("records debug lines even when the stack logs nothing, its secrets and its Slack calls", async () => {
    const dir = mkdtempSync(join(tmpdir(), "leak-audit-stack-"));
    const user = {
      username: "audited@acme.example",
      secret: "Aud1ted-Secret!",
      trackingId: "TRACKAUDIT01",
      zone: "15",
    };
    const sink = folderSink(dir);
    setStackAudit(sink);
    try {
      const stack = await startStack({
        redisUrl: testRedisUrl(),
        prefix: uniquePrefix("audit-stack"),
        autotask: { users: [user] },
        logLevel: "silent",
      });
      try {
        await stack.submitCheck({ ...credentialsOf(user), secret: "Typed-Wrong-Secret" });
        await stack.waitForResult(user.username);
      } finally {
        await stack.close();
      }
      sink.close();
      const clean = await auditFolder(dir);
      expect(clean.secrets).toBeGreaterThanOrEqual(4); // API user's, typed, signing secret, credentials key
      expect(clean.logLines).toBeGreaterThan(10);
      expect(clean.slackCalls).toBeGreaterThan(5);
      expect(clean.hits).toEqual([]);

      // The same folder with one leaked line: the audit now fails.
      folderSink(dir).logLine('{"level":30,"msg":"Typed-Wrong-Secret"}');
      expect((await auditFolder(dir)).hits).toHaveLength(1);
    } finally {
      setStackAudit(activeAudit());
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
