/**
 * The HTTP dispatcher of every outbound request (Slack Web API, response_url, Autotask): direct,
 * or through the proxy of HTTPS_PROXY / NO_PROXY with undici's EnvHttpProxyAgent. The proxy only
 * carries requests: which hosts may be called is decided before a request is made.
 */
import { type Dispatcher, EnvHttpProxyAgent } from "undici";
import type { Config } from "../config.js";

/**
 * Undefined (undici's global dispatcher) without a proxy. With one, every request goes through
 * it, plain http too (only emulators and tests use http), except hosts in `noProxy`. Values are
 * passed explicitly, "" for unset: EnvHttpProxyAgent would otherwise read process.env itself.
 */
export function createOutboundDispatcher(proxy: Config["proxy"]): Dispatcher | undefined {
  if (!proxy.url) return undefined;
  return new EnvHttpProxyAgent({ httpProxy: proxy.url, httpsProxy: proxy.url, noProxy: proxy.noProxy ?? "" });
}
