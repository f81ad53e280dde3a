import { randomBytes } from "node:crypto";

/**
 * Suffixes unique across processes (a random tag drawn once) and within one (a counter): members
 * of a Redis log that many workers write, without drawing random bytes for each.
 */
export function uniqueSuffixes(): () => string {
  const tag = randomBytes(6).toString("hex");
  let count = 0;
  return () => {
    count += 1;
    return `${tag}-${count}`;
  };
}
