#!/usr/bin/env node
/** Entry point: `autotask-connect <command> [options]`. Commands load lazily, so `resolve` starts fast. */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type CommandIO, type CommandModule, EXIT } from "./commands/command.js";
import { PRODUCT, VERSION } from "./version.js";

/** Command name -> its module (src/commands/<name>.ts, exporting `run`). */
export const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  start: {
    summary: "run the Slack bot (web and worker; --role web|worker to split)",
    load: () => import("./commands/start.js"),
  },
  resolve: {
    summary: "resolve <portal-url> [--json]: print the API origin to paste as the Domain",
    load: () => import("./commands/resolve.js"),
  },
  check: {
    summary:
      "check --username U --tracking-id T [--portal-url P] [--json]: validate API credentials (secret from AUTOTASK_SECRET or a prompt)",
    load: () => import("./commands/check.js"),
  },
  demo: { summary: "run the whole flow offline against emulators", load: () => import("./commands/demo.js") },
  watches: {
    summary: "watches [--json]: list every watch kept in Redis (REDIS_URL, QUEUE_PREFIX)",
    load: () => import("./commands/watches.js"),
  },
};

function usage(): string {
  const rows = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(8)} ${summary}`);
  return `Usage: ${PRODUCT} <command> [options]\n\nCommands:\n${rows.join("\n")}\n`;
}

/** Runs the command named by `argv[0]` and resolves to the exit code. */
export async function main(argv: string[], io: Omit<CommandIO, "argv">): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v") {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`Unknown command "${name}".\n\n${usage()}`);
    return EXIT.usage;
  }
  let module: CommandModule;
  try {
    module = await command.load();
  } catch (error) {
    if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
    io.stderr.write(`The ${name} command is not available in this build.\n`);
    return EXIT.usage;
  }
  if (module.run) return module.run({ ...io, argv: rest });
  if (module.main) return module.main(rest);
  throw new Error(`src/commands/${name} exports neither run nor main`);
}

/** True when this file is the program (also through npm's bin symlink), not an import. */
function isEntryPoint(): boolean {
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const { stdin, stdout, stderr, env } = process;
  process.exitCode = await main(process.argv.slice(2), { stdin, stdout, stderr, env });
}
