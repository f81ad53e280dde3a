/**
 * Global setup of the leak-audit run: a fresh Redis and an audit folder for the whole suite; at the
 * end, the scan (logs, Slack calls, process output, every Redis key) and a failed run on any hit.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { auditFolder, formatReport } from "./leak-audit.js";
import { startPrivateRedis } from "./redis-server.js";

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "autotask-connect-leak-audit-"));
  // A Redis of its own, so "every key" means every key this run wrote and nothing else.
  const redis = await startPrivateRedis();
  project.provide("redisUrl", redis.url);
  project.provide("leakAuditDir", dir);
  return async () => {
    try {
      const report = await auditFolder(dir, redis.url);
      process.stdout.write(`\n${formatReport(report)}\n`);
      if (report.secrets === 0 || report.logLines === 0 || report.redisKeys === 0) {
        throw new Error("leak audit: nothing was collected, so the audit proves nothing");
      }
      if (report.hits.length > 0) throw new Error(`leak audit: ${report.hits.length} leaks (listed above)`);
    } catch (error) {
      // Vitest reports a failing teardown but still exits 0: make the run fail.
      process.exitCode = 1;
      throw error;
    } finally {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}
