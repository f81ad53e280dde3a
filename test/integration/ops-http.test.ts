import type { AddressInfo } from "node:net";
import { HTTPReceiver } from "@slack/bolt";
import { afterEach, describe, expect, it } from "vitest";
import { type OpsServer, opsRoutes, type ReadinessCheck, startOpsServer } from "../../src/ops/http.js";
import { createMetrics, type Metrics, type QueueCounts } from "../../src/ops/metrics.js";

const passing: ReadinessCheck = { name: "redis", check: async () => ({ ok: true, detail: "PONG" }) };
const failing: ReadinessCheck = { name: "worker", check: async () => ({ ok: false, detail: "closing" }) };
const throwing: ReadinessCheck = {
  name: "broken",
  check: async () => {
    throw new Error("connect ECONNREFUSED 127.0.0.1:6379");
  },
};

let open: OpsServer[] = [];
let pendingHangs: (() => void)[] = [];

afterEach(async () => {
  for (const release of pendingHangs) release();
  await Promise.all(open.map((server) => server.close()));
  open = [];
  pendingHangs = [];
});

/** A check that answers only when the test ends. */
function hanging(name: string): ReadinessCheck {
  return {
    name,
    check: () =>
      new Promise((resolve) => {
        pendingHangs.push(() => resolve({ ok: true }));
      }),
  };
}

async function serve(
  readiness: ReadinessCheck[],
  options: { metrics?: Metrics; readinessDeadlineMs?: number } = {},
): Promise<string> {
  const metrics = options.metrics ?? createMetrics();
  const server = await startOpsServer(
    0,
    opsRoutes({ metrics, readiness, readinessDeadlineMs: options.readinessDeadlineMs }),
    "127.0.0.1",
  );
  open.push(server);
  return `http://127.0.0.1:${server.port}`;
}

describe("ops HTTP endpoints", () => {
  it("answers /healthz with 200 while the process runs", async () => {
    const response = await fetch(`${await serve([failing])}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("answers /readyz with 200 when every check passes", async () => {
    const response = await fetch(`${await serve([passing])}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", checks: { redis: { ok: true, detail: "PONG" } } });
  });

  it("answers /readyz with 503 naming the failing check", async () => {
    const response = await fetch(`${await serve([passing, failing, throwing])}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: "unavailable",
      checks: {
        redis: { ok: true, detail: "PONG" },
        worker: { ok: false, detail: "closing" },
        broken: { ok: false, detail: "connect ECONNREFUSED 127.0.0.1:6379" },
      },
    });
  });

  it("answers /readyz with 503 when a check hangs, instead of hanging itself", async () => {
    const base = await serve([passing, hanging("redis-stuck")], { readinessDeadlineMs: 200 });
    const started = performance.now();
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      checks: { redis: { ok: true }, "redis-stuck": { ok: false, detail: "no answer within 200 ms" } },
    });
    expect(performance.now() - started).toBeLessThan(4_000);
  });

  it("serves /metrics in Prometheus text format with every metric and the counts incremented", async () => {
    const queue: QueueCounts = { waiting: 4, active: 2, delayed: 0, failed: 1 };
    const metrics = createMetrics({ queueCounts: async () => queue });
    metrics.checksTotal.inc({ outcome: "failed", code: "invalid_credentials" });
    metrics.checksTotal.inc({ outcome: "failed", code: "invalid_credentials" });
    metrics.checkDuration.observe({ outcome: "failed" }, 1.2);
    metrics.slackCallErrors.inc({ method: "chat.postMessage", error: "not_in_channel" });
    metrics.autotaskCallErrors.inc({ kind: "timeout" });
    metrics.enqueueFailures.inc();

    const response = await fetch(`${await serve([], { metrics })}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const name of [
      "autotask_connect_checks_total",
      "autotask_connect_check_duration_seconds",
      "autotask_connect_queue_jobs",
      "autotask_connect_slack_call_errors_total",
      "autotask_connect_autotask_call_errors_total",
      "autotask_connect_enqueue_failures_total",
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('autotask_connect_checks_total{outcome="failed",code="invalid_credentials"} 2');
    expect(text).toContain('autotask_connect_check_duration_seconds_count{outcome="failed"} 1');
    expect(text).toContain('autotask_connect_queue_jobs{state="waiting"} 4');
    expect(text).toContain('autotask_connect_queue_jobs{state="active"} 2');
    expect(text).toContain("autotask_connect_enqueue_failures_total 1");
  });

  it("still serves /metrics when the queue counts cannot be read", async () => {
    const metrics = createMetrics({
      queueCounts: async () => {
        throw new Error("Connection is closed.");
      },
    });
    const response = await fetch(`${await serve([], { metrics })}/metrics`);
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain("autotask_connect_queue_jobs{");
  });

  it("includes Node.js process metrics only when asked", async () => {
    const withDefaults = await (
      await fetch(`${await serve([], { metrics: createMetrics({ collectDefault: true }) })}/metrics`)
    ).text();
    const without = await (await fetch(`${await serve([])}/metrics`)).text();
    expect(withDefaults).toContain("process_cpu_user_seconds_total");
    expect(without).not.toContain("process_cpu_user_seconds_total");
  });

  it.each([
    ["GET", "/", 404],
    ["GET", "/slack/events", 404],
    ["GET", "/healthz/extra", 404],
    ["POST", "/healthz", 405],
  ])("answers %s %s with %i", async (method, path, status) => {
    const response = await fetch(`${await serve([passing])}${path}`, { method });
    expect(response.status).toBe(status);
    await response.body?.cancel();
  });

  it("ignores the query string when routing", async () => {
    const response = await fetch(`${await serve([passing])}/healthz?probe=1`);
    expect(response.status).toBe(200);
  });
});

describe("ops routes inside Bolt's HTTPReceiver", () => {
  it("serves /healthz, /readyz and /metrics on the Slack port", async () => {
    const metrics = createMetrics();
    metrics.enqueueFailures.inc();
    const receiver = new HTTPReceiver({
      signingSecret: "0123456789abcdef0123456789abcdef",
      customRoutes: opsRoutes({ metrics, readiness: [passing, failing] }),
    });
    const server = await receiver.start({ port: 0, host: "127.0.0.1" });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { worker: { ok: false } } });
      expect(await (await fetch(`${base}/metrics`)).text()).toContain(
        "autotask_connect_enqueue_failures_total 1",
      );
    } finally {
      await receiver.stop();
    }
  });
});
