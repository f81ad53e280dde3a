/**
 * An HTTP server on loopback that answers 200 and then sends one byte every 50 ms, for ever: each
 * piece arrives well within undici's wait between pieces, so only a whole-call deadline stops a
 * client reading it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export type TrickleServer = { origin: string; close(): Promise<void> };

export async function startTrickleServer(): Promise<TrickleServer> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const drip = setInterval(() => res.write(" "), 50);
    res.on("close", () => clearInterval(drip));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
