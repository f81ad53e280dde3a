import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const child = fileURLToPath(new URL("../support/log-then-die.ts", import.meta.url));

describe("the process logger", () => {
  it("has every line it was given out on standard output before a SIGKILL", async () => {
    const proc = spawn(process.execPath, ["--import", "tsx", child], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    proc.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      proc.on("close", (_code, sig) => resolve(sig)),
    );
    expect(signal).toBe("SIGKILL");
    const lines = output
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { line: number });
    expect(lines.map((entry) => entry.line)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});
