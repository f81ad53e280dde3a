import { randomUUID } from "node:crypto";
import { inject } from "vitest";

/** The Redis of this test run (see global-setup.ts). */
export function testRedisUrl(): string {
  return inject("redisUrl");
}

/** A queue prefix no other test or run uses, hash-tagged like the real one. Tests never flush Redis. */
export function uniquePrefix(label = "test"): string {
  return `{atc-${label}-${randomUUID().slice(0, 8)}}`;
}
