import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../src/commands/check.js";
import { type AutotaskEmulator, startAutotaskEmulator } from "../../src/emulators/autotask.js";
import { testRedisUrl, uniquePrefix } from "../support/redis.js";

const TRACKING_ID = "CLITRACKINGIDENTIFIERA2B";
let emulator: AutotaskEmulator;

beforeAll(async () => {
  emulator = await startAutotaskEmulator({
    users: [
      { username: "cli@example.com", secret: "Cli-Secret-Value-99", trackingId: TRACKING_ID, zone: "15" },
    ],
  });
});
afterAll(() => emulator.close());

async function check(secret: string, trackingId = TRACKING_ID) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => {
    out += chunk;
  });
  stderr.on("data", (chunk) => {
    err += chunk;
  });
  const code = await run({
    argv: ["--username", "cli@example.com", "--tracking-id", trackingId],
    env: {
      AUTOTASK_ORIGIN_OVERRIDE: emulator.origin,
      AUTOTASK_SECRET: secret,
      REDIS_URL: testRedisUrl(),
      QUEUE_PREFIX: uniquePrefix("cli-check"),
    },
    stdin: new PassThrough(),
    stdout,
    stderr,
  });
  return { code, stdout: out, stderr: err };
}

// A .env file saved with Windows line endings leaves a "\r" on the secret; a pasted "€" cannot be
// sent either. These are the person's input, not Autotask being unreachable.
describe("check with a secret that cannot be sent in an HTTP header", () => {
  it.each([
    ["a carriage return", "Cli-Secret-Value-99\r"],
    ["a character outside Latin-1", "Cli-Secret-€-99"],
  ])("exits 2 naming the secret when it has %s, and calls nobody", async (_case, secret) => {
    emulator.requests.length = 0;
    const result = await check(secret);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/secret/i);
    expect(result.stderr).not.toContain(secret);
    expect(emulator.requests).toHaveLength(0);
  });

  it("exits 2 for a tracking identifier that cannot be sent", async () => {
    emulator.requests.length = 0;
    const result = await check("Cli-Secret-Value-99", "TRACKING€IDENTIFIER");
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/tracking/i);
    expect(emulator.requests).toHaveLength(0);
  });
});
