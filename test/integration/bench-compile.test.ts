/**
 * The bench compiles its child processes with the checkout's own tsconfig and runs them under
 * plain node: the output must run as ES modules that find the checkout's packages, and a compile
 * error must stop the bench with tsc's message rather than start stale code; runs at the same time
 * must not run each other's code.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileBench } from "../../bench/lib/compile.js";

const REPO = resolve(import.meta.dirname, "../..");

/** A checkout with this repository's tsconfig and node_modules, and the given files. */
function fixtureCheckout(dir: string, files: Record<string, string>): void {
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"), "dir");
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: join(REPO, "tsconfig.json") }));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "fixture", version: "1.2.3", type: "module" }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

describe("compileBench", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "atc-bench-compile-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("compiles an entry and what it imports into a build that runs under plain node", () => {
    fixtureCheckout(dir, {
      // Like src/version.ts: the package's manifest, one level up from the compiled file.
      "src/describe.ts": [
        'import { createRequire } from "node:module";',
        'import { z } from "zod";',
        'const { version } = createRequire(import.meta.url)("../package.json") as { version: string };',
        "export const describe = (value: unknown): string =>",
        '  [z.string().safeParse(value).success ? "a string" : "not a string", version].join(", ");',
      ].join("\n"),
      "bench/child.ts": 'import { describe } from "../src/describe.js";\nconsole.log(describe("x"));',
    });

    const build = compileBench(dir, ["bench/child.ts"]);
    const entry = build.entry("bench/child.ts");

    expect(entry.startsWith(join(dir, ".bench-build/"))).toBe(true);
    expect(execFileSync(process.execPath, [entry], { encoding: "utf8" }).trim()).toBe("a string, 1.2.3");
    build.remove();
    expect(existsSync(entry)).toBe(false);
  });

  it("gives runs at the same time builds of their own", () => {
    fixtureCheckout(dir, { "bench/child.ts": 'console.log("one");' });
    const first = compileBench(dir, ["bench/child.ts"]);
    writeFileSync(join(dir, "bench/child.ts"), 'console.log("two");');
    const second = compileBench(dir, ["bench/child.ts"]);

    const run = (entry: string) => execFileSync(process.execPath, [entry], { encoding: "utf8" }).trim();
    expect([run(first.entry("bench/child.ts")), run(second.entry("bench/child.ts"))]).toEqual(["one", "two"]);
  });

  it("stops with tsc's message when the entry does not compile", () => {
    fixtureCheckout(dir, { "bench/child.ts": "const count: number = 'three';\nconsole.log(count);" });

    expect(() => compileBench(dir, ["bench/child.ts"])).toThrow(
      /did not compile[\s\S]*child\.ts[\s\S]*not assignable to type 'number'/,
    );
    expect(readdirSync(join(dir, ".bench-build"))).toEqual([]);
  });
});
