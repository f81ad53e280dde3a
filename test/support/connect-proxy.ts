/**
 * A minimal forward proxy on loopback, as MSP networks run (squid and the like): HTTP CONNECT
 * tunnels, which is how undici's ProxyAgent sends every request. It records each tunnel's target
 * (`host:port`) so a test can tell what went through it.
 */
import { createServer, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";

export type ConnectProxy = {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY. */
  url: string;
  /** Every CONNECT target, in order, e.g. "127.0.0.1:4002". */
  readonly tunnels: string[];
  close(): Promise<void>;
};

export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => {
    res.writeHead(501, { "content-type": "text/plain" }).end("only CONNECT is supported");
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    tunnels.push(target);
    const [host, port] = [
      target.slice(0, target.lastIndexOf(":")),
      Number(target.slice(target.lastIndexOf(":") + 1)),
    ];
    const upstream = connect(port, host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) socket.on("error", () => {});
    upstream.on("error", () => client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    tunnels,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
