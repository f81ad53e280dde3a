/**
 * A check's progress and result as Slack messages (Block Kit). Pure functions of their input:
 * no clock, no network. User-supplied text goes through escapeMrkdwn; text the bot wrote
 * (check details, advice) through escapeEntities, so nothing in a message can mention, link or
 * broadcast unless this file means it to.
 */
import type { types } from "@slack/bolt";
import type {
  CheckName,
  CheckResult,
  CheckStatus,
  CheckStep,
  Outcome,
  ResultCode,
} from "../autotask/result.js";
import type { AuthorizedUsers } from "../config.js";
import { context, mrkdwn, SHOWN_VALUE, section, shownValue as user } from "./blocks.js";
import { clip, escapeEntities, escapeMrkdwn, lastFour } from "./mrkdwn.js";
import { watchZoneActions } from "./watch-button.js";

/** A message body: `text` is the notification and fallback, `blocks` what Slack shows. */
export type SlackMessage = { text: string; blocks: types.KnownBlock[] };

/** Who asked for a check and about what. Holds no secret; the tracking identifier only as its last 4. */
export type CheckContext = {
  requestId: string;
  /** Slack user id of the person who submitted the modal. */
  requesterId: string;
  username: string;
  /** As returned by lastFour ("…1A2B"); a longer value is cut to its last 4 anyway. */
  trackingIdLast4: string;
  /** The portal URL as submitted ("" when left blank). */
  portalUrl: string;
  /** Opaque id the "Fix and retry" button carries; no button without it. */
  retryId?: string;
};

/** action_id of the "Fix and retry" button on a failed check. */
export const RETRY_ACTION_ID = "autotask_connect_retry";
/** event_type of the Slack message metadata on a final result. */
export const RESULT_EVENT_TYPE = "autotask_connection_checked";

/** Slack limits, in characters / blocks. */
const LIMITS = { text: 4_000, section: 3_000, field: 2_000, blocks: 50, buttonValue: 2_000 } as const;
/** Longest user-supplied value shown; usernames are at most 128 after parsing anyway. */

const STATUS_MARK: Record<CheckStatus, string> = {
  pass: ":white_check_mark:",
  warn: ":warning:",
  fail: ":x:",
  skip: ":white_circle:",
};

export const OUTCOME_MARK: Record<Outcome, string> = {
  ok: ":white_check_mark:",
  warning: ":warning:",
  failed: ":x:",
};

const CHECK_TITLE: Record<CheckName, string> = {
  domain: "Domain",
  zone: "Zone",
  credentials: "Credentials",
  permissions: "Permissions",
};

/** One line per result code: what happened, in the words a person would use. */
export const CODE_TITLE: Record<ResultCode, string> = {
  ok: "The Autotask connection works",
  zone_mismatch: "The Autotask connection works, but the portal URL is for another zone",
  unknown_username: "Autotask does not know this API username",
  invalid_credentials: "Autotask rejected the username or secret",
  invalid_tracking_identifier: "Autotask rejected the tracking identifier",
  insufficient_permissions: "The API user cannot read everything the integration needs",
  rate_limited: "Autotask's API request limit was reached",
  autotask_unavailable: "Autotask could not be reached",
  autotask_error: "Autotask answered with an error it did not explain",
  too_many_failures: "Not tried: too many recent logins with this username failed or got no clear answer",
  internal_error: "The bot failed while checking",
};

function trackingTail(ctx: CheckContext): string {
  return escapeMrkdwn(lastFour(ctx.trackingIdLast4.replace(/^…/, "")));
}

function message(text: string, blocks: types.KnownBlock[]): SlackMessage {
  return { text: clip(text, LIMITS.text), blocks: blocks.slice(0, LIMITS.blocks) };
}

/** The parent message while the check runs. */
export function renderParentPending(ctx: CheckContext): SlackMessage {
  const headline = `:hourglass_flowing_sand: Checking the Autotask connection for ${user(ctx.username)}, requested by <@${ctx.requesterId}>`;
  return message(headline, [section(headline), context(detailsLine(ctx))]);
}

function detailsLine(ctx: CheckContext): string {
  const portal = ctx.portalUrl.trim() === "" ? "looked up from the username" : user(ctx.portalUrl);
  return `Portal URL: ${portal} · Tracking identifier: ${trackingTail(ctx)} · Request ${user(ctx.requestId)}`;
}

/** A one-off thread reply written by the bot (e.g. "trying again"), as a section. */
export function renderNotice(text: string): SlackMessage {
  return message(text, [section(escapeEntities(text))]);
}

/**
 * Several thread replies as one message, in order: steps that finished in the same moment share
 * a reply (Slack allows about one post per second per channel). One section per line, so it reads
 * as a short list on a phone.
 */
export function renderReplyBatch(parts: SlackMessage[]): SlackMessage {
  if (parts.length === 1) return parts[0] as SlackMessage;
  return message(
    parts.map((part) => part.text).join("\n"),
    parts.flatMap((part) => part.blocks),
  );
}

function stepLine(step: CheckStep): string {
  return `${STATUS_MARK[step.status]} *${CHECK_TITLE[step.name]}*: ${escapeEntities(step.detail)}`;
}

