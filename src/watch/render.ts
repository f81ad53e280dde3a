/**
 * Watches as Slack messages: the change alert, the list (ephemeral answer and App Home tab), and the
 * thread replies when a watch starts or cannot. Pure functions of their input, like slack/messages.ts.
 */
import type { types } from "@slack/bolt";
import { context, section, shownValue as user } from "../slack/blocks.js";
import { CODE_TITLE, formatUsage, OUTCOME_MARK, type SlackMessage } from "../slack/messages.js";
import { clip, escapeEntities } from "../slack/mrkdwn.js";
import type { Change } from "./changes.js";
import type { Observation, WatchKind, WatchRecord } from "./store.js";

/** action_ids of the list's buttons (the contract's). */
export const UNWATCH_ACTION_ID = "unwatch";
export const CHECK_NOW_ACTION_ID = "watch_check_now";
/** event_type of an alert's message metadata. */
export const CHANGE_EVENT_TYPE = "autotask_connection_changed";

const LIMITS = { text: 4_000, section: 3_000, messageBlocks: 50, homeBlocks: 100 } as const;

export type AlertPayload = {
  watch_id: string;
  username: string;
  api_url?: string;
  zone?: string;
  previous_api_url?: string;
  previous_zone?: string;
  outcome: string;
  code: string;
  previous_code?: string;
};

export type AlertMessage = SlackMessage & {
  metadata: { event_type: typeof CHANGE_EVENT_TYPE; event_payload: AlertPayload };
};

/** One entry of the list: the watch and its scheduler's next run (Unix ms), if any. */
export type WatchListEntry = { watch: WatchRecord; nextRunAt: number | null };

export type ListOptions = {
  intervalSeconds: number;
  /** WATCHES_PER_WORKSPACE. */
  limit: number;
  /** A line above the list, e.g. "Stopped watching …". */
  note?: string;
};

/** A result title inside a sentence: "the Autotask connection works". */
function inSentence(title: string): string {
  return title.charAt(0).toLowerCase() + title.slice(1);
}

/** "every day", "every 6 hours", "every 90 minutes", "every 10 seconds". */
export function intervalText(seconds: number): string {
  const unit = (n: number, word: string) => (n === 1 ? `every ${word}` : `every ${n} ${word}s`);
  if (seconds % 86_400 === 0) return unit(seconds / 86_400, "day");
  if (seconds % 3_600 === 0) return unit(seconds / 3_600, "hour");
  if (seconds % 60 === 0) return unit(seconds / 60, "minute");
  return unit(seconds, "second");
}

/** A Slack date that each reader sees in their own time zone, with a UTC fallback. */
function when(ms: number): string {
  const fallback = new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
  return `<!date^${Math.floor(ms / 1_000)}^{date_short_pretty} {time}|${fallback}>`;
}

function zoneText(observation: Observation): string {
  if (!observation.zone) return "zone not determined";
  const zone = escapeEntities(observation.zone);
  return observation.zoneName ? `${escapeEntities(observation.zoneName)}, zone ${zone}` : `zone ${zone}`;
}

const KIND_TEXT: Record<WatchKind, string> = { zone: "zone watch", credentials: "credentials watch" };

function kindText(watch: WatchRecord): string {
  return watch.kind === "credentials" && watch.credentialsRejected
    ? "credentials watch (secret rejected: zone only)"
    : KIND_TEXT[watch.kind];
}

/** The contract's payload: keys without a value are left out, never null. */
export function alertPayload(watch: WatchRecord, previous: Observation, current: Observation): AlertPayload {
  const payload: Record<string, string> = {
    watch_id: watch.id,
    username: watch.username,
    outcome: current.outcome,
    code: current.code,
  };
  const optional: [keyof AlertPayload, string | null][] = [
    ["api_url", current.apiUrl],
    ["zone", current.zone],
    ["previous_api_url", previous.apiUrl],
    ["previous_zone", previous.zone],
    ["previous_code", previous.code],
  ];
  for (const [key, value] of optional) if (value) payload[key] = value;
  return payload as AlertPayload;
}

