import { describe, expect, it } from "vitest";
import { BLOCK_IDS, parseSubmission } from "../../src/slack/modal.js";

function values(overrides: Partial<Record<keyof typeof BLOCK_IDS, string>>) {
  const typed = {
    portalUrl: "https://ww5.autotask.net",
    username: "api@example.com",
    secret: "Gq7#pLx2!vR9",
    trackingId: "TRACKING1A2B",
    ...overrides,
  };
  return Object.fromEntries(
    (Object.keys(BLOCK_IDS) as (keyof typeof BLOCK_IDS)[]).map((field) => [
      BLOCK_IDS[field],
      { [BLOCK_IDS[field]]: { value: typed[field] } },
    ]),
  );
}

// HTTP header values are Latin-1: the client refuses to send anything else, and the check then
// ended as "Autotask could not be reached", retried, with advice to wait and try again.
describe("values that cannot travel in an HTTP header", () => {
  it.each([
    ["secret", "Gq7#pLx2€vR9", BLOCK_IDS.secret],
    ["trackingId", "TRACKING😀1A2B", BLOCK_IDS.trackingId],
  ] as const)("are refused on the %s field, where they were typed", (field, typed, blockId) => {
    const parsed = parseSubmission(values({ [field]: typed }));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors)).toEqual([blockId]);
    expect(parsed.errors[blockId]).toMatch(/cannot be sent|copy it again|paste it again/i);
    expect(parsed.errors[blockId]).not.toContain(typed);
  });

  it("still accepts Latin-1 letters such as ü", () => {
    expect(parseSubmission(values({ secret: "Gq7#pLx2ü!vR9" })).ok).toBe(true);
  });
});
