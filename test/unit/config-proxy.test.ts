import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";

const parse = (env: Record<string, string>) => parseConfig(env, { kind: "cli" });

describe("HTTPS_PROXY and NO_PROXY", () => {
  it("are read into config.proxy", () => {
    const parsed = parse({ HTTPS_PROXY: "http://proxy.example:3128", NO_PROXY: "localhost,.internal" });
    expect(parsed.ok && parsed.config.proxy).toEqual({
      url: "http://proxy.example:3128",
      noProxy: "localhost,.internal",
    });
  });

  it("accept the lower-case forms, the upper-case ones winning", () => {
    const lower = parse({ https_proxy: "http://lower.example:3128", no_proxy: "*" });
    expect(lower.ok && lower.config.proxy).toEqual({ url: "http://lower.example:3128", noProxy: "*" });
    const both = parse({
      https_proxy: "http://lower.example:3128",
      HTTPS_PROXY: "http://upper.example:8080",
    });
    expect(both.ok && both.config.proxy.url).toBe("http://upper.example:8080");
  });

  it("mean a direct connection when unset or empty", () => {
    const parsed = parse({ HTTPS_PROXY: "", NO_PROXY: "" });
    expect(parsed.ok && parsed.config.proxy).toEqual({ url: undefined, noProxy: undefined });
  });

  it("refuse a proxy that is not an http(s) URL, naming the variable", () => {
    const parsed = parse({ HTTPS_PROXY: "proxy.example:3128" });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.message).toMatch(
      /HTTPS_PROXY: a proxy URL such as http:\/\/proxy.example:3128/,
    );
  });
});
