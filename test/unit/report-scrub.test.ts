import { describe, expect, it } from "vitest";
import { scrubText } from "../../src/autotask/report.js";

describe("a sentence of the check's report", () => {
  it("loses every occurrence of the secret and all but the last 4 of the tracking identifier", () => {
    const input = { secret: "S3cret!value", trackingId: "TRACKINGID0001A2B" };
    expect(scrubText("sent S3cret!value and TRACKINGID0001A2B, then S3cret!value", input)).toBe(
      "sent [redacted] and …1A2B, then [redacted]",
    );
  });

  it("masks a tracking identifier whose last characters look like a replacement pattern", () => {
    const input = { secret: "S3cret!value", trackingId: "TRACKINGID00$&$'" };
    expect(scrubText("id TRACKINGID00$&$' here", input)).toBe("id …$&$' here");
  });

  it("leaves a sentence without either as it is", () => {
    const text = "Autotask answered in 150 ms.";
    expect(scrubText(text, { secret: "S3cret!value", trackingId: "TRACKINGID0001A2B" })).toBe(text);
  });
});
