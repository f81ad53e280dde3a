import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { renderHelp } from "../../src/slack/messages.js";

const KEY = Buffer.alloc(32, 7).toString("base64");

describe("the watch settings", () => {
  it("defaults to a run a day and 100 watches per workspace, with no previous key", () => {
    const parsed = parseConfig({}, { kind: "cli" });
    expect(parsed.ok && parsed.config.watch).toEqual({ intervalSeconds: 86_400, perWorkspace: 100 });
    expect(parsed.ok && parsed.config.credentialsKeyPrevious).toBeUndefined();
  });

  it.each([
    ["WATCH_INTERVAL_SECONDS", "9", "at least 10"],
    ["WATCH_INTERVAL_SECONDS", "ten", "at least 10"],
    ["WATCHES_PER_WORKSPACE", "0", "a whole number from 1"],
    ["CREDENTIALS_KEY_PREVIOUS", "c2hvcnQ=", "base64 of 32 bytes"],
  ])("refuses %s=%s, saying what it should be", (name, value, expected) => {
    const parsed = parseConfig({ [name]: value }, { kind: "cli" });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(new RegExp(`${name}: .*${expected}`));
  });

  it("accepts the minimum interval and a previous key", () => {
    const parsed = parseConfig(
      { WATCH_INTERVAL_SECONDS: "10", CREDENTIALS_KEY_PREVIOUS: KEY },
      { kind: "cli" },
    );
    expect(parsed.ok && parsed.config.watch.intervalSeconds).toBe(10);
    expect(parsed.ok && parsed.config.credentialsKeyPrevious?.length).toBe(32);
  });

  it("help mentions the watches list and the Home tab", () => {
    const help = renderHelp().text;
    expect(help).toContain("/autotask-connect watches");
    expect(help).toContain("Home tab");
    expect(help).toContain("Watch zone");
    expect(help).toContain("Watch this connection");
  });
});
