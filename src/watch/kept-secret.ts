/**
 * The secret a credentials watch keeps: AES-256-GCM (src/security/envelope.ts) bound to the watch
 * id, so the ciphertext opens for this watch only. After a key rotation a secret sealed under
 * CREDENTIALS_KEY_PREVIOUS is read with it and handed back re-sealed under CREDENTIALS_KEY.
 */
import { openSecret, sealSecret } from "../security/envelope.js";

export type KeptSecretKeys = { current: Buffer; previous?: Buffer };

export type OpenedKept =
  | { ok: true; secret: string; resealed: string | null }
  | { ok: false; reason: string };

/** The associated data of a watch's ciphertext: never the same as a job's (a bare request id). */
function boundTo(watchId: string): string {
  return `watch:${watchId}`;
}

export function sealKept(secret: string, key: Buffer, watchId: string): string {
  return sealSecret(secret, key, boundTo(watchId));
}

/** Opens with the current key, else the previous one (and then re-seals under the current key). */
export function openKept(sealed: string, keys: KeptSecretKeys, watchId: string): OpenedKept {
  const current = openSecret(sealed, keys.current, boundTo(watchId));
  if (current.ok) return { ok: true, secret: current.secret, resealed: null };
  if (keys.previous) {
    const previous = openSecret(sealed, keys.previous, boundTo(watchId));
    if (previous.ok)
      return {
        ok: true,
        secret: previous.secret,
        resealed: sealKept(previous.secret, keys.current, watchId),
      };
  }
  return { ok: false, reason: current.reason };
}