/** A thread reply for one step of the check (domain, zone, credentials, permissions). */
export function renderStepReply(step: CheckStep): SlackMessage {
  const line = stepLine(step);
  return message(line, [section(line)]);
}

/** Requests used, e.g. "124 of 10,000 requests this hour". */
export function formatUsage(usage: NonNullable<CheckResult["usage"]>): string {
  const period =
    usage.timeframeMinutes === 60 ? "this hour" : `in the last ${usage.timeframeMinutes} minutes`;
  const line = `${usage.used.toLocaleString("en-US")} of ${usage.limit.toLocaleString("en-US")} requests ${period}`;
  // Autotask adds latency to every request of the database from half the limit on.
  return usage.limit > 0 && usage.used / usage.limit >= 0.5
    ? `${line} (Autotask slows requests above 50%)`
    : line;
}

function zoneText(result: CheckResult): string {
  if (!result.zone) return "not determined";
  const zone = escapeEntities(result.zone);
  return result.zoneName ? `${escapeEntities(result.zoneName)} (${zone})` : zone;
}

/** Section blocks of check lines, split so none passes Slack's 3,000 characters. */
function checkSections(checks: CheckStep[], budget: number): types.SectionBlock[] {
  const sections: string[] = [];
  let current = "*Checks*";
  for (const line of checks.map((check) => clip(stepLine(check), LIMITS.section - 20))) {
    if (current.length + 1 + line.length > LIMITS.section) {
      sections.push(current);
      current = line;
    } else {
      current = `${current}\n${line}`;
    }
  }
  sections.push(current);
  return sections.slice(0, Math.max(1, budget)).map(section);
}

export type FinalMessage = SlackMessage & {
  metadata: {
    event_type: string;
    /** Keys without a value are left out: Slack drops metadata holding a null (invalid_metadata_schema). */
    event_payload: {
      request_id: string;
      outcome: string;
      code: string;
      api_url?: string;
      zone?: string;
      username: string;
    };
  };
};

/**
 * The parent message's final state, written with chat.update: the headline, the Domain to paste,
 * zone, usage, every check, the advice, and a "Fix and retry" button on a failure (when
 * ctx.retryId is set). Carries the contract's message metadata for other automations.
 */
export function renderFinal(result: CheckResult, ctx: CheckContext): FinalMessage {
  const title = CODE_TITLE[result.code];
  const headline = `${OUTCOME_MARK[result.outcome]} *${title}*`;
  const domain = result.apiUrl
    ? `*Domain to paste:* \`${escapeEntities(result.apiUrl)}\``
    : "*Domain to paste:* not determined (see the checks below)";
  const fields: types.MrkdwnElement[] = [
    mrkdwn(clip(`*Zone*\n${zoneText(result)}`, LIMITS.field)),
    mrkdwn(clip(`*API usage*\n${result.usage ? formatUsage(result.usage) : "not measured"}`, LIMITS.field)),
    mrkdwn(clip(`*API username*\n${user(result.username)}`, LIMITS.field)),
    mrkdwn(clip(`*Tracking identifier*\n${trackingTail(ctx)}`, LIMITS.field)),
  ];
  const head: types.KnownBlock[] = [section(headline), section(domain), { type: "section", fields }];
  const tail: types.KnownBlock[] = [section(`*What to do next:* ${escapeEntities(result.advice)}`)];
  if (result.outcome === "failed" && ctx.retryId) {
    tail.push({
      type: "actions",
      elements: [
        {
          type: "button",
          action_id: RETRY_ACTION_ID,
          text: { type: "plain_text", text: "Fix and retry" },
          style: "primary",
          value: clip(ctx.retryId, LIMITS.buttonValue),
        },
      ],
    });
  }
  const watchZone = watchZoneActions(result, ctx);
  if (watchZone) tail.push(watchZone);
  tail.push(context(`Requested by <@${ctx.requesterId}> · request ${user(result.requestId)}`));
  // A check that could not run at all (internal_error before any step) has no Checks section.
  const checks =
    result.checks.length === 0
      ? []
      : [
          { type: "divider" } as types.DividerBlock,
          ...checkSections(result.checks, LIMITS.blocks - head.length - tail.length - 1),
        ];
  const blocks = [...head, ...checks, ...tail];

  // The notification text is mrkdwn too: a mention in it would notify, so it is escaped like the blocks.
  const summary = result.apiUrl ? `Domain: ${escapeEntities(result.apiUrl)}` : "Domain not determined";
  return {
    ...message(
      `${title} (API user ${user(result.username)}). ${summary}. ${escapeEntities(result.advice)}`,
      blocks,
    ),
    metadata: {
      event_type: RESULT_EVENT_TYPE,
      event_payload: {
        request_id: result.requestId,
        outcome: result.outcome,
        code: result.code,
        ...(result.apiUrl !== null && { api_url: result.apiUrl }),
        ...(result.zone !== null && { zone: result.zone }),
        username: result.username,
      },
    },
  };
}

