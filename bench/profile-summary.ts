/**
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile|DIR [TOP]`: where a CPU profile (node
 * --cpu-prof, or `npm run bench -- --cpu-prof DIR`) spent its busy time: self time by package or
 * file, by function, and the time spent outside `src/` by the nearest `src/` function that led to
 * it, heaviest first. Given a directory, every main-thread profile under it (other threads, such as
 * tsx's loader, left out), each on its own.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { type CpuProfile, summarizeProfile, topLines } from "./lib/profile.js";

/** Node names profiles CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main one. */
function mainThreadProfiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => /(^|\/)CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

const [target, topArg] = process.argv.slice(2);
if (!target) {
  process.stderr.write("usage: tsx bench/profile-summary.ts FILE.cpuprofile|DIR [TOP]\n");
  process.exit(2);
}
const count = Number(topArg ?? 25);
const files = statSync(target).isDirectory() ? mainThreadProfiles(target) : [target];
for (const file of files) {
  const summary = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
  const { busyUs } = summary;
  process.stdout.write(
    [
      `== ${files.length > 1 ? relative(target, file) : file}`,
      `busy ${(busyUs / 1_000).toFixed(0)} ms sampled (idle left out; shares below are of busy time)`,
      "",
      "self time by place:",
      topLines(summary.byPlace, busyUs, count),
      "",
      "self time by function:",
      topLines(summary.byFunction, busyUs, count),
      "",
      "self time outside src/, by the nearest src/ function that led to it:",
      topLines(summary.byOwnCaller, busyUs, count),
      "",
      "",
    ].join("\n"),
  );
}
