import { describe, expect, it } from "vitest";
import { checkMessageBlocks } from "../../src/emulators/slack-block-limits.js";
import { blocksToText } from "../../src/slack/blocks-to-text.js";
import { type Change, detectChanges } from "../../src/watch/changes.js";
import { openKept, sealKept } from "../../src/watch/kept-secret.js";
import {
  alertPayload,
  CHANGE_EVENT_TYPE,
  CHECK_NOW_ACTION_ID,
  intervalText,
  renderAlert,
  renderHomeView,
  renderWatchList,
  renderWatchRefused,
  renderWatchStarted,
  UNWATCH_ACTION_ID,
  type WatchListEntry,
} from "../../src/watch/render.js";
import type { Observation, WatchRecord } from "../../src/watch/store.js";

const AT = Date.UTC(2026, 2, 11, 9, 0, 0);

function seen(overrides: Partial<Observation> = {}): Observation {
  return {
    at: AT,
    mode: "credentials",
    outcome: "ok",
    code: "ok",
    apiUrl: "https://webservices5.autotask.net",
    zone: "5",
    zoneName: "America West",
    usage: { used: 100, limit: 10_000, timeframeMinutes: 60 },
    ...overrides,
  };
}

const MOVED = { apiUrl: "https://webservices15.autotask.net", zone: "15", zoneName: "America West 2" };

const WATCH: WatchRecord = {
  id: "7d9f2c1e-0000-4000-8000-000000000001",
  teamId: "T1",
  kind: "credentials",
  username: "api@contoso.example",
  portalUrl: "https://ww5.autotask.net",
  trackingId: "TRACK1A2B",
  channelId: "C0DEMO",
  threadTs: "1700000000.000101",
  createdBy: "U0ADMIN",
  createdAt: AT,
  last: seen(),
  credentialsRejected: false,
};

describe("detectChanges", () => {
  it.each<[string, Observation, Observation, Change[]]>([
    ["nothing changed", seen(), seen({ at: AT + 1 }), []],
    [
      "the zone moved (its own zone_mismatch warning is not a second change)",
      seen(),
      seen({ ...MOVED, outcome: "warning", code: "zone_mismatch" }),
      ["zone_moved"],
    ],
    [
      "a zone watch's zone moved",
      seen({ mode: "zone", usage: null }),
      seen({ mode: "zone", usage: null, ...MOVED }),
      ["zone_moved"],
    ],
    [
      "the secret was rejected",
      seen(),
      seen({ outcome: "failed", code: "invalid_credentials", usage: null }),
      ["worse"],
    ],
    [
      "one failure became another",
      seen({ outcome: "failed", code: "insufficient_permissions" }),
      seen({ outcome: "failed", code: "invalid_credentials" }),
      ["worse"],
    ],
    [
      "the same failure again",
      seen({ outcome: "failed", code: "autotask_unavailable" }),
      seen({ outcome: "failed", code: "autotask_unavailable" }),
      [],
    ],
    [
      "it recovered",
      seen({ outcome: "failed", code: "autotask_unavailable", usage: null }),
      seen(),
      ["recovered"],
    ],
    [
      "usage crossed 80% (the warning it brings is the crossing, not a second change)",
      seen(),
      seen({ outcome: "warning", usage: { used: 8_000, limit: 10_000, timeframeMinutes: 60 } }),
      ["usage_high"],
    ],
    [
      "usage crossed 80% while the connection failed",
      seen(),
      seen({
        outcome: "failed",
        code: "insufficient_permissions",
        usage: { used: 8_000, limit: 10_000, timeframeMinutes: 60 },
      }),
      ["worse", "usage_high"],
    ],
    [
      "usage stayed above 80%",
      seen({ usage: { used: 8_500, limit: 10_000, timeframeMinutes: 60 } }),
      seen({ usage: { used: 9_000, limit: 10_000, timeframeMinutes: 60 } }),
      [],
    ],
    [
      "a zone-only run after the secret was rejected (not a recovery)",
      seen({ outcome: "failed", code: "invalid_credentials" }),
      seen({ mode: "zone", usage: null }),
      [],
    ],
    [
      "a zone lookup that lost the zone (no Domain to compare)",
      seen({ mode: "zone" }),
      seen({ mode: "zone", outcome: "failed", code: "unknown_username", apiUrl: null, zone: null }),
      ["worse"],
    ],
  ])("%s", (_name, previous, current, expected) => {
    expect(detectChanges(previous, current)).toEqual(expected);
  });
});

