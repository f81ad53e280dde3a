/**
 * `npx tsx bench/profile-summary.ts FILE.cpuprofile [TOP]`: where a CPU profile (node --cpu-prof,
 * or `npm run bench -- --cpu-prof DIR`) spent its time: self time by package or file, and by
 * function, heaviest first.
 */
import { readFileSync } from "node:fs";

type Node = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

/** node_modules/<pkg>, src/<dir>/<file>, node:internal..., or the pseudo-frames V8 adds. */
function placeOf(url: string, name: string): string {
  if (url === "") return `(${name || "anonymous"})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/(src|bench)\/(.+)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url.startsWith("node:") ? url.replace(/^node:internal\/([^/]+).*/, "node:$1") : url;
}

function top(map: Map<string, number>, total: number, count: number): string {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([key, us]) =>
        `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1_000).toFixed(0).padStart(6)} ms  ${key}`,
    )
    .join("\n");
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: tsx bench/profile-summary.ts FILE.cpuprofile [TOP]\n");
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
for (const [i, id] of profile.samples.entries()) {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byPlace = new Map<string, number>();
const byFunction = new Map<string, number>();
let total = 0;
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = (byId.get(id) as Node).callFrame;
  const place = placeOf(url, functionName);
  total += us;
  byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  const fn = `${functionName || "(anonymous)"} ${place}:${lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}
const count = Number(topArg ?? 25);
process.stdout.write(
  `total ${(total / 1_000).toFixed(0)} ms sampled\n\nself time by place:\n${top(byPlace, total, count)}\n`,
);
process.stdout.write(`\nself time by function:\n${top(byFunction, total, count)}\n`);
