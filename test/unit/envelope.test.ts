import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateCredentialsKey, openSecret, sealSecret } from "../../src/security/envelope.js";

const SECRET = "Zq9#sEcr3t$with~symbols%and ünïcode";
const REQUEST_ID = "req-7f3a";

function reasonOf(result: ReturnType<typeof openSecret>): string {
  if (result.ok) throw new Error("expected the sealed secret not to open");
  return result.reason;
}

/** Flips one bit of the decoded bytes of part `index` and re-encodes it. */
function flipByte(sealed: string, index: number, byte = 0): string {
  const parts = sealed.split(".");
  const bytes = Buffer.from(parts[index] as string, "base64url");
  bytes[byte] = (bytes[byte] as number) ^ 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

describe("sealSecret / openSecret", () => {
  const key = generateCredentialsKey();

  it("generates 32-byte keys, a different one each time", () => {
    const other = generateCredentialsKey();
    expect(key).toHaveLength(32);
    expect(other.equals(key)).toBe(false);
  });

  it("opens what it sealed, with the same key and request id", () => {
    expect(openSecret(sealSecret(SECRET, key, REQUEST_ID), key, REQUEST_ID)).toEqual({
      ok: true,
      secret: SECRET,
    });
  });

  it("round-trips any string, the empty one included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string(), (secret, requestId) => {
        expect(openSecret(sealSecret(secret, key, requestId), key, requestId)).toEqual({ ok: true, secret });
      }),
    );
  });

  it("produces the versioned compact form v1.<iv>.<tag>.<ciphertext> in base64url", () => {
    const sealed = sealSecret(SECRET, key, REQUEST_ID);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
  });

  it("uses a fresh IV each time, so the same secret never seals to the same text", () => {
    expect(sealSecret(SECRET, key, REQUEST_ID)).not.toBe(sealSecret(SECRET, key, REQUEST_ID));
  });

  it("never carries the plaintext, in any common encoding", () => {
    const sealed = sealSecret("plain-text-secret-12345", key, REQUEST_ID);
    for (const form of [
      "plain-text-secret-12345",
      Buffer.from("plain-text-secret-12345").toString("base64url"),
      Buffer.from("plain-text-secret-12345").toString("base64"),
      Buffer.from("plain-text-secret-12345").toString("hex"),
    ]) {
      expect(sealed).not.toContain(form);
    }
  });

  it.each([
    ["IV", 1],
    ["tag", 2],
    ["ciphertext", 3],
  ])("refuses a sealed secret whose %s was altered", (_part, index) => {
    const sealed = sealSecret(SECRET, key, REQUEST_ID);
    const last = Buffer.from(sealed.split(".")[index] as string, "base64url").length - 1;
    for (const byte of [0, last]) {
      const result = openSecret(flipByte(sealed, index, byte), key, REQUEST_ID);
      expect(reasonOf(result)).toMatch(/failed authentication/);
    }
  });

  it("refuses text that was altered in ways base64 decoders forgive", () => {
    const sealed = sealSecret(SECRET, key, REQUEST_ID);
    const [version, iv, tag, ciphertext] = sealed.split(".") as [string, string, string, string];
    const tampered = [
      `${version}.${iv}.${tag}.${ciphertext}!`, // a stray character Node's decoder would skip
      `${version}.${iv}.${tag.slice(0, -1)}${tag.endsWith("A") ? "B" : "A"}.${ciphertext}`, // spare bits
      `${version}.${iv}=.${tag}.${ciphertext}`,
      `v2.${iv}.${tag}.${ciphertext}`,
      `${version}.${iv}.${tag}`,
      `${sealed}.extra`,
      "",
    ];
    for (const text of tampered) expect(openSecret(text, key, REQUEST_ID).ok).toBe(false);
  });

  it("refuses to open with another key", () => {
    const sealed = sealSecret(SECRET, key, REQUEST_ID);
    expect(reasonOf(openSecret(sealed, generateCredentialsKey(), REQUEST_ID))).toMatch(/CREDENTIALS_KEY/);
  });

  it("refuses a secret moved to another job (different associated data)", () => {
    const sealed = sealSecret(SECRET, key, REQUEST_ID);
    expect(openSecret(sealed, key, "req-other").ok).toBe(false);
    expect(openSecret(sealed, key, "").ok).toBe(false);
  });

  it("reports a key of the wrong size as a reason when opening, and throws when sealing (a wiring bug)", () => {
    const sealed = sealSecret(SECRET, key, REQUEST_ID);
    expect(reasonOf(openSecret(sealed, Buffer.alloc(16), REQUEST_ID))).toMatch(/32 bytes/);
    expect(() => sealSecret(SECRET, Buffer.alloc(16), REQUEST_ID)).toThrow(/32 bytes/);
  });

  it("gives reasons that never contain the plaintext, the key or the sealed text", () => {
    const sealed = sealSecret(SECRET, key, REQUEST_ID);
    const failures = [
      openSecret(sealed, generateCredentialsKey(), REQUEST_ID),
      openSecret(sealed, key, "req-other"),
      openSecret(flipByte(sealed, 3), key, REQUEST_ID),
      openSecret(`${sealed}x`, key, REQUEST_ID),
      openSecret(sealed.replace("v1", "v9"), key, REQUEST_ID),
      openSecret(sealed, key.subarray(0, 31), REQUEST_ID),
    ];
    for (const failure of failures) {
      const reason = reasonOf(failure);
      expect(reason).not.toContain(SECRET);
      expect(reason).not.toContain(key.toString("base64"));
      expect(reason).not.toContain(key.toString("hex"));
      for (const part of sealed.split(".").slice(1)) expect(reason).not.toContain(part);
    }
  });
});
