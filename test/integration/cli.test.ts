import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/autotask/result.js";
import { promptHidden } from "../../src/commands/secret-prompt.js";
import { type AutotaskEmulator, startAutotaskEmulator } from "../../src/emulators/autotask.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const SECRET = "Cli-Secret-Value-99";
const TRACKING_ID = "CLITRACKINGIDENTIFIERA2B";

let emulator: AutotaskEmulator;

beforeAll(async () => {
  emulator = await startAutotaskEmulator({
    users: [
      { username: "cli@example.com", secret: SECRET, trackingId: TRACKING_ID, zone: "15" },
      { username: "budget-cli@example.com", secret: SECRET, trackingId: TRACKING_ID, zone: "15" },
      { username: "lonely-cli@example.com", secret: SECRET, trackingId: TRACKING_ID, zone: "15" },
    ],
  });
});
afterAll(() => emulator.close());

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs the CLI from source, as `npx tsx src/cli.ts` would, with only the environment given. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const checkArgs = ["check", "--username", "cli@example.com", "--tracking-id", TRACKING_ID];
// Each run counts its logins in the test Redis, under a prefix of its own unless one is given.
const withEmulator = (secret = SECRET, prefix = uniquePrefix("cli")) => ({
  AUTOTASK_ORIGIN_OVERRIDE: emulator.origin,
  AUTOTASK_SECRET: secret,
  REDIS_URL: testRedisUrl(),
  QUEUE_PREFIX: prefix,
});

describe.concurrent("autotask-connect CLI", () => {
  it("resolve --json prints the contract's object", async () => {
    const run = await cli(["resolve", "https://ww5.autotask.net", "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      input: "https://ww5.autotask.net",
      zone: "5",
      zoneName: "America West",
      portalUrl: "https://ww5.autotask.net",
      apiUrl: "https://webservices5.autotask.net",
    });
  });

  it("resolve prints the Domain to paste", async () => {
    const run = await cli(["resolve", "ww15.autotask.net/Mvc/Home"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Paste https:\/\/webservices15\.autotask\.net as the "Domain"/);
  });

  it("resolve exits 2 with the reason for a look-alike host", async () => {
    const run = await cli(["resolve", "ww5.autotask.net.evil.com"]);
    expect(run).toMatchObject({ code: 2, stdout: "" });
    expect(run.stderr).toMatch(/not an Autotask address/);
  });

  it("check --json prints a CheckResult and exits 0 when the credentials work", async () => {
    const run = await cli(
      [...checkArgs, "--portal-url", "https://ww15.autotask.net", "--json"],
      withEmulator(),
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as CheckResult;
    expect(result).toMatchObject({ code: "ok", apiUrl: "https://webservices15.autotask.net" });
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("check exits 0 on a warning and shows the Domain and advice", async () => {
    const run = await cli([...checkArgs, "--portal-url", "ww5.autotask.net"], withEmulator());
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Result: warning \(zone_mismatch\)/);
    expect(run.stdout).toMatch(/\[warn\] zone/);
    expect(run.stdout).toMatch(/Domain: +https:\/\/webservices15\.autotask\.net/);
    expect(run.stdout).toMatch(/Usage: +\d+ of 10,000 requests in 60 minutes/);
    expect(run.stdout).toMatch(/Advice: +Use https:\/\/webservices15\.autotask\.net as the Domain/);
  });

  it("check exits 1 on a rejected secret, never printing it", async () => {
    const run = await cli(checkArgs, withEmulator("Wrong-Secret-Typed"));
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\[FAIL\] credentials/);
    expect(run.stdout).toMatch(/invalid_credentials/);
    expect(run.stdout + run.stderr).not.toContain("Wrong-Secret-Typed");
    expect(run.stdout).not.toContain(TRACKING_ID);
  });

  it.each([
    [["check", "--tracking-id", "T"], /--username is required/],
    [["check", "--username", "u"], /--tracking-id is required/],
    [[...checkArgs, "--portal-url", "evil.com"], /--portal-url cannot be used/],
    [[...checkArgs, "--bogus"], /Unknown option/],
    [["frobnicate"], /Unknown command "frobnicate"/],
  ])("exits 2 with a usage message for %j", async (args, message) => {
    const run = await cli(args, withEmulator());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  it("check exits 2 without a secret when not in a terminal", async () => {
    const run = await cli(checkArgs, { AUTOTASK_ORIGIN_OVERRIDE: emulator.origin });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/AUTOTASK_SECRET/);
  });

  it("check exits 2 naming a malformed variable", async () => {
    const run = await cli(checkArgs, { ...withEmulator(), AUTOTASK_TIMEOUT_MS: "soon" });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/AUTOTASK_TIMEOUT_MS/);
  });
});

describe("check and the login budget", () => {
  const loginsOf = (username: string) =>
    emulator.requests.filter((request) => request.authenticated && request.headers.username === username);

  it("shares the bot's login budget through Redis: after 3 rejected logins a 4th run sends nothing", async () => {
    const prefix = uniquePrefix("cli-budget");
    const args = ["check", "--username", "budget-cli@example.com", "--tracking-id", TRACKING_ID];
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const run = await cli([...args, "--json"], withEmulator("Wrong-Secret-Typed", prefix));
      expect(run.code).toBe(1);
      expect(run.stderr).toBe("");
      codes.push((JSON.parse(run.stdout) as CheckResult).code);
    }
    expect(codes).toEqual([
      "invalid_credentials",
      "invalid_credentials",
      "invalid_credentials",
      "too_many_failures",
    ]);
    expect(loginsOf("budget-cli@example.com")).toHaveLength(3);
  });

  it("without Redis makes one login attempt, retries none, and says so", async () => {
    emulator.injectFault(
      { username: "lonely-cli@example.com", path: /ThresholdInformation/i },
      { kind: "status", status: 503 },
    );
    const run = await cli(["check", "--username", "lonely-cli@example.com", "--tracking-id", TRACKING_ID], {
      ...withEmulator(),
      REDIS_URL: "redis://127.0.0.1:1",
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /Redis \(REDIS_URL\) did not answer.*one login attempt at most and retries none/,
    );
    expect(run.stdout).toMatch(/autotask_unavailable/);
    expect(loginsOf("lonely-cli@example.com")).toHaveLength(1);
  });
});

describe("the secret prompt", () => {
  function terminal() {
    const input = Object.assign(new PassThrough(), { isTTY: true, rawMode: false as boolean });
    const setRawMode = (mode: boolean) => {
      input.rawMode = mode;
    };
    const output = new PassThrough();
    let shown = "";
    output.on("data", (chunk) => {
      shown += chunk;
    });
    return { input: Object.assign(input, { setRawMode }), output, shown: () => shown };
  }

  it("reads a line in raw mode without echoing it, honouring backspace", async () => {
    const tty = terminal();
    const answer = promptHidden(tty.input, tty.output, "Secret: ");
    expect(tty.input.rawMode).toBe(true);
    tty.input.write("abcx\u007fd\r");
    expect(await answer).toBe("abcd");
    expect(tty.shown()).toBe("Secret: \n");
    expect(tty.input.rawMode).toBe(false);
  });

  it("gives null on Ctrl-C", async () => {
    const tty = terminal();
    const answer = promptHidden(tty.input, tty.output, "Secret: ");
    tty.input.write("ab\u0003");
    expect(await answer).toBeNull();
  });
});
