/**
 * The leak-audit run (`npm run test:leak-audit`): the whole suite, every bot stack at debug level
 * reporting to an audit folder, then a scan for every secret used (leak-audit-global.ts).
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import base from "../../vitest.config.js";

export default defineConfig({
  ...base,
  root: fileURLToPath(new URL("../..", import.meta.url)),
  test: {
    ...base.test,
    globalSetup: ["test/support/leak-audit-global.ts"],
    setupFiles: ["test/support/leak-audit-setup.ts"],
  },
});
