import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { processScrubber, SecretScrubber } from "../../src/security/redact.js";

function scrubberWith(...secrets: string[]): SecretScrubber {
  const scrubber = new SecretScrubber();
  for (const secret of secrets) scrubber.add(secret);
  return scrubber;
}

describe("SecretScrubber.scrub", () => {
  it.each([
    [
      "plain text",
      "p@ss w/rd&x=1",
      "login failed for p@ss w/rd&x=1 today",
      "login failed for [REDACTED] today",
    ],
    ["every occurrence", "s3cr3t", "s3cr3t and s3cr3t", "[REDACTED] and [REDACTED]"],
    ["URL-encoded", "p@ss w/rd&x=1", "GET /x?secret=p%40ss%20w%2Frd%26x%3D1", "GET /x?secret=[REDACTED]"],
    ["lower-case percent escapes", "p@ss w/rd", "secret=p%40ss%20w%2frd", "secret=[REDACTED]"],
    [
      "form-encoded (space as +)",
      "p@ss w/rd",
      "body: secret=p%40ss+w%2Frd&x=1",
      "body: secret=[REDACTED]&x=1",
    ],
    ["JSON-escaped", 'a"b\\c\nd', '{"secret":"a\\"b\\\\c\\nd"}', '{"secret":"[REDACTED]"}'],
    [
      "JSON inside JSON",
      'a"b',
      '{"msg":"{\\"s\\":\\"a\\\\\\"b\\"}"}',
      '{"msg":"{\\"s\\":\\"[REDACTED]\\"}"}',
    ],
    ["regex metacharacters", ".*+?^$\u007b}()|[]\\", "x .*+?^$\u007b}()|[]\\ y", "x [REDACTED] y"],
    ["a secret made of metacharacters only when it is there", "a.c", "abc a.c", "abc [REDACTED]"],
    ["unicode", "pässwörd✓", "secret pässwörd✓ end", "secret [REDACTED] end"],
    ["text without the secret unchanged", "s3cr3t", "nothing to see", "nothing to see"],
  ])("removes a secret written as %s", (_case, secret, text, expected) => {
    expect(scrubberWith(secret).scrub(text)).toBe(expected);
  });

  it.each([
    ["overlapping secrets", ["abc123", "123xyz"], "key=abc123xyz;", "key=[REDACTED];"],
    [
      "one secret inside another",
      ["longsecretvalue", "secret"],
      "a longsecretvalue b secret",
      "a [REDACTED] b [REDACTED]",
    ],
    ["overlapping occurrences of one secret", ["aba"], "ababa", "[REDACTED]"],
    ["adjacent secrets", ["foo1", "bar2"], "foo1bar2", "[REDACTED]"],
  ])("leaves no fragment behind with %s", (_case, secrets, text, expected) => {
    expect(scrubberWith(...secrets).scrub(text)).toBe(expected);
  });

  it("never leaves a registered secret in any text it scrubs", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (secret, before, after) => {
        const scrubbed = scrubberWith(secret).scrub(`${before}${secret}${after}`);
        // Judge only what is left of the text: a short secret such as "D" may occur in the marker itself.
        for (const left of scrubbed.split("[REDACTED]")) expect(left).not.toContain(secret);
      }),
    );
  });

  it("stops scrubbing a secret once its remover runs, and ignores a second call", () => {
    const scrubber = new SecretScrubber();
    const remove = scrubber.add("temporary-secret");
    expect(scrubber.scrub("temporary-secret")).toBe("[REDACTED]");
    remove();
    remove();
    expect(scrubber.size).toBe(0);
    expect(scrubber.scrub("temporary-secret")).toBe("temporary-secret");
  });

  it("keeps a secret registered twice until both holders remove it", () => {
    const scrubber = new SecretScrubber();
    const submission = scrubber.add("shared-secret");
    const worker = scrubber.add("shared-secret");
    expect(scrubber.size).toBe(1);
    submission();
    expect(scrubber.scrub("shared-secret")).toBe("[REDACTED]");
    worker();
    expect(scrubber.scrub("shared-secret")).toBe("shared-secret");
  });

  it("ignores an empty secret instead of redacting everything", () => {
    const scrubber = new SecretScrubber();
    scrubber.add("")();
    scrubber.add("");
    expect(scrubber.size).toBe(0);
    expect(scrubber.scrub("text")).toBe("text");
  });
});

describe("SecretScrubber.scrubValue", () => {
  it("returns a deep copy with every string and key scrubbed, leaving the original alone", () => {
    const scrubber = scrubberWith("hunter2");
    const original = {
      message: "bad secret hunter2",
      nested: { list: ["ok", "x hunter2 y", 3, null, true], hunter2: "as a key" },
      error: new Error("failed with hunter2"),
    };
    const copy = scrubber.scrubValue(original);
    expect(JSON.stringify(copy)).not.toContain("hunter2");
    expect(copy.message).toBe("bad secret [REDACTED]");
    expect(copy.nested.list).toEqual(["ok", "x [REDACTED] y", 3, null, true]);
    expect(copy.error).toBeInstanceOf(Error);
    expect(copy.error.message).toBe("failed with [REDACTED]");
    expect(copy.error.stack).not.toContain("hunter2");
    expect(original.message).toBe("bad secret hunter2");
  });

  it("copes with cycles", () => {
    const scrubber = scrubberWith("hunter2");
    const cyclic: { name: string; self?: unknown } = { name: "hunter2" };
    cyclic.self = cyclic;
    const copy = scrubber.scrubValue(cyclic) as { name: string; self: unknown };
    expect(copy.name).toBe("[REDACTED]");
    expect(copy.self).toBe(copy);
  });

  it("scrubs a bare string", () => {
    expect(scrubberWith("hunter2").scrubValue("is hunter2")).toBe("is [REDACTED]");
  });
});

describe("processScrubber", () => {
  it("is one shared instance", async () => {
    const again = await import("../../src/security/redact.js");
    expect(again.processScrubber).toBe(processScrubber);
    expect(processScrubber).toBeInstanceOf(SecretScrubber);
  });
});
