import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/autotask/check.js";
import { createAutotaskClient } from "../../src/autotask/client.js";
import { isAllowedApiHost } from "../../src/autotask/domain.js";
import { type AutotaskEmulator, startAutotaskEmulator } from "../../src/emulators/autotask.js";

const SECRET = "Fuzz-Secret-4242!";
const TRACKING_ID = "FUZZTRACKINGIDENTIFIER77";
const USERNAME = "fuzz@example.com";

let emulator: AutotaskEmulator;

beforeAll(async () => {
  emulator = await startAutotaskEmulator({
    users: [{ username: USERNAME, secret: SECRET, trackingId: TRACKING_ID, zone: "15" }],
  });
});
afterEach(() => {
  emulator.clearFaults();
  emulator.requests.length = 0;
});
afterAll(() => emulator.close());

const zoneNumber = fc.oneof(
  fc.integer({ min: 0, max: 120 }).map(String),
  fc.constantFrom("05", "1e1", "-3", "", "٥"),
);
const autotaskish = fc.oneof(
  zoneNumber.map((n) => `ww${n}.autotask.net`),
  zoneNumber.map((n) => `webservices${n}.autotask.net`),
  fc.constantFrom("prde.autotask.net", "pres.autotask.net", "webservices.autotask.net", "autotask.net"),
);
/** Hosts built to look like Autotask: suffixes, prefixes, homoglyphs, IDN, IP literals. */
const lookAlikeHost = fc.oneof(
  fc
    .tuple(autotaskish, fc.constantFrom(".evil.com", "evil.com", ".", "..", "%2e.evil.com", "\u3002evil.com"))
    .map(([a, b]) => a + b),
  fc.tuple(fc.constantFrom("evil.com.", "x-", "evil-"), autotaskish).map(([a, b]) => a + b),
  fc.constantFrom(
    "ww5.autotаsk.net",
    "xn--ww5-autotsk-3ah.net",
    "ww5.autotask.net\u0000.evil.com",
    "127.0.0.1",
    "[::1]",
    "0x7f000001",
    "ww5.autotask.net%00evil.com",
    "ww5。autotask。net",
  ),
);
const decoratedUrl = fc
  .tuple(
    fc.constantFrom("", "https://", "http://", "HTTPS://", "ftp://", "javascript:", "//", "https:\\\\", " "),
    fc.constantFrom("", "user@", "user:pw@", "ww5.autotask.net@", "@"),
    fc.oneof(autotaskish, lookAlikeHost),
    fc.constantFrom(
      "",
      ":443",
      ":8080",
      ":",
      "/",
      "/Mvc/Home?x=1#f",
      "\\@evil.com",
      "/../evil.com",
      "?@evil.com",
      "#@evil.com",
    ),
  )
  .map((parts) => parts.join(""));
const portalInput = fc.oneof(
  decoratedUrl,
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ minLength: 2_000, maxLength: 3_500 }).map((tail) => `https://ww5.autotask.net/${tail}`),
);

function client() {
  return createAutotaskClient({ timeoutMs: 2_000, originOverride: emulator.origin });
}

async function checkWith(portalUrl: string, username = USERNAME) {
  return runCheck(
    { requestId: "fuzz", portalUrl, username, secret: SECRET, trackingId: TRACKING_ID },
    { client: client(), requiredEntities: ["Companies"], sleep: async () => {}, retry: { attempts: 2 } },
  );
}

function expectOnlyAllowedHosts() {
  for (const request of emulator.requests) expect(isAllowedApiHost(request.host), request.host).toBe(true);
  for (const request of emulator.requests.filter((seen) => seen.authenticated)) {
    expect(request.host).not.toBe("webservices.autotask.net");
  }
}

describe("fuzzing where requests go", () => {
  it("sends requests to allow-listed hosts only, whatever the portal address", async () => {
    await fc.assert(
      fc.asyncProperty(
        portalInput,
        fc.oneof(fc.constant(USERNAME), fc.string({ maxLength: 40 })),
        async (portal, username) => {
          emulator.requests.length = 0;
          const result = await checkWith(portal, username);
          expectOnlyAllowedHosts();
          const json = JSON.stringify(result);
          expect(json).not.toContain(SECRET);
          expect(json).not.toContain(TRACKING_ID);
          if (result.apiUrl !== null) expect(isAllowedApiHost(new URL(result.apiUrl).hostname)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("sends credentials nowhere but an Autotask API host, whatever the zone lookup answers", async () => {
    const reportedUrl = fc.oneof(decoratedUrl, fc.webUrl(), fc.string({ maxLength: 60 }));
    await fc.assert(
      fc.asyncProperty(reportedUrl, fc.constantFrom("", "ww15.autotask.net"), async (url, portal) => {
        emulator.requests.length = 0;
        emulator.clearFaults();
        const body = JSON.stringify({ zoneName: "Fuzz", url, webUrl: url, ci: 1 });
        emulator.injectFault({ path: /zoneInformation/i }, { kind: "status", status: 200, body });
        const result = await checkWith(portal);
        expectOnlyAllowedHosts();
        expect(JSON.stringify(result)).not.toContain(SECRET);
      }),
      { numRuns: 150 },
    );
  });
});
