/**
 * A private redis-server for machines without one: `npm start` on a laptop, the offline demo, and
 * the tests. Production points REDIS_URL at a managed Redis instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer, Socket } from "node:net";

export const REDIS_INSTALL_HINT =
  "Redis >= 6.2 is needed. Set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server " +
  "(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).";

/** Resolves true when a Redis answers PING at host:port within the timeout. Never throws. */
export function redisAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
    socket.connect(port, host, () => socket.write("PING\r\n"));
  });
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export type EmbeddedRedis = { url: string; port: number; process: ChildProcess; stop(): Promise<void> };

export type EmbeddedRedisOptions = {
  /** Where Redis keeps its files. */
  dir: string;
  /** @defaultValue a free port */
  port?: number;
  /** Append-only file, so queued jobs survive a restart. @defaultValue true */
  appendOnly?: boolean;
  /** Extra redis-server arguments, e.g. `["--cluster-enabled", "yes"]`. */
  args?: string[];
};

/** Starts redis-server from PATH on 127.0.0.1 and resolves once it answers PING. */
export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const port = options.port ?? (await freePort());
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      options.dir,
      "--save",
      "",
      "--appendonly",
      options.appendOnly === false ? "no" : "yes",
      "--maxmemory-policy",
      "noeviction",
      ...(options.args ?? []),
    ],
    { stdio: "ignore" },
  );
  let spawnError: Error | null = null;
  child.once("error", (error) => {
    spawnError = error;
  });
  const deadline = Date.now() + 10_000;
  while (!(await redisAnswers("127.0.0.1", port, 200))) {
    if (spawnError || child.exitCode !== null)
      throw new Error(`redis-server could not be started. ${REDIS_INSTALL_HINT}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not answer on port ${port} within 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
