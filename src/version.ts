/** The product's name and version, for the User-Agent and `--version`. */
import { createRequire } from "node:module";

/** The npm package name and the name of the CLI. */
export const PRODUCT = "autotask-connect";

// package.json sits one level above both src/ (tsx) and dist/ (built), so one relative path serves both.
const manifest: unknown = createRequire(import.meta.url)("../package.json");

/** The package version from package.json, e.g. "0.1.0"; "0.0.0" if the manifest has none. */
export const VERSION: string =
  typeof manifest === "object" &&
  manifest !== null &&
  "version" in manifest &&
  typeof manifest.version === "string"
    ? manifest.version
    : "0.0.0";

/** The User-Agent of every Autotask request, so their logs can tell who called. */
export const USER_AGENT = `${PRODUCT}/${VERSION} (+https://github.com/autotask-connect)`;
