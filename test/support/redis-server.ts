/**
 * Finds the Redis the tests use (DESIGN.md Part B, "Commands"): REDIS_URL when set; else
 * 127.0.0.1:6379 when something answers; else a private redis-server from PATH on a free port.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const INSTALL_HINT =
  "Tests need Redis >= 6.2. Set REDIS_URL, start one on 127.0.0.1:6379, or install redis-server " +
  "(Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).";

/** Resolves true when a Redis answers PING at host:port within the timeout. */
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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

export type PrivateRedis = { url: string; port: number; stop: () => Promise<void> };

/** Starts a throw-away redis-server; `args` adds options such as `--appendonly yes`. */
export async function startPrivateRedis(args: string[] = [], port?: number): Promise<PrivateRedis> {
  const chosenPort = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "autotask-connect-redis-"));
  let child: ChildProcess;
  try {
    child = spawn("redis-server", ["--port", String(chosenPort), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...args], {
      stdio: "ignore",
    });
  } catch {
    throw new Error(INSTALL_HINT);
  }
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", () => reject(new Error(`redis-server could not be started. ${INSTALL_HINT}`))),
  );
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([redisAnswers("127.0.0.1", chosenPort, 200), spawnError]))) {
    if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${chosenPort}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${chosenPort}`,
    port: chosenPort,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The Redis URL tests should use, and how to stop what was started for them. */
export async function findTestRedis(env = process.env): Promise<{ url: string; stop: () => Promise<void> }> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, stop: async () => {} };
  if (await redisAnswers("127.0.0.1", 6379)) return { url: "redis://127.0.0.1:6379", stop: async () => {} };
  const redis = await startPrivateRedis();
  return { url: redis.url, stop: redis.stop };
}
