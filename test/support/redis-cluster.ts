/** A local 3-master Redis Cluster for tests: three redis-server processes and `redis-cli --cluster create`. */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type EmbeddedRedis, freePort, startEmbeddedRedis } from "../../src/ops/embedded-redis.js";

const run = promisify(execFile);

export type LocalCluster = { nodes: string[]; stop(): Promise<void> };

export async function startLocalCluster(masters = 3): Promise<LocalCluster> {
  const dir = mkdtempSync(join(tmpdir(), "autotask-connect-cluster-"));
  const servers: EmbeddedRedis[] = [];
  try {
    for (let index = 0; index < masters; index += 1) {
      const port = await freePort();
      servers.push(
        await startEmbeddedRedis({
          dir: join(dir, String(port)),
          port,
          appendOnly: false,
          args: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            join(dir, `nodes-${port}.conf`),
            "--cluster-node-timeout",
            "2000",
          ],
        }),
      );
    }
    const nodes = servers.map((server) => `127.0.0.1:${server.port}`);
    await run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: 20_000,
    });
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { stdout } = await run("redis-cli", ["-p", String(servers[0]?.port), "cluster", "info"]);
      if (stdout.includes("cluster_state:ok")) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not become ready:\n${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return {
      nodes,
      async stop() {
        await Promise.all(servers.map((server) => server.stop()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
