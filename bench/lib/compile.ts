/**
 * Compiles the bench's child processes (the bot, the baselines, the emulators) with tsc, so they
 * run as production runs the bot: plain node on compiled JavaScript (`npm start` is
 * `node dist/cli.js start`). Under tsx, esbuild's keepNames wraps every function the code creates
 * in a `__name` call, which cost the bot about 4 % of its CPU per check and the bare pipeline,
 * with far fewer functions of its own, less: a tax of the bench, not of the product.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where a checkout's compiled bench runs go; inside it, so bare imports find its node_modules. */
const OUT_DIR = ".bench-build";

export type CompiledBench = {
  /** The compiled file of `entry` (a .ts path relative to the repository root). */
  entry(path: string): string;
  /** Deletes this run's build. */
  remove(): void;
};

/**
 * Compiles `entries` (.ts paths relative to the repository root) of the checkout at `repoDir` (this
 * one, or another revision's worktree) and what they import into a directory of this run's own under
 * `repoDir/.bench-build`, so runs at the same time do not overwrite each other's code, with the
 * checkout's own tsconfig.
 */
export function compileBench(repoDir: string, entries: string[]): CompiledBench {
  mkdirSync(join(repoDir, OUT_DIR), { recursive: true });
  const outDir = mkdtempSync(join(repoDir, OUT_DIR, "run-"));
  const remove = () => rmSync(outDir, { recursive: true, force: true });
  const tsconfig = join(outDir, "tsconfig.json");
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: join(repoDir, "tsconfig.json"),
      compilerOptions: { rootDir: repoDir, outDir, noEmit: false, sourceMap: false, declaration: false },
      files: entries.map((entry) => join(repoDir, entry)),
      include: [],
    }),
  );
  try {
    execFileSync(join(repoDir, "node_modules/.bin/tsc"), ["-p", tsconfig], {
      cwd: repoDir,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    remove();
    const { stdout } = error as { stdout?: string };
    throw new Error(`the bench's processes did not compile in ${repoDir}:\n${stdout ?? error}`);
  }
  // "type": "module" makes the output ES modules; src/version.ts reads the version from it.
  copyFileSync(join(repoDir, "package.json"), join(outDir, "package.json"));
  return { entry: (path) => join(outDir, path.replace(/\.ts$/, ".js")), remove };
}