/**
 * The alert posted in the watch's thread (and broadcast to the channel). The most important change
 * comes first: for a zone move, the first line names the new Domain to paste.
 * @param credentialsDropped Autotask rejected the kept secret and the watch stopped sending it.
 */
export function renderAlert(
  watch: WatchRecord,
  previous: Observation,
  current: Observation,
  changes: Change[],
  options: { intervalSeconds: number; credentialsDropped: boolean },
): AlertMessage {
  const name = user(watch.username);
  const lines: string[] = [];
  for (const change of changes) {
    if (change === "zone_moved") {
      lines.push(
        `:rotating_light: Autotask moved ${name} to *${zoneText(current)}*: paste \`${escapeEntities(current.apiUrl ?? "")}\` as the Domain`,
        `Before: \`${escapeEntities(previous.apiUrl ?? "")}\` (${zoneText(previous)}). Integrations that still use the old Domain stop working; those that look the zone up keep working.`,
      );
    } else if (change === "worse") {
      lines.push(
        `${OUTCOME_MARK[current.outcome] === ":x:" ? ":rotating_light:" : ":warning:"} *${CODE_TITLE[current.code]}* (API user ${name}; before: ${inSentence(CODE_TITLE[previous.code])}).`,
      );
    } else if (change === "recovered") {
      lines.push(
        `:white_check_mark: *Recovered: ${inSentence(CODE_TITLE[current.code])}* (API user ${name}; before: ${inSentence(CODE_TITLE[previous.code])}).`,
      );
    } else if (change === "usage_high" && current.usage) {
      const percent = Math.floor((current.usage.used / current.usage.limit) * 100);
      lines.push(
        `:warning: *API usage is at ${percent}% of the limit* (${formatUsage(current.usage)}): integrations sharing this Autotask database are about to be slowed down or refused.`,
      );
    }
  }
  if (options.credentialsDropped) {
    lines.push(
      "I stopped sending the secret, so repeated failed logins cannot lock the API user, and I keep watching its zone. " +
        "To resume, check the connection again with `/autotask-connect` and the current secret, ticking *Watch this connection*: the new watch replaces this one.",
    );
  }
  const [headline = "", ...rest] = lines;
  const blocks: types.KnownBlock[] = [section(headline)];
  if (rest.length > 0) blocks.push(section(rest.join("\n")));
  blocks.push(
    context(
      `${KIND_TEXT[watch.kind]} of ${name}, re-checked ${intervalText(options.intervalSeconds)} · \`/autotask-connect watches\` lists or stops it`,
    ),
  );
  const text = clip(headline.replace(/[*`]/g, "").replace(/^:[a-z_]+: /, ""), LIMITS.text);
  return {
    text,
    blocks,
    metadata: { event_type: CHANGE_EVENT_TYPE, event_payload: alertPayload(watch, previous, current) },
  };
}

/** The thread reply when a watch starts. */
export function renderWatchStarted(watch: WatchRecord, intervalSeconds: number): SlackMessage {
  const what = watch.kind === "zone" ? "the zone" : "the connection";
  const kept =
    watch.kind === "credentials"
      ? " The secret is kept, encrypted, until the watch is stopped."
      : " No secret is kept.";
  const text = `:eyes: <@${watch.createdBy}> started watching ${what} of ${user(watch.username)} (${KIND_TEXT[watch.kind]}): re-checked ${intervalText(intervalSeconds)}; this thread gets a reply, also sent to the channel, when something changes.${kept} \`/autotask-connect watches\` lists or stops watches.`;
  return { text: text.replace(/[`]/g, ""), blocks: [section(text)] };
}

/** Why a watch was not created. */
export function renderWatchRefused(
  reason: { status: "limit"; limit: number } | { status: "watched"; existing: WatchRecord | null },
  username: string,
): SlackMessage {
  const text =
    reason.status === "limit"
      ? `Not watched: this workspace already keeps ${reason.limit} watches, the most allowed (WATCHES_PER_WORKSPACE). Stop one with \`/autotask-connect watches\` first.`
      : `Not watched again: ${user(username)} is already watched in this workspace${reason.existing ? ` (${KIND_TEXT[reason.existing.kind]}, in <#${reason.existing.channelId}>)` : ""}. \`/autotask-connect watches\` lists it.`;
  return { text: text.replace(/[`]/g, ""), blocks: [section(`:no_entry: ${text}`)] };
}

function lastLine(watch: WatchRecord): string {
  const last = watch.last;
  if (!last) return "Not run yet";
  const domain = last.apiUrl ? ` · Domain \`${escapeEntities(last.apiUrl)}\`` : "";
  return `Last: ${OUTCOME_MARK[last.outcome]} ${CODE_TITLE[last.code]} (${when(last.at)})${domain}`;
}

function entryBlocks(entry: WatchListEntry): types.KnownBlock[] {
  const { watch, nextRunAt } = entry;
  const next = nextRunAt ? `next run ${when(nextRunAt)}` : "no run scheduled";
  return [
    section(
      `${user(watch.username)} · ${kindText(watch)} · <#${watch.channelId}>\n${lastLine(watch)} · ${next}`,
    ),
    {
      type: "actions",
      block_id: `watch-${watch.id}`,
      elements: [
        {
          type: "button",
          action_id: CHECK_NOW_ACTION_ID,
          text: { type: "plain_text", text: "Check now" },
          value: watch.id,
        },
        {
          type: "button",
          action_id: UNWATCH_ACTION_ID,
          text: { type: "plain_text", text: "Stop watching" },
          style: "danger",
          value: watch.id,
          confirm: {
            title: { type: "plain_text", text: "Stop watching?" },
            text: {
              type: "plain_text",
              text: `Stop re-checking ${clip(watch.username, 200)}? Its schedule and any kept secret are deleted at once.`,
            },
            confirm: { type: "plain_text", text: "Stop watching" },
            deny: { type: "plain_text", text: "Keep" },
          },
        },
      ],
    },
  ];
}

function listBlocks(entries: WatchListEntry[], options: ListOptions, maxBlocks: number): types.KnownBlock[] {
  const heading =
    entries.length === 0
      ? "*No watches in this workspace.* Press *Watch zone* on a check's result, or tick *Watch this connection* in the `/autotask-connect` form."
      : `*Watches in this workspace* (${entries.length} of at most ${options.limit}), re-checked ${intervalText(options.intervalSeconds)}. The thread of each check gets a reply, also sent to the channel, when something changes.`;
  const blocks: types.KnownBlock[] = [];
  if (options.note) blocks.push(context(options.note));
  blocks.push(section(heading));
  const room = Math.floor((maxBlocks - blocks.length - 1) / 2);
  for (const entry of entries.slice(0, room)) blocks.push(...entryBlocks(entry));
  if (entries.length > room)
    blocks.push(
      context(
        `${entries.length - room} more not shown here: \`npx autotask-connect watches\` lists them all.`,
      ),
    );
  return blocks;
}

/** The ephemeral answer to `/autotask-connect watches`. */
export function renderWatchList(entries: WatchListEntry[], options: ListOptions): SlackMessage {
  const text =
    entries.length === 0 ? "No watches in this workspace." : `${entries.length} watches in this workspace.`;
  return { text, blocks: listBlocks(entries, options, LIMITS.messageBlocks) };
}

/** The App Home tab: the same list, for views.publish. */
export function renderHomeView(entries: WatchListEntry[], options: ListOptions): types.HomeView {
  return {
    type: "home",
    blocks: [
      { type: "header", text: { type: "plain_text", text: "Autotask Connect" } },
      section(
        "`/autotask-connect` checks an Autotask API user and tells you which *Domain* to paste. Watches re-check saved connections on a schedule and tell their channel when one breaks.",
      ),
      { type: "divider" },
      ...listBlocks(entries, options, LIMITS.homeBlocks - 3),
    ],
  };
}

/** The App Home tab for someone outside AUTHORIZED_USERS. */
export function renderHomeRefusal(): types.HomeView {
  return {
    type: "home",
    blocks: [
      section(
        ":lock: Only the people allowed to run `/autotask-connect` (the bot's AUTHORIZED_USERS setting) can see and manage watches.",
      ),
    ],
  };
}
