/**
 * AES-256-GCM envelope for the Autotask secret while it waits in a BullMQ job.
 *
 * Sealed form: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. The associated data (the
 * request id) is authenticated but not stored, so a sealed secret copied into another job
 * fails to open there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export type Opened = { ok: true; secret: string } | { ok: false; reason: string };

/** A new random AES-256 key: 32 bytes from the CSPRNG. */
export function generateCredentialsKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

function assertKey(key: Buffer): void {
  // A wrong-sized key is a wiring bug (config.ts already checks CREDENTIALS_KEY), not a user error.
  if (key.length !== KEY_BYTES) throw new RangeError(`the credentials key must be ${KEY_BYTES} bytes`);
}

/**
 * Encrypts `secret` with a fresh random 12-byte IV.
 *
 * @param key - 32 bytes (`Config.credentialsKey` or {@link generateCredentialsKey}).
 * @param associatedData - binds the ciphertext to one job, e.g. the request id; the same value
 *   must be given to {@link openSecret}.
 * @returns `v1.<iv>.<tag>.<ciphertext>` in base64url: safe in JSON, Redis and URLs.
 * @throws RangeError when the key is not 32 bytes (a programming error).
 */
export function sealSecret(secret: string, key: Buffer, associatedData: string): string {
  assertKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(associatedData, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, ...[iv, tag, ciphertext].map((part) => part.toString("base64url"))].join(".");
}

/** Strict base64url: Node's decoder skips stray characters and ignores spare bits, so compare a round trip. */
function decodePart(text: string, expectedBytes?: number): Buffer | null {
  const bytes = Buffer.from(text, "base64url");
  if (bytes.toString("base64url") !== text) return null;
  if (expectedBytes !== undefined && bytes.length !== expectedBytes) return null;
  return bytes;
}

const MALFORMED: Opened = {
  ok: false,
  reason: "the sealed secret is malformed (expected v1.<iv>.<tag>.<ciphertext>)",
};

/**
 * Decrypts a value made by {@link sealSecret}. Every failure is a value; the reason names what went
 * wrong and never contains the key, the plaintext or the sealed text.
 */
export function openSecret(sealed: string, key: Buffer, associatedData: string): Opened {
  if (key.length !== KEY_BYTES) return { ok: false, reason: `the credentials key is not ${KEY_BYTES} bytes` };
  const parts = sealed.split(".");
  if (parts.length !== 4) return MALFORMED;
  const [version, ivText, tagText, ciphertextText] = parts as [string, string, string, string];
  if (version !== VERSION) return { ok: false, reason: "the sealed secret has an unknown version" };
  const iv = decodePart(ivText, IV_BYTES);
  const tag = decodePart(tagText, TAG_BYTES);
  const ciphertext = decodePart(ciphertextText);
  if (!iv || !tag || !ciphertext) return MALFORMED;
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(associatedData, "utf8"));
    decipher.setAuthTag(tag);
    const plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    return { ok: true, secret: plaintext.toString("utf8") };
  } catch {
    return {
      ok: false,
      reason:
        "the sealed secret failed authentication: a different CREDENTIALS_KEY, another job's secret, or altered data",
    };
  }
}
