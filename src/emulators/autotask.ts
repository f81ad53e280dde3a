/**
 * A loopback Autotask REST API for tests and the offline demo, reached through
 * AUTOTASK_ORIGIN_OVERRIDE (`${origin}/${realHost}/atservicesrest/v1.0/...`). It answers with the
 * shapes of REFERENCE.md, records every request, and never keeps a secret it receives: only
 * whether it matched.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ZONE_LOOKUP_HOST } from "../autotask/domain.js";
import { zoneById } from "../autotask/zones.js";

export type EmulatedApiUser = {
  username: string;
  secret: string;
  trackingId: string;
  /** Zone id: "15", "prde". */
  zone: string;
  /** Entities its security level may read. @defaultValue every entity */
  readable?: string[];
  /** Entities that answer with no records. */
  emptyEntities?: string[];
};

export type Fault =
  | { kind: "status"; status: number; body?: string; headers?: Record<string, string> }
  /** Waits, then answers normally (or with the next matching fault). */
  | { kind: "delay"; ms: number }
  /** Destroys the connection without an answer. */
  | { kind: "reset" }
  /** An HTML page, as from a proxy or a maintenance page. @defaultValue status 200 */
  | { kind: "html"; status?: number }
  /** A body that claims to be JSON and is not. */
  | { kind: "garbage" }
  /** "Thread Threshold Exceeded" (Itgenatr005), which may come with a status other than 429. @defaultValue 500 */
  | { kind: "threadThreshold"; status?: number }
  | { kind: "rateLimit"; retryAfterSeconds: number }
  | { kind: "redirect"; location: string }
  /**
   * A JSON `errors` answer that names no known cause, as Autotask sends for server-side faults:
   * .NET's "Object reference not set to an instance of an object." under HTTP 500 is one seen in
   * the wild (REFERENCE.md, "Autotask REST API"). @defaultValue status 500, that message
   */
  | { kind: "errors"; status?: number; messages?: string[] }
  /** Never answers: the request hangs until the client's deadline (or the emulator closes). */
  | { kind: "hang" };

export type FaultMatch = { host?: string; path?: RegExp; username?: string };

export type RecordedRequest = {
  /** The real Autotask host the client meant, lower case (first path segment). */
  host: string;
  method: string;
  /** The path after the host, as sent, e.g. `/atservicesrest/v1.0/ThresholdInformation`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; the `secret` header's value is replaced by "[matched]" or "[not matched]". */
  headers: Record<string, string>;
  /** True when any of the three credential headers was sent. */
  authenticated: boolean;
  /** Milliseconds since the epoch. */
  at: number;
};

export interface AutotaskEmulator {
  /** `http://127.0.0.1:PORT`: the value for AUTOTASK_ORIGIN_OVERRIDE. */
  origin: string;
  requests: RecordedRequest[];
  addUser(user: EmulatedApiUser): void;
  /** Applies `fault` to matching requests, the next `times` of them. @defaultValue times: every one until cleared */
  injectFault(match: FaultMatch, fault: Fault, times?: number): void;
  clearFaults(): void;
  /** ThresholdInformation's request count of a user (every authenticated request counts). */
  usageOf(username: string): number;
  /** Sets a user's request count this hour, as if other integrations of the database had used it. */
  setUsage(username: string, count: number): void;
  close(): Promise<void>;
}

export type EmulatorOptions = {
  users?: EmulatedApiUser[];
  /** How a bad tracking identifier fails: the older 500 "IntegrationCode is invalid." or a bare 401. @defaultValue "500" */
  trackingIdFailure?: "500" | "401";
  /** Added to every answer, in milliseconds. @defaultValue 0 */
  latencyMs?: number;
  /** @defaultValue 10_000 */
  requestThreshold?: number;
};

const PERMISSION_ERROR =
  "The logged in Resource does not have the adequate permissions to query this entity type.";