/** The last thread reply: a one-line summary pointing at the parent. */
export function renderFinalReply(result: CheckResult): SlackMessage {
  const domain =
    result.apiUrl && result.outcome !== "failed"
      ? ` Domain to paste: \`${escapeEntities(result.apiUrl)}\`.`
      : "";
  const next = result.outcome === "failed" ? ` ${escapeEntities(result.advice)}` : "";
  const text = `Done: ${OUTCOME_MARK[result.outcome]} ${CODE_TITLE[result.code]}.${domain}${next}`;
  return message(text, [section(text)]);
}

/** Ephemeral answer to `/autotask-connect help`. */
export function renderHelp(): SlackMessage {
  const text = [
    "`/autotask-connect` checks an Autotask API user and tells you which *Domain* to paste into the integration you are setting up.",
    "• `/autotask-connect` opens a form: portal URL, API username, secret, tracking identifier.",
    "• `/autotask-connect https://ww5.autotask.net` opens it with the portal URL filled in.",
    "• `/autotask-connect status` shows the last checks in this workspace.",
    "• `/autotask-connect watches` lists the watches (saved connections re-checked on a schedule), with *Stop watching* and *Check now*; the bot's *Home* tab shows the same list. Start one with *Watch zone* on a result, or tick *Watch this connection* in the form.",
    "• `/autotask-connect help` shows this.",
    "The result is posted in this channel, with every step in its thread. The secret is encrypted until the check ends and never posted; the tracking identifier is shown only as its last 4 characters.",
  ].join("\n");
  return message(text.replace(/[*`]/g, ""), [section(text)]);
}

/** One past check, as kept for `/autotask-connect status`. No secret, no tracking identifier. */
export type StatusEntry = {
  requestId: string;
  /** Unix time in milliseconds. */
  finishedAt: number;
  outcome: string;
  code: string;
  username: string;
  apiUrl: string | null;
  requesterId: string;
};

const STATUS_SHOWN = 10;
/** Longest status line, in characters: ten of them fit one section. */
const STATUS_LINE = 280;

function statusLine(entry: StatusEntry): string {
  const mark = OUTCOME_MARK[entry.outcome as Outcome] ?? ":grey_question:";
  const title = CODE_TITLE[entry.code as ResultCode] ?? escapeEntities(entry.code);
  const seconds = Math.floor(entry.finishedAt / 1000);
  const fallback = new Date(entry.finishedAt).toISOString().replace(/\.\d+Z$/, "Z");
  const when = `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
  const domain = entry.apiUrl ? ` · \`${escapeEntities(entry.apiUrl)}\`` : "";
  const line = (name: string) => `${mark} ${when} ${name}: ${title}${domain} · by <@${entry.requesterId}>`;
  // Shorten the username, never the line: cutting the line would break the mention (or the date)
  // markup, and escaping can make a username of 128 characters four times longer.
  let shown = user(entry.username);
  for (
    let keep = Math.min(entry.username.length, SHOWN_VALUE);
    keep > 1 && line(shown).length > STATUS_LINE;
  ) {
    keep = Math.floor(keep * 0.8);
    shown = user(clip(entry.username, keep));
  }
  return line(shown);
}

/** Ephemeral answer to `/autotask-connect status`: the last checks of this workspace, newest first. */
export function renderStatus(entries: StatusEntry[]): SlackMessage {
  if (entries.length === 0) {
    const text = "No checks yet in this workspace. Run `/autotask-connect` to check an Autotask API user.";
    return message(text, [section(text)]);
  }
  const newest = [...entries].sort((a, b) => b.finishedAt - a.finishedAt).slice(0, STATUS_SHOWN);
  const lines = newest.map((entry) => clip(statusLine(entry), STATUS_LINE));
  const heading =
    newest.length === 1
      ? "Last Autotask check in this workspace"
      : `Last ${newest.length} Autotask checks in this workspace`;
  const text = `*${heading}*\n${lines.join("\n")}`;
  return message(heading, [section(text)]);
}

/**
 * Ephemeral refusal for someone outside AUTHORIZED_USERS, saying who can grant access.
 * @param userId the refused person's Slack user id, quoted so they can pass it on.
 */
export function renderRefusal(authorized: AuthorizedUsers, userId?: string): SlackMessage {
  const id = userId ? `\`${escapeEntities(userId)}\`` : "(U…)";
  const text =
    authorized.kind === "listed"
      ? `Only the people listed in the bot's AUTHORIZED_USERS setting can run \`/autotask-connect\`. Ask an admin of the bot to add your user ID ${id} to AUTHORIZED_USERS.`
      : authorized.kind === "admins"
        ? "Only workspace admins and owners can run `/autotask-connect` here. Ask one of them to run the check, or ask whoever runs the bot to add your user ID " +
          `${id} to AUTHORIZED_USERS.`
        : "You are not allowed to run `/autotask-connect`. Ask whoever runs the bot to check its AUTHORIZED_USERS setting.";
  return message(text.replace(/`/g, ""), [section(`:lock: ${text}`)]);
}

/** The modal error shown when the queue (Redis) is unreachable. */
export function renderEnqueueFailed(): string {
  return "The bot could not queue the check (its queue is unavailable). Nothing you typed is lost: press Check again in a moment.";
}
