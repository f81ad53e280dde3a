/**
 * Operations endpoints: `/healthz`, `/readyz`, `/metrics`. The same routes serve as Bolt
 * HTTPReceiver `customRoutes` (one port with `/slack/events`) and on a standalone node:http
 * server (Socket Mode, worker-only processes).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { processScrubber } from "../security/redact.js";
import { withDeadline } from "./deadline.js";
import type { Metrics } from "./metrics.js";

export type ReadinessCheck = {
  /** Key in the `/readyz` body, e.g. "redis", "worker". */
  name: string;
  /** Resolves `ok: false` (or rejects) when the dependency is not usable. */
  check: () => Promise<{ ok: boolean; detail?: string }>;
};

export type OpsRoute = {
  path: string;
  method: string;
  /** Never rejects: Bolt does not await custom route handlers. */
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
};

export type OpsDeps = {
  metrics: Metrics;
  readiness: ReadinessCheck[];
  /** Longest wait for one readiness check, in milliseconds. @defaultValue 2_000 */
  readinessDeadlineMs?: number;
};

type CheckReport = { ok: boolean; detail?: string };

const DETAIL_MAX_CHARS = 200;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return processScrubber.scrub(message).slice(0, DETAIL_MAX_CHARS);
}

/** Runs one check, turning a rejection or a missed deadline into a failed report. */
async function runCheck(readiness: ReadinessCheck, deadlineMs: number): Promise<CheckReport> {
  try {
    const report = await withDeadline(readiness.check(), deadlineMs, () => ({
      ok: false,
      detail: `no answer within ${deadlineMs} ms`,
    }));
    return report.detail === undefined
      ? { ok: report.ok }
      : { ok: report.ok, detail: report.detail.slice(0, DETAIL_MAX_CHARS) };
  } catch (error) {
    return { ok: false, detail: describe(error) };
  }
}

/** Wraps a handler so a failure answers 500 instead of leaving the request hanging. */
function guarded(handler: OpsRoute["handler"]): OpsRoute["handler"] {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { status: "error", detail: describe(error) });
      else res.destroy();
    }
  };
}

/**
 * The ops routes:
 * - `GET /healthz`: 200 `{"status":"ok"}` while the process runs.
 * - `GET /readyz`: 200 when every check passes, else 503; body
 *   `{"status":"ok"|"unavailable","checks":{name:{ok,detail?}}}`. Checks run in parallel, each
 *   bounded by `readinessDeadlineMs`.
 * - `GET /metrics`: the registry in Prometheus text format.
 */
export function opsRoutes(deps: OpsDeps): OpsRoute[] {
  const deadlineMs = deps.readinessDeadlineMs ?? 2_000;
  const { registry } = deps.metrics;
  return [
    {
      path: "/healthz",
      method: "GET",
      handler: guarded((_req, res) => sendJson(res, 200, { status: "ok" })),
    },
    {
      path: "/readyz",
      method: "GET",
      handler: guarded(async (_req, res) => {
        const reports = await Promise.all(deps.readiness.map((readiness) => runCheck(readiness, deadlineMs)));
        const checks = Object.fromEntries(deps.readiness.map((readiness, i) => [readiness.name, reports[i]]));
        const ready = reports.every((report) => report.ok);
        sendJson(res, ready ? 200 : 503, { status: ready ? "ok" : "unavailable", checks });
      }),
    },
    {
      path: "/metrics",
      method: "GET",
      handler: guarded(async (_req, res) => {
        const text = await registry.metrics();
        res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" });
        res.end(text);
      }),
    },
  ];
}

export type OpsServer = {
  /** The bound port (useful when started on port 0). */
  port: number;
  /** Stops accepting connections and resolves once open ones are closed. */
  close(): Promise<void>;
};

/**
 * Serves `routes` on a standalone HTTP server; anything else gets 404 (405 for a known path
 * with another method).
 *
 * @param port - TCP port; 0 picks a free one.
 * @param host - interface to bind. @defaultValue all interfaces
 */
export function startOpsServer(port: number, routes: OpsRoute[], host?: string): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const method = (req.method ?? "GET").toUpperCase();
    const samePath = routes.filter((route) => route.path === path);
    const route = samePath.find((candidate) => candidate.method.toUpperCase() === method);
    if (route) {
      void guarded(route.handler)(req, res);
      return;
    }
    if (samePath.length > 0) {
      res.setHeader("Allow", samePath.map((candidate) => candidate.method.toUpperCase()).join(", "));
      sendJson(res, 405, { status: "error", detail: "method not allowed" });
      return;
    }
    sendJson(res, 404, { status: "error", detail: "not found" });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((closed, failed) => {
            server.close((error) => (error ? failed(error) : closed()));
            server.closeIdleConnections();
          }),
      });
    });
  });
}
