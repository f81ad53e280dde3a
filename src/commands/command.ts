/** The shape every CLI command module has, so src/cli.ts can load them lazily. */

/** The process's streams and environment, passed in so commands can be called from tests. */
export type CommandIO = {
  /** Arguments after the command name. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
};

/**
 * A command module exports `run(io)` (preferred: testable without a process) or `main(argv)`,
 * either resolving to the process exit code (0 success, 1 failure, 2 usage error).
 */
export type CommandModule = {
  run?: (io: CommandIO) => Promise<number>;
  main?: (argv: string[]) => Promise<number>;
};

/** Exit codes of the contract. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
