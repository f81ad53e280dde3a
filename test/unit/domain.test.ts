import { describe, expect, it } from "vitest";
import { isAllowedApiHost, resolvePortalUrl, zoneOfApiUrl } from "../../src/autotask/domain.js";
import { KNOWN_ZONE_IDS, zoneById } from "../../src/autotask/zones.js";

function apiUrlOf(input: string): string | null {
  const resolved = resolvePortalUrl(input);
  return resolved.ok ? resolved.zone.apiUrl : null;
}

function reasonOf(input: string): string {
  const resolved = resolvePortalUrl(input);
  if (resolved.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return resolved.reason;
}

describe("resolvePortalUrl", () => {
  const numbered = KNOWN_ZONE_IDS.filter((id) => /^[0-9]+$/.test(id));

  it.each(numbered)("maps the portal of known zone %s to its webservices host, named", (id) => {
    const resolved = resolvePortalUrl(`https://ww${id}.autotask.net`);
    expect(resolved).toMatchObject({
      ok: true,
      zone: { id, apiUrl: `https://webservices${id}.autotask.net` },
    });
    if (resolved.ok) expect(resolved.zone.name).not.toMatch(/^Autotask zone/);
  });

  it.each(numbered)("accepts the API host of known zone %s as it is", (id) => {
    expect(apiUrlOf(`webservices${id}.autotask.net`)).toBe(`https://webservices${id}.autotask.net`);
  });

  it.each(["prde", "pres"])("maps %s.autotask.net to itself", (id) => {
    expect(apiUrlOf(`https://${id}.autotask.net/Mvc/Home`)).toBe(`https://${id}.autotask.net`);
  });

  it.each(["7", "33", "99"])("accepts unknown zone %s and names it by number", (id) => {
    const resolved = resolvePortalUrl(`ww${id}.autotask.net`);
    expect(resolved).toMatchObject({
      ok: true,
      zone: { id, name: `Autotask zone ${id}`, apiUrl: `https://webservices${id}.autotask.net` },
    });
  });

  it.each([
    ["https://ww5.autotask.net", "https://webservices5.autotask.net"],
    ["http://ww5.autotask.net", "https://webservices5.autotask.net"],
    ["ww5.autotask.net", "https://webservices5.autotask.net"],
    ["HTTPS://WW5.AUTOTASK.NET", "https://webservices5.autotask.net"],
    ["ww15.autotask.net.", "https://webservices15.autotask.net"],
    ["https://ww15.autotask.net./", "https://webservices15.autotask.net"],
    ["  https://ww4.autotask.net/  ", "https://webservices4.autotask.net"],
    [
      "https://ww14.autotask.net/Mvc/ServiceDesk/TicketDetail.mvc?workspace=False&ticketId=12345#notes",
      "https://webservices14.autotask.net",
    ],
    [
      "https://ww3.autotask.net/Autotask/AutotaskExtend/ExecuteCommand.aspx?Code=OpenTicketDetail",
      "https://webservices3.autotask.net",
    ],
    ["https://webservices22.autotask.net/ATServicesRest/V1.0/", "https://webservices22.autotask.net"],
  ])("accepts %j", (input, apiUrl) => {
    expect(apiUrlOf(input)).toBe(apiUrl);
  });

  it.each([
    ["ww5.autotask.net.evil.com", /not an Autotask address/],
    ["https://ww5.autotask.net.evil.com/", /not an Autotask address/],
    ["evil.com/ww5.autotask.net", /"evil.com" is not an Autotask address/],
    ["https://evil.com/?u=https://ww5.autotask.net", /not an Autotask address/],
    ["https://user:pass@ww5.autotask.net", /user name or password/],
    ["https://ww5.autotask.net@evil.com", /user name or password/],
    ["https://ww5.autotask.net:8443", /port number/],
    ["ww5.autotask.net:443", /port number/],
    ["ftp://ww5.autotask.net", /must start with https:\/\//],
    ["file:///etc/passwd", /must start with https:\/\//],
    ["javascript:alert(1)", /"javascript:" addresses/],
    ["autotask.net", /does not say which Autotask zone/],
    ["https://www.autotask.net", /does not say which Autotask zone/],
    ["psa.datto.com", /copy the address from your browser after you log in/],
    ["ww0.autotask.net", /zone number 0 does not exist/],
    ["ww100.autotask.net", /zone number 100 does not exist/],
    ["ww05.autotask.net", /zone number 05 does not exist/],
    ["https://ww5.autotаsk.net", /another alphabet/], // Cyrillic а
    ["https://ｗｗ５.autotask.net", /./], // full-width letters normalise to ww5 or are refused; never another host
    ["ww5.auto\ttask.net", /invisible characters/],
    ["ww5.autotask.net\u200b", /invisible characters/],
    ["https://ww5 .autotask.net", /spaces or invisible characters/],
    [`https://ww5.autotask.net/${"a".repeat(3000)}`, /characters long/],
    ["http://[::1]/", /not an Autotask address|not a valid web address/],
    ["https://127.0.0.1", /not an Autotask address/],
  ])("rejects %j with a reason a person understands", (input, reason) => {
    const resolved = resolvePortalUrl(input);
    if (input.includes("ｗｗ５")) {
      // WHATWG URL folds full-width ASCII to ASCII: the only acceptable success is the real zone 5.
      if (resolved.ok) expect(resolved.zone.apiUrl).toBe("https://webservices5.autotask.net");
      return;
    }
    expect(reasonOf(input)).toMatch(reason);
  });

  it("says a blank input is empty, so callers can look the zone up by username instead", () => {
    expect(resolvePortalUrl("   ")).toMatchObject({ ok: false, empty: true });
    expect(resolvePortalUrl("x")).toMatchObject({ ok: false, empty: false });
  });
});

describe("zoneOfApiUrl (zoneInformation's url)", () => {
  it.each([
    ["https://webservices15.autotask.net/ATServicesRest/", "15"],
    ["https://webservices2.autotask.net/atservicesrest/", "2"],
    ["https://prde.autotask.net/ATServicesRest/", "prde"],
  ])("accepts %j as zone %s", (url, zone) => {
    expect(zoneOfApiUrl(url)?.id).toBe(zone);
  });

  it.each([
    "http://webservices15.autotask.net/ATServicesRest/",
    "https://webservices15.autotask.net.evil.com/",
    "https://evil.com/webservices15.autotask.net",
    "https://ww15.autotask.net/",
    "https://webservices15.autotask.net:444/",
    "not a url",
    "",
  ])("refuses %j: credentials are never sent there", (url) => {
    expect(zoneOfApiUrl(url)).toBeNull();
  });
});

describe("isAllowedApiHost", () => {
  it.each([
    "webservices.autotask.net",
    "webservices5.autotask.net",
    "WEBSERVICES29.autotask.net.",
    "pres.autotask.net",
  ])("allows %s", (host) => expect(isAllowedApiHost(host)).toBe(true));
  it.each([
    "ww5.autotask.net",
    "webservices0.autotask.net",
    "evil.com",
    "webservices5.autotask.net.evil.com",
    "127.0.0.1",
  ])("refuses %s", (host) => expect(isAllowedApiHost(host)).toBe(false));
});

describe("zoneById", () => {
  it("returns null for ids that are not zones", () => {
    for (const id of ["0", "100", "05", "abc", ""]) expect(zoneById(id)).toBeNull();
  });
});
