import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createUndiciFetch, undiciFetch } from "../../src/slack/undici-fetch.js";
import { startTrickleServer } from "../support/trickle-server.js";

let server: Server;
let origin: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      if (req.url === "/limited") {
        res.writeHead(429, { "retry-after": "3", "set-cookie": ["a=1", "b=2"] }).end();
        return;
      }
      if (req.url === "/moved") {
        res.writeHead(302, { location: "https://elsewhere.example/" }).end();
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, method: req.method, type: req.headers["content-type"], body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it("posts a form body and gives back status, headers and JSON as fetch would", async () => {
  const response = await undiciFetch(`${origin}/api/chat.postMessage`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "channel=C1&text=hi",
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(await response.json()).toEqual({
    ok: true,
    method: "POST",
    type: "application/x-www-form-urlencoded",
    body: "channel=C1&text=hi",
  });
});

it("keeps Retry-After and repeated headers, so WebClient honours rate limits", async () => {
  const response = await undiciFetch(`${origin}/limited`, { method: "POST", body: "" });
  expect(response.status).toBe(429);
  expect(response.headers.get("retry-after")).toBe("3");
  const entries = [...response.headers.entries()];
  expect(entries.filter(([name]) => name === "set-cookie")).toEqual([
    ["set-cookie", "a=1"],
    ["set-cookie", "b=2"],
  ]);
});

it("does not follow redirects", async () => {
  const response = await undiciFetch(`${origin}/moved`, { method: "POST", body: "" });
  expect(response.status).toBe(302);
});

it("gives up at the caller's deadline", async () => {
  const hanging = createServer(() => {});
  await new Promise<void>((resolve) => hanging.listen(0, "127.0.0.1", resolve));
  const port = (hanging.address() as AddressInfo).port;
  await expect(
    undiciFetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "", signal: AbortSignal.timeout(100) }),
  ).rejects.toThrow();
  hanging.closeAllConnections();
  await new Promise<void>((resolve) => hanging.close(() => resolve()));
});

it("gives up at its own deadline when an answer trickles in, each piece well within the last", async () => {
  const trickle = await startTrickleServer();
  try {
    const started = Date.now();
    await expect(
      createUndiciFetch(undefined, 300)(`${trickle.origin}/api/chat.postMessage`, {
        method: "POST",
        body: "",
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
  } finally {
    await trickle.close();
  }
});
