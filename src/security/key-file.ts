/** The single-process default for CREDENTIALS_KEY: a key kept in a file (mode 0600) under ./.data. */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { generateCredentialsKey } from "./envelope.js";

export type KeyFileResult = { key: Buffer; created: boolean } | { error: string };

/**
 * Reads the key at `path`, or creates one there, so jobs queued before a restart can still be
 * decrypted after it.
 */
export function loadOrCreateKeyFile(path: string): KeyFileResult {
  try {
    if (existsSync(path)) {
      const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
      if (key.length !== 32)
        return { error: `${path} does not hold base64 of 32 bytes; delete it to make a new key` };
      return { key, created: false };
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const key = generateCredentialsKey();
    writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
    return { key, created: true };
  } catch (error) {
    return { error: `could not read or create ${path}: ${(error as Error).message}` };
  }
}
