/** Where a V8 CPU profile (`node --cpu-prof`) spent its time, by place, function and own caller. Pure. */

export type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
export type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

/** Pseudo-frames that are not work: waiting for I/O, and V8's own bookkeeping of the sampler. */
const NOT_WORK = new Set(["(idle)", "(program)"]);

/** node_modules/<pkg>, src/<dir>/<file>, node:<module>, or the pseudo-frame V8 adds, e.g. "(garbage collector)". */
export function placeOf(url: string, name: string): string {
  if (url === "") return name.startsWith("(") ? name : `(${name || "anonymous"})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const own = /\/(src|bench)\/(.+)$/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  return url.startsWith("node:") ? url.replace(/^node:internal\/([^/]+).*/, "node:$1") : url;
}

/** "fn place:line"; the line only where the profile has one (code tsx compiled reports none). */
function functionOf(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const place = placeOf(url, functionName);
  return `${functionName || "(anonymous)"} ${place}${lineNumber > 0 ? `:${lineNumber + 1}` : ""}`;
}

export type ProfileSummary = {
  /** Sampled time that was work (idle and program excluded), in microseconds. */
  busyUs: number;
  /** Self time by package, own file or pseudo-frame, in microseconds. */
  byPlace: Map<string, number>;
  byFunction: Map<string, number>;
  /**
   * Self time spent outside the app's own files (`src/`: libraries, Node.js, natives, GC), keyed by
   * where it was spent and the nearest own function up the stack that led to it: "what our code
   * costs in other code". Samples with no own function on their stack are keyed "(no src/ caller)".
   */
  byOwnCaller: Map<string, number>;
};

function add<K>(map: Map<K, number>, key: K, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

export function summarizeProfile(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfUs = new Map<number, number>();
  for (const [i, id] of profile.samples.entries()) add(selfUs, id, profile.timeDeltas[i] ?? 0);

  const summary: ProfileSummary = {
    busyUs: 0,
    byPlace: new Map(),
    byFunction: new Map(),
    byOwnCaller: new Map(),
  };
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const place = placeOf(node.callFrame.url, node.callFrame.functionName);
    if (NOT_WORK.has(place)) continue;
    summary.busyUs += us;
    add(summary.byPlace, place, us);
    add(summary.byFunction, functionOf(node), us);
    if (place.startsWith("src/")) continue;
    let caller: ProfileNode | undefined;
    for (let up = parentOf.get(id); up !== undefined; up = parentOf.get(up)) {
      const candidate = byId.get(up);
      if (
        candidate &&
        placeOf(candidate.callFrame.url, candidate.callFrame.functionName).startsWith("src/")
      ) {
        caller = candidate;
        break;
      }
    }
    add(summary.byOwnCaller, `${place} <- ${caller ? functionOf(caller) : "(no src/ caller)"}`, us);
  }
  return summary;
}

/** The `count` heaviest entries, one a line: share of busy time, milliseconds, key. */
export function topLines(map: Map<string, number>, busyUs: number, count: number): string {
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([key, us]) =>
        `${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1_000).toFixed(0).padStart(6)} ms  ${key}`,
    )
    .join("\n");
}