describe("renderAlert", () => {
  const options = { intervalSeconds: 86_400, credentialsDropped: false };

  it("puts the new Domain to paste in the first line of a zone move", () => {
    const current = seen({ ...MOVED, outcome: "warning", code: "zone_mismatch" });
    const alert = renderAlert(WATCH, seen(), current, ["zone_moved", "worse"], options);
    const lines = blocksToText(alert).split("\n");
    expect(lines[0]).toBe(
      "🚨 Autotask moved `api@contoso.example` to America West 2, zone 15: paste `https://webservices15.autotask.net` as the Domain",
    );
    expect(lines[1]).toContain("Before: `https://webservices5.autotask.net` (America West, zone 5)");
    expect(alert.text).toContain("paste https://webservices15.autotask.net as the Domain");
    expect(checkMessageBlocks(alert.blocks)).toEqual([]);
  });

  it("says the secret is no longer sent and how to resume when Autotask rejected it", () => {
    const current = seen({ outcome: "failed", code: "invalid_credentials", usage: null });
    const text = blocksToText(
      renderAlert(WATCH, seen(), current, ["worse"], { ...options, credentialsDropped: true }),
    );
    expect(text).toContain("Autotask rejected the username or secret");
    expect(text).toContain("I stopped sending the secret");
    expect(text).toContain("ticking Watch this connection");
  });

  it("names a recovery and a usage crossing", () => {
    const recovered = renderAlert(
      WATCH,
      seen({ outcome: "failed", code: "rate_limited" }),
      seen(),
      ["recovered"],
      options,
    );
    expect(blocksToText(recovered)).toMatch(/^✅ Recovered: the Autotask connection works/);
    const high = seen({ outcome: "warning", usage: { used: 8_200, limit: 10_000, timeframeMinutes: 60 } });
    expect(blocksToText(renderAlert(WATCH, seen(), high, ["usage_high"], options))).toContain(
      "API usage is at 82% of the limit",
    );
  });

  it.each<[string, Observation, Observation, Record<string, string>]>([
    [
      "every key when both findings have a zone",
      seen(),
      seen({ ...MOVED, outcome: "warning", code: "zone_mismatch" }),
      {
        watch_id: WATCH.id,
        username: WATCH.username,
        api_url: MOVED.apiUrl,
        zone: "15",
        previous_api_url: "https://webservices5.autotask.net",
        previous_zone: "5",
        outcome: "warning",
        code: "zone_mismatch",
        previous_code: "ok",
      },
    ],
    [
      "no api_url or zone (never null) when the lookup lost them",
      seen(),
      seen({ outcome: "failed", code: "unknown_username", apiUrl: null, zone: null }),
      {
        watch_id: WATCH.id,
        username: WATCH.username,
        previous_api_url: "https://webservices5.autotask.net",
        previous_zone: "5",
        outcome: "failed",
        code: "unknown_username",
        previous_code: "ok",
      },
    ],
  ])("carries the contract's metadata: %s", (_name, previous, current, payload) => {
    expect(alertPayload(WATCH, previous, current)).toEqual(payload);
    expect(renderAlert(WATCH, previous, current, ["worse"], options).metadata.event_type).toBe(
      CHANGE_EVENT_TYPE,
    );
  });
});

