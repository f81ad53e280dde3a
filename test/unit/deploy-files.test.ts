import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ENV_VARIABLES } from "../../src/config.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(`${root}${path}`, "utf8");

type Service = {
  build?: unknown;
  image?: string;
  command?: string[];
  ports?: unknown[];
  env_file?: string | string[];
  environment?: Record<string, string> | string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  volumes?: string[];
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const composeText = read("docker-compose.yml");
const compose = parse(composeText, { merge: true }) as Compose;
const dockerfile = read("Dockerfile");
const envExample = read(".env.example");
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no ${name} service`);
  return found;
};

function environmentNames(environment: Service["environment"]): string[] {
  if (!environment) return [];
  return Array.isArray(environment)
    ? environment.map((entry) => entry.split("=")[0] as string)
    : Object.keys(environment);
}

/** `NAME=value` lines, commented out or not. */
const exampleNames = [...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map(
  (match) => match[1] as string,
);

describe(".env.example", () => {
  it.each(ENV_VARIABLES)("documents %s", (name) => {
    expect(exampleNames).toContain(name);
  });

  it("defines only variables the configuration reads", () => {
    expect(exampleNames.filter((name) => !ENV_VARIABLES.includes(name))).toEqual([]);
  });

  it("leaves every variable with a default commented out (an empty PORT or QUEUE_PREFIX is invalid)", () => {
    const active = [...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => match[1]);
    expect(active.sort()).toEqual(["CREDENTIALS_KEY", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"]);
  });
});

describe("docker-compose.yml", () => {
  it("passes the bot only variables the configuration reads", () => {
    const passed = Object.entries(compose.services)
      .filter(([name]) => name !== "redis")
      .flatMap(([, bot]) => environmentNames(bot.environment));
    const interpolated = [...composeText.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map(
      (match) => match[1] as string,
    );
    expect(passed.length).toBeGreaterThan(0);
    expect([...passed, ...interpolated].filter((name) => !ENV_VARIABLES.includes(name))).toEqual([]);
  });

  it("runs web and worker from one image with their roles, configured from .env, after Redis is healthy", () => {
    for (const [name, role] of [
      ["web", "web"],
      ["worker", "worker"],
    ] as const) {
      const bot = service(name);
      expect(bot.build).toBe(".");
      expect(bot.image).toBe(service("web").image);
      expect(bot.command).toEqual(["start", "--role", role]);
      expect(bot.env_file).toBe(".env");
      expect(bot.environment).toMatchObject({ REDIS_URL: "redis://redis:6379" });
      expect(bot.depends_on?.redis?.condition).toBe("service_healthy");
    }
  });

  it("publishes the web port and no worker port, so `--scale worker=3` works", () => {
    expect(service("web").ports).toEqual([`\${PORT:-3000}:\${PORT:-3000}`]);
    expect(service("worker").ports).toBeUndefined();
  });

  it("runs Redis 7 with AOF, noeviction, a healthcheck and a named volume", () => {
    const redis = service("redis");
    expect(redis.image).toMatch(/^redis:7/);
    const command = (redis.command ?? []).join(" ");
    expect(command).toContain("--appendonly yes");
    expect(command).toContain("--maxmemory-policy noeviction");
    expect(redis.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    const volume = (redis.volumes ?? [])[0]?.split(":") ?? [];
    expect(volume[1]).toBe("/data");
    expect(Object.keys(compose.volumes ?? {})).toContain(volume[0]);
  });
});

describe("Dockerfile", () => {
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)];
  const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

  it("builds in one stage and runs from a separate one on a Node.js LTS image", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(22|24)-[a-z]+-slim$/m);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(runtime).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(runtime).toMatch(/COPY manifest\.yml/);
  });

  it("installs production dependencies only, without lifecycle scripts, in the runtime stage", () => {
    expect(runtime).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
  });

  it("runs as a non-root user", () => {
    const user = /^USER\s+(\S+)$/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
  });

  it("checks its health on /healthz with node (slim images have no curl) and starts the CLI", () => {
    expect(runtime).toMatch(/^HEALTHCHECK .*\\\n\s+CMD node -e .*\/healthz/m);
    expect(runtime).toContain("process.env.PORT || 3000");
    expect(runtime).toMatch(/^EXPOSE 3000$/m);
    expect(runtime).toContain('ENTRYPOINT ["node", "dist/cli.js"]');
    expect(runtime).toContain('CMD ["start"]');
  });

  it("keeps secrets and local state out of the build context", () => {
    const ignored = read(".dockerignore").split("\n");
    for (const entry of [".env", ".data", "node_modules", ".git"]) expect(ignored).toContain(entry);
  });
});
