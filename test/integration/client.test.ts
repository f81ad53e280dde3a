import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createAutotaskClient, ENTITY_PROBE_SEARCH } from "../../src/autotask/client.js";
import { type AutotaskEmulator, startAutotaskEmulator } from "../../src/emulators/autotask.js";
import { USER_AGENT } from "../../src/version.js";
import { startTrickleServer } from "../support/trickle-server.js";

const user = {
  username: "api@example.com",
  secret: "S3cret!value",
  trackingId: "TRACKINGID0001A2B",
  zone: "5",
};
const credentials = { username: user.username, secret: user.secret, trackingId: user.trackingId };
const API = "https://webservices5.autotask.net";

let emulator: AutotaskEmulator;

beforeAll(async () => {
  emulator = await startAutotaskEmulator({ users: [user] });
});
afterEach(() => {
  emulator.clearFaults();
  emulator.requests.length = 0;
});
afterAll(() => emulator.close());

const client = (timeoutMs = 2_000) => createAutotaskClient({ timeoutMs, originOverride: emulator.origin });

describe("the Autotask client", () => {
  it("looks the zone up without credentials, the real host first in the path", async () => {
    const reply = await client().zoneInformation("api@example.com");
    expect(reply).toMatchObject({
      kind: "response",
      status: 200,
      body: { json: { url: `${API}/ATServicesRest/` } },
    });
    const [seen] = emulator.requests;
    expect(seen).toMatchObject({
      host: "webservices.autotask.net",
      path: "/atservicesrest/v1.0/zoneInformation",
      query: { user: "api@example.com" },
      authenticated: false,
    });
  });

  it("sends the auth headers, Accept and its User-Agent", async () => {
    const reply = await client().thresholdInformation(API, credentials);
    expect(reply).toMatchObject({ kind: "response", status: 200 });
    expect(emulator.requests[0]?.headers).toMatchObject({
      apiintegrationcode: user.trackingId,
      username: user.username,
      secret: "[matched]",
      accept: "application/json",
      "user-agent": USER_AGENT,
    });
  });

  it("queries an entity with the contract's search", async () => {
    const reply = await client().queryEntity(API, "Companies", credentials);
    expect(reply).toMatchObject({ kind: "response", status: 200, body: { json: { items: [{ id: 0 }] } } });
    expect(emulator.requests[0]?.query.search).toBe(ENTITY_PROBE_SEARCH);
  });

  it("reads a 401 with an empty body and WWW-Authenticate", async () => {
    const reply = await client().thresholdInformation(API, { ...credentials, secret: "wrong" });
    expect(reply).toMatchObject({
      kind: "response",
      status: 401,
      wwwAuthenticate: 'Basic Realm="webservices5.autotask.net"',
      body: { json: null, errors: [], text: "" },
    });
  });

  it.each([
    "https://evil.com",
    "https://webservices5.autotask.net.evil.com",
    "https://user:pw@webservices5.autotask.net",
    "https://webservices5.autotask.net:8443",
    "http://webservices5.autotask.net",
    "https://webservices5.autotask.net/elsewhere",
    "not a url",
  ])("opens no connection for %s", async (apiUrl) => {
    const reply = await client().thresholdInformation(apiUrl, credentials);
    expect(reply.kind).toBe("blocked");
    expect(emulator.requests).toHaveLength(0);
  });

  it("sends nothing when a credential contains a line break", async () => {
    const reply = await client().thresholdInformation(API, { ...credentials, secret: "a\r\nX-Injected: 1" });
    expect(reply).toMatchObject({ kind: "network", failure: "other" });
    expect(JSON.stringify(reply)).not.toContain("X-Injected");
    expect(emulator.requests).toHaveLength(0);
  });

  it("does not follow a redirect", async () => {
    emulator.injectFault(
      { path: /ThresholdInformation/ },
      { kind: "redirect", location: "https://evil.com/" },
    );
    const reply = await client().thresholdInformation(API, credentials);
    expect(reply).toMatchObject({ kind: "response", status: 302 });
    expect(emulator.requests).toHaveLength(1);
  });

  it("keeps its deadline when Autotask stalls", async () => {
    emulator.injectFault({}, { kind: "delay", ms: 5_000 }, 1);
    const started = Date.now();
    const reply = await client(300).thresholdInformation(API, credentials);
    expect(reply).toMatchObject({ kind: "network", failure: "timeout" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("keeps its deadline when an answer trickles in, each piece within the wait between pieces", async () => {
    const trickle = await startTrickleServer();
    try {
      const slow = createAutotaskClient({ timeoutMs: 400, originOverride: trickle.origin });
      const started = Date.now();
      const reply = await slow.thresholdInformation(API, credentials);
      expect(reply).toMatchObject({ kind: "network", failure: "timeout" });
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await trickle.close();
    }
  });

  it("reports a cancelled request as aborted", async () => {
    emulator.injectFault({}, { kind: "delay", ms: 5_000 }, 1);
    const controller = new AbortController();
    const pending = client().thresholdInformation(API, credentials, controller.signal);
    controller.abort();
    expect(await pending).toMatchObject({ kind: "network", failure: "aborted" });
  });

  it("reports a reset connection", async () => {
    emulator.injectFault({}, { kind: "reset" }, 1);
    expect(await client().thresholdInformation(API, credentials)).toMatchObject({
      kind: "network",
      failure: "reset",
    });
  });

  it("parses HTML and garbage without throwing", async () => {
    emulator.injectFault({}, { kind: "html", status: 503 }, 1);
    emulator.injectFault({}, { kind: "garbage" }, 1);
    expect(await client().thresholdInformation(API, credentials)).toMatchObject({
      status: 503,
      body: { json: null },
    });
    expect(await client().thresholdInformation(API, credentials)).toMatchObject({
      status: 200,
      body: { json: null },
    });
  });

  it("reads Retry-After", async () => {
    emulator.injectFault({}, { kind: "rateLimit", retryAfterSeconds: 7 }, 1);
    expect(await client().thresholdInformation(API, credentials)).toMatchObject({
      status: 429,
      retryAfterMs: 7_000,
    });
  });
});

describe("network failures", () => {
  let plain: Server;
  let closedPort: number;

  beforeAll(async () => {
    plain = createServer((_req, res) => res.end("{}"));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });
  afterAll(() => new Promise<void>((resolve) => plain.close(() => resolve())));

  it("reports a refused connection", async () => {
    const refused = createAutotaskClient({
      timeoutMs: 2_000,
      originOverride: `http://127.0.0.1:${closedPort}`,
    });
    expect(await refused.zoneInformation("u")).toMatchObject({ kind: "network", failure: "refused" });
  });

  it("reports a TLS failure (https to a server that speaks plain HTTP)", async () => {
    const { port } = plain.address() as AddressInfo;
    const tls = createAutotaskClient({ timeoutMs: 2_000, originOverride: `https://127.0.0.1:${port}` });
    expect(await tls.zoneInformation("u")).toMatchObject({ kind: "network", failure: "tls" });
  });
});
