/**
 * A TCP proxy on loopback in front of a real server (Redis, the Slack emulator) that can hold what
 * clients send and let it through later (a server slow to answer), or refuse connections until
 * told otherwise (a firewall that resets them).
 */
import { createServer, type Server, Socket } from "node:net";

export type HoldProxy = {
  /** `redis://127.0.0.1:PORT` for a Redis target. */
  url: string;
  port: number;
  /** From now on, new connections are reset at once. */
  refuse(): void;
  /** From now on, new connections are passed through. */
  admit(): void;
  /** From now on, bytes from clients are kept back (connections stay open). */
  hold(): void;
  /** Sends everything kept back, in order, and passes bytes through again. */
  release(): void;
  close(): Promise<void>;
};

export async function startHoldProxy(target: URL): Promise<HoldProxy> {
  const sockets = new Set<Socket>();
  const flushes = new Set<() => void>();
  let held = false;
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    upstream.connect(Number(target.port || 6379), target.hostname);
    const kept: Buffer[] = [];
    const flush = () => {
      for (const chunk of kept.splice(0)) upstream.write(chunk);
    };
    flushes.add(flush);
    client.on("data", (chunk: Buffer) => {
      if (held) kept.push(chunk);
      else upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    for (const socket of [client, upstream]) socket.on("error", () => {});
    client.on("close", () => {
      flushes.delete(flush);
      upstream.destroy();
    });
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    refuse: () => {
      refusing = true;
    },
    admit: () => {
      refusing = false;
    },
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const flush of flushes) flush();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