const API_PREFIX = "/atservicesrest/v1.0/";

type ActiveFault = { match: FaultMatch; fault: Fault; remaining: number };

/** Starts the emulator on 127.0.0.1, on a free port. */
export async function startAutotaskEmulator(options: EmulatorOptions = {}): Promise<AutotaskEmulator> {
  const users = new Map<string, EmulatedApiUser>();
  const usage = new Map<string, number>();
  const faults: ActiveFault[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  const addUser = (user: EmulatedApiUser) => users.set(user.username.toLowerCase(), user);
  for (const user of options.users ?? []) addUser(user);

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  function takeFault(recorded: RecordedRequest, username: string | undefined): Fault | null {
    const index = faults.findIndex(
      ({ match }) =>
        (match.host === undefined || match.host.toLowerCase() === recorded.host) &&
        (match.path === undefined || match.path.test(recorded.path)) &&
        (match.username === undefined ||
          match.username.toLowerCase() === (username ?? recorded.query.user ?? "").toLowerCase()),
    );
    const active = faults[index];
    if (active === undefined) return null;
    active.remaining -= 1;
    if (active.remaining <= 0) faults.splice(index, 1);
    return active.fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const [, host = "", ...rest] = url.pathname.split("/");
    const path = `/${rest.join("/")}`;
    const username = header(req, "username");
    const secret = header(req, "secret");
    const user = username === undefined ? undefined : users.get(username.toLowerCase());
    const secretMatched = secret !== undefined && user !== undefined && secret === user.secret;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers[name] = value;
    }
    if (secret !== undefined) headers.secret = secretMatched ? "[matched]" : "[not matched]";
    const recorded: RecordedRequest = {
      host: decodeURIComponent(host).toLowerCase(),
      method: req.method ?? "GET",
      path,
      query: Object.fromEntries(url.searchParams),
      headers,
      authenticated: [username, secret, header(req, "apiintegrationcode")].some(
        (value) => value !== undefined,
      ),
      at: Date.now(),
    };
    requests.push(recorded);

    if (options.latencyMs) await wait(options.latencyMs);
    for (let fault = takeFault(recorded, username); fault !== null; fault = takeFault(recorded, username)) {
      if (fault.kind !== "delay") return applyFault(res, fault);
      await wait(fault.ms);
    }
    route(res, recorded, user, secretMatched, header(req, "apiintegrationcode"));
  }

  function route(
    res: ServerResponse,
    recorded: RecordedRequest,
    user: EmulatedApiUser | undefined,
    secretMatched: boolean,
    trackingId: string | undefined,
  ) {
    const lower = recorded.path.toLowerCase();
    if (!lower.startsWith(API_PREFIX)) return json(res, 404, { errors: ["Not found"] });
    const endpoint = lower.slice(API_PREFIX.length);
    if (recorded.host === ZONE_LOOKUP_HOST) {
      if (endpoint !== "zoneinformation") return json(res, 404, { errors: ["Not found"] });
      const found = users.get((recorded.query.user ?? "").toLowerCase());
      const zone = found && zoneById(found.zone);
      if (!zone) return json(res, 500, { errors: ["Zone information could not be determined"] });
      return json(res, 200, {
        zoneName: zone.name,
        url: `${zone.apiUrl}/ATServicesRest/`,
        webUrl: `${zone.portalUrl}/`,
        ci: 123,
      });
    }
    const hostZone = zoneOfHost(recorded.host);
    if (hostZone === null) return json(res, 421, { errors: [`${recorded.host} is not an Autotask host`] });
    // Wrong zone, unknown user and bad secret all look alike, as in production.
    if (!user || !secretMatched || user.zone !== hostZone) return unauthorized(res, recorded.host);
    if (trackingId !== user.trackingId) {
      if (options.trackingIdFailure === "401") return unauthorized(res, recorded.host);
      return json(res, 500, { errors: ["IntegrationCode is invalid."] });
    }
    const key = user.username.toLowerCase();
    usage.set(key, (usage.get(key) ?? 0) + 1);
    if (endpoint === "thresholdinformation") {
      return json(res, 200, {
        externalRequestThreshold: options.requestThreshold ?? 10_000,
        requestThresholdTimeframe: 60,
        currentTimeframeRequestCount: usage.get(key),
      });
    }
    const query = /^([a-z][a-z0-9]*)\/query$/.exec(endpoint);
    if (!query) return json(res, 404, { errors: ["Not found"] });
    const entity = query[1] as string;
    const search = parseSearch(recorded.query.search);
    if (!search) return json(res, 500, { errors: ["A query requires a search with a filter."] });
    const readable = user.readable?.some((name) => name.toLowerCase() === entity) ?? true;
    if (!readable) return json(res, 500, { errors: [PERMISSION_ERROR] });
    const empty = user.emptyEntities?.some((name) => name.toLowerCase() === entity) ?? false;
    const pageDetails = { count: empty ? 0 : 1, requestCount: 1, prevPageUrl: null, nextPageUrl: null };
    return json(res, 200, { items: empty ? [] : [{ id: 0 }], pageDetails });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { errors: ["emulator failure"] });
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    addUser,
    injectFault(match, fault, times = Number.POSITIVE_INFINITY) {
      faults.push({ match, fault, remaining: times });
    },
    clearFaults() {
      faults.length = 0;
    },
    usageOf(username) {
      return usage.get(username.toLowerCase()) ?? 0;
    },
    setUsage(username, count) {
      usage.set(username.toLowerCase(), count);
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function zoneOfHost(host: string): string | null {
  const numbered = /^webservices([0-9]{1,2})\.autotask\.net$/.exec(host);
  if (numbered) return numbered[1] as string;
  const self = /^(prde|pres)\.autotask\.net$/.exec(host);
  return self ? (self[1] as string) : null;
}

function parseSearch(search: string | undefined): { filter: unknown[] } | null {
  if (search === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(search);
    const filter = (parsed as { filter?: unknown })?.filter;
    return Array.isArray(filter) && filter.length > 0 ? { filter } : null;
  } catch {
    return null;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

function unauthorized(res: ServerResponse, host: string): void {
  res.writeHead(401, { "www-authenticate": `Basic Realm="${host}"`, "content-length": "0" });
  res.end();
}

/** The .NET message Autotask has been seen to answer a login with, under HTTP 500. */
export const OBJECT_REFERENCE_ERROR = "Object reference not set to an instance of an object.";

function applyFault(res: ServerResponse, fault: Exclude<Fault, { kind: "delay" }>) {
  switch (fault.kind) {
    case "errors":
      return json(res, fault.status ?? 500, { errors: fault.messages ?? [OBJECT_REFERENCE_ERROR] });
    case "hang":
      return;
    case "status":
      res.writeHead(fault.status, { "content-type": "application/json; charset=utf-8", ...fault.headers });
      res.end(fault.body ?? "");
      return;
    case "reset":
      res.socket?.destroy();
      return;
    case "html":
      res.writeHead(fault.status ?? 200, { "content-type": "text/html" });
      res.end(
        "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body>Please wait</body></html>",
      );
      return;
    case "garbage":
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"items":[{"id":\u0000\u00ff garbage');
      return;
    case "threadThreshold":
      return json(res, fault.status ?? 500, {
        errors: ["Thread Threshold Exceeded. Code: Itgenatr005. Too many concurrent requests."],
      });
    case "rateLimit":
      res.writeHead(429, {
        "content-type": "application/json",
        "retry-after": String(fault.retryAfterSeconds),
      });
      res.end(JSON.stringify({ errors: ["Request threshold exceeded."] }));
      return;
    case "redirect":
      res.writeHead(302, { location: fault.location });
      res.end();
      return;
  }
}
