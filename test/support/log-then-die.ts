/** Child process for the logger test: logs lines as the bot does, then dies at once (SIGKILL). */
import { createLogger } from "../../src/ops/logger.js";

const logger = createLogger({ level: "info", pretty: false });
for (let i = 1; i <= 100; i += 1) logger.info({ line: i }, "check finished");
process.kill(process.pid, "SIGKILL");
