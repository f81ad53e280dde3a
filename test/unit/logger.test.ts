import { Writable } from "node:stream";
import { LogLevel } from "@slack/bolt";
import { describe, expect, it } from "vitest";
import { createLogger, toSlackLogger } from "../../src/ops/logger.js";
import { SecretScrubber } from "../../src/security/redact.js";

const SECRET = 'Au7o"task/Secret+%1';

/** A logger at debug level writing into an array, with SECRET registered. */
function capture(options: { pretty?: boolean } = {}) {
  const lines: string[] = [];
  const scrubber = new SecretScrubber();
  scrubber.add(SECRET);
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: "debug", pretty: options.pretty ?? false, destination, scrubber });
  return { logger, lines, output: () => lines.join("") };
}

describe("createLogger", () => {
  it("writes one JSON object per line at the configured level", () => {
    const { logger, lines } = capture();
    logger.debug({ requestId: "req-1" }, "queued");
    logger.trace("not at debug level");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 20, requestId: "req-1", msg: "queued" });
  });

  it.each([
    ["secret", { secret: "value-1" }],
    ["Secret", { Secret: "value-1" }],
    ["a nested secret", { job: { secret: "value-1" } }],
    ["a sealed secret", { data: { sealedSecret: "value-1" } }],
    ["a Secret header", { headers: { Secret: "value-1" } }],
    ["request headers", { req: { headers: { authorization: "value-1" } } }],
    ["a password", { password: "value-1" }],
    ["a token", { slack: { token: "value-1" } }],
    ["the credentials key", { CREDENTIALS_KEY: "value-1" }],
    ["a modal's typed values", { body: { view: { state: { values: { s: { v: { value: "value-1" } } } } } } }],
  ])("censors %s by field name, even when it is not registered", (_case, fields) => {
    const { logger, output } = capture();
    logger.info(fields, "event");
    expect(output()).not.toContain("value-1");
    expect(output()).toContain("[REDACTED]");
  });

  it("removes a registered secret from messages, errors and unknown fields", () => {
    const { logger, output } = capture();
    logger.info(`message with ${SECRET}`);
    logger.warn({ anywhere: { deep: { down: { value: SECRET } } } }, "event");
    logger.error({ err: new Error(`Autotask said ${SECRET}`) }, "failed");
    logger.child({ requestId: "req-2" }).debug({ url: `/x?secret=${encodeURIComponent(SECRET)}` }, "request");
    expect(output()).not.toContain(SECRET);
    expect(output()).not.toContain(encodeURIComponent(SECRET));
    expect(output()).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    expect(output().match(/\[REDACTED\]/g)?.length).toBeGreaterThanOrEqual(4);
  });

  it("removes Slack tokens by their shape", () => {
    const { logger, output } = capture();
    logger.info("calling with xoxb-1234-5678-abcdEFGH and xapp-1-A0-123-abc");
    expect(output()).not.toMatch(/xoxb-|xapp-/);
  });

  it("redacts in pretty output too", () => {
    const { logger, output } = capture({ pretty: true });
    logger.info({ secret: "value-1" }, `pretty ${SECRET}`);
    expect(output()).toContain("pretty [REDACTED]");
    expect(output()).not.toContain("value-1");
    expect(output()).not.toContain(SECRET);
  });
});

describe("toSlackLogger", () => {
  it("routes Bolt and WebClient debug output through the same redaction", () => {
    const { logger, output } = capture();
    const slack = toSlackLogger(logger, "bolt");
    slack.debug(JSON.stringify({ view: { state: { values: { secret: { input: { value: SECRET } } } } } }));
    slack.debug("http request body:", { secret: SECRET });
    slack.warn("http request failed", new Error(`failed: ${SECRET}`));
    slack.info("plain info");
    slack.error(new Error("only an error"));
    expect(output()).not.toContain(SECRET);
    expect(output()).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    const lines = output()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.level, line.name, line.msg])).toEqual([
      [20, "bolt", expect.stringContaining("[REDACTED]")],
      [20, "bolt", expect.stringContaining("[REDACTED]")],
      [40, "bolt", "http request failed"],
      [30, "bolt", "plain info"],
      [50, "bolt", "only an error"],
    ]);
  });

  it("implements setLevel, getLevel and setName as @slack/logger expects", () => {
    const { logger, lines } = capture();
    const slack = toSlackLogger(logger);
    expect(slack.getLevel()).toBe(LogLevel.DEBUG);
    slack.setLevel(LogLevel.WARN);
    expect(slack.getLevel()).toBe(LogLevel.WARN);
    slack.info("dropped");
    slack.setName("web-api:WebClient:0");
    slack.warn("kept");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ name: "web-api:WebClient:0", msg: "kept" });
    expect(logger.level).toBe("debug");
  });
});
