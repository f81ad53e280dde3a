/**
 * Portal URL -> zone -> API origin. Pure and total: every input gets a zone or a reason a person
 * can act on, and nothing here throws.
 */
import { type Zone, zoneById } from "./zones.js";

export type PortalResolution =
  | { ok: true; zone: Zone }
  | {
      ok: false;
      /** True when the input was blank: callers that can look the zone up by username allow it. */
      empty: boolean;
      reason: string;
    };

/** Longer than any real portal address, even a deep link; Slack inputs allow 3,000. */
export const MAX_PORTAL_URL_LENGTH = 2_000;

/** The host of the zone lookup service, the one API host that belongs to no zone. */
export const ZONE_LOOKUP_HOST = "webservices.autotask.net";

const EXAMPLE = "https://ww5.autotask.net";
const COPY_FROM_BROWSER = `copy the address from your browser after you log in to Autotask (it looks like ${EXAMPLE})`;

const PORTAL_HOST = /^ww([0-9]{1,3})\.autotask\.net$/;
const API_HOST = /^webservices([0-9]{1,3})\.autotask\.net$/;
const SELF_HOST = /^(prde|pres)\.autotask\.net$/;
const AUTOTASK_FAMILY = /(^|\.)(autotask\.net|autotask\.com|datto\.com|kaseya\.com)$/;
// Control characters and every kind of Unicode white space: the URL parser would silently drop
// some of them, so "ww5.auto<TAB>task.net" would otherwise pass as something the person didn't type.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zs}\p{Zl}\p{Zp}]/u;

type HostParts = { scheme: string; authority: string; host: string };

function reject(reason: string): PortalResolution {
  return { ok: false, empty: false, reason };
}

function splitAddress(input: string): HostParts | string {
  const withScheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input);
  let scheme = "https";
  let rest = input;
  if (withScheme) {
    scheme = (withScheme[1] as string).toLowerCase();
    rest = input.slice(withScheme[0].length);
  } else {
    // "mailto:x", "javascript:..." - but not "ww5.autotask.net:443", which is a host and a port.
    const bareScheme = /^([a-z][a-z0-9+.-]*):(?![0-9])/i.exec(input);
    if (bareScheme) return `"${bareScheme[1]}:" addresses are not Autotask addresses; ${COPY_FROM_BROWSER}`;
  }
  if (scheme !== "http" && scheme !== "https") {
    return `the address must start with https:// ("${scheme}://" is not a web address); ${COPY_FROM_BROWSER}`;
  }
  const authority = rest.split(/[/\\?#]/, 1)[0] ?? "";
  if (authority.includes("@")) {
    return "the address contains a user name or password before an @; paste only the Autotask address, such as https://ww5.autotask.net";
  }
  if (/:[0-9]*$/.test(authority)) {
    return "the address contains a port number (such as :8080); Autotask addresses have none, paste it as https://ww5.autotask.net";
  }
  let host: string;
  try {
    host = new URL(`https://${authority}`).hostname;
  } catch {
    return `"${truncate(authority)}" is not a valid web address; ${COPY_FROM_BROWSER}`;
  }
  return { scheme, authority, host: host.replace(/\.$/, "") };
}

function truncate(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function zoneNumberReason(n: string): string {
  return `zone number ${n} does not exist (Autotask zones are numbered 1 to 99); ${COPY_FROM_BROWSER}`;
}

/**
 * Resolves what a person pasted as their Autotask portal address to its zone.
 *
 * Accepts `wwN.autotask.net` (with or without scheme, any case, any path, query or trailing dot),
 * an API host `webservicesN.autotask.net`, and `prde`/`pres.autotask.net`. N is 1-99.
 */
export function resolvePortalUrl(raw: string): PortalResolution {
  const input = raw.trim();
  if (input === "") {
    return { ok: false, empty: true, reason: `enter your Autotask portal address, such as ${EXAMPLE}` };
  }
  if (input.length > MAX_PORTAL_URL_LENGTH) {
    return reject(
      `that is ${input.length} characters long; paste just the start of the address, such as ${EXAMPLE}`,
    );
  }
  if (INVISIBLE.test(input)) {
    return reject(`the address contains spaces or invisible characters; paste it again, such as ${EXAMPLE}`);
  }
  const parts = splitAddress(input);
  if (typeof parts === "string") return reject(parts);
  const host = parts.host.toLowerCase();

  if (host.split(".").some((label) => label.startsWith("xn--"))) {
    return reject(
      `the address contains letters from another alphabet that only look like Latin ones ("${truncate(parts.authority)}"); type it by hand, such as ${EXAMPLE}`,
    );
  }
  const numbered = PORTAL_HOST.exec(host) ?? API_HOST.exec(host);
  if (numbered) {
    const n = numbered[1] as string;
    const zone = zoneById(n);
    return zone ? { ok: true, zone } : reject(zoneNumberReason(n));
  }
  const selfHosted = SELF_HOST.exec(host);
  if (selfHosted) return { ok: true, zone: zoneById(selfHosted[1] as string) as Zone };

  if (AUTOTASK_FAMILY.test(host)) {
    return reject(`"${truncate(host)}" does not say which Autotask zone you are in; ${COPY_FROM_BROWSER}`);
  }
  return reject(`"${truncate(host)}" is not an Autotask address; ${COPY_FROM_BROWSER}`);
}

/**
 * The zone of an API URL reported by Autotask's zoneInformation (`https://webservices15.autotask.net/ATServicesRest/`).
 * Only https and an Autotask API host are accepted: the answer decides where credentials are sent.
 */
export function zoneOfApiUrl(url: string): Zone | null {
  if (!/^https:\/\//i.test(url.trim())) return null;
  const parts = splitAddress(url.trim());
  if (typeof parts === "string") return null;
  const host = parts.host.toLowerCase();
  const numbered = API_HOST.exec(host);
  if (numbered) return zoneById(numbered[1] as string);
  const selfHosted = SELF_HOST.exec(host);
  return selfHosted ? zoneById(selfHosted[1] as string) : null;
}

/** True for the hosts the bot may send a request to: the zone lookup host and every API host. */
export function isAllowedApiHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === ZONE_LOOKUP_HOST) return true;
  const numbered = API_HOST.exec(host);
  if (numbered) return zoneById(numbered[1] as string) !== null;
  return SELF_HOST.test(host);
}