describe("the watch list", () => {
  const entry = (n: number, overrides: Partial<WatchRecord> = {}): WatchListEntry => ({
    watch: { ...WATCH, id: `watch-${n}`, username: `api${n}@contoso.example`, ...overrides },
    nextRunAt: AT + 86_400_000,
  });
  const options = { intervalSeconds: 86_400, limit: 100 };

  it.each([
    ["no watches", [], "No watches in this workspace"],
    ["a credentials watch", [entry(1)], "credentials watch"],
    ["a zone watch", [entry(1, { kind: "zone", trackingId: null })], "zone watch"],
    [
      "a credentials watch whose secret was rejected",
      [entry(1, { credentialsRejected: true })],
      "secret rejected: zone only",
    ],
    ["a watch not run yet", [entry(1, { last: null })], "Not run yet"],
  ])("shows %s", (_name, entries, expected) => {
    const list = renderWatchList(entries, options);
    expect(blocksToText(list)).toContain(expected);
    expect(checkMessageBlocks(list.blocks)).toEqual([]);
  });

  it("gives each watch Check now and Stop watching buttons carrying its id, and never the tracking identifier", () => {
    const list = renderWatchList([entry(1), entry(2)], options);
    const buttons = list.blocks
      .filter((block) => block.type === "actions")
      .flatMap((block) => (block as { elements: { action_id: string; value: string }[] }).elements);
    expect(buttons.map((b) => [b.action_id, b.value])).toEqual([
      [CHECK_NOW_ACTION_ID, "watch-1"],
      [UNWATCH_ACTION_ID, "watch-1"],
      [CHECK_NOW_ACTION_ID, "watch-2"],
      [UNWATCH_ACTION_ID, "watch-2"],
    ]);
    expect(JSON.stringify(list)).not.toContain(WATCH.trackingId as string);
  });

  it.each([
    ["a message", (entries: WatchListEntry[]) => renderWatchList(entries, options).blocks, 50],
    ["the App Home tab", (entries: WatchListEntry[]) => renderHomeView(entries, options).blocks, 100],
  ])("fits %s at WATCHES_PER_WORKSPACE's default, pointing at the CLI for the rest", (_name, render, max) => {
    const blocks = render(Array.from({ length: 100 }, (_, n) => entry(n)));
    expect(blocks.length).toBeLessThanOrEqual(max);
    expect(blocksToText({ blocks })).toContain("npx autotask-connect watches");
  });
});

describe("thread replies", () => {
  it("says a watch started, how often it runs and whether it keeps a secret", () => {
    expect(blocksToText(renderWatchStarted(WATCH, 86_400))).toContain("re-checked every day");
    expect(blocksToText(renderWatchStarted(WATCH, 86_400))).toContain("The secret is kept, encrypted");
    expect(blocksToText(renderWatchStarted({ ...WATCH, kind: "zone" }, 10))).toContain("No secret is kept");
  });

  it("says why a watch was refused", () => {
    expect(blocksToText(renderWatchRefused({ status: "limit", limit: 2 }, "x"))).toContain(
      "already keeps 2 watches",
    );
    expect(
      blocksToText(renderWatchRefused({ status: "watched", existing: WATCH }, WATCH.username)),
    ).toContain("already watched in this workspace (credentials watch, in #C0DEMO)");
  });
});

describe("intervalText", () => {
  it.each([
    [86_400, "every day"],
    [172_800, "every 2 days"],
    [21_600, "every 6 hours"],
    [5_400, "every 90 minutes"],
    [10, "every 10 seconds"],
    [1, "every second"],
  ])("%i s is %s", (seconds, text) => {
    expect(intervalText(seconds)).toBe(text);
  });
});

describe("the kept secret", () => {
  const key = Buffer.alloc(32, 1);
  const old = Buffer.alloc(32, 2);

  it.each([
    ["opens under the current key, nothing to re-seal", key, { current: key }, true, false],
    [
      "opens under the previous key and comes back re-sealed",
      old,
      { current: key, previous: old },
      true,
      true,
    ],
    ["does not open under an unrelated key", old, { current: key }, false, false],
  ])("%s", (_name, sealedWith, keys, opens, resealed) => {
    const sealed = sealKept("S3cr3t!", sealedWith, "w1");
    const opened = openKept(sealed, keys, "w1");
    expect(opened.ok).toBe(opens);
    if (opened.ok) {
      expect(opened.secret).toBe("S3cr3t!");
      expect(opened.resealed !== null).toBe(resealed);
      if (opened.resealed)
        expect(openKept(opened.resealed, { current: key }, "w1")).toMatchObject({ ok: true });
    }
  });

  it("is bound to its watch: another watch's id does not open it", () => {
    expect(openKept(sealKept("S3cr3t!", key, "w1"), { current: key }, "w2").ok).toBe(false);
  });
});
