/** `autotask-connect demo`: the whole flow offline (see src/demo/run.ts). */
import { runDemo } from "../demo/run.js";
import { type CommandIO, EXIT } from "./command.js";

export async function run(io: CommandIO): Promise<number> {
  try {
    return (await runDemo(io.stdout)) ? EXIT.ok : EXIT.failed;
  } catch (error) {
    io.stderr.write(`The demo could not run: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}
