/**
 * The "Connect Autotask" modal: its blocks, its private_metadata, and parsing what was submitted.
 * Pure: no Slack calls here.
 */
import type { types } from "@slack/bolt";
import { z } from "zod";
import { MAX_PORTAL_URL_LENGTH, resolvePortalUrl } from "../autotask/domain.js";
import type { Zone } from "../autotask/zones.js";

/** callback_id of the modal; the view_submission listener matches on it. */
export const CONNECT_CALLBACK_ID = "autotask_connect";

/** callback_id of the "Checking…" view shown after a valid submission. */
export const SUBMITTED_CALLBACK_ID = "autotask_connect_submitted";

/** block_id of each input; each input's action_id is the same string. */
export const BLOCK_IDS = {
  portalUrl: "portal_url",
  username: "api_username",
  secret: "secret",
  trackingId: "tracking_id",
} as const;

/** block_id (and action_id) of the optional "Watch this connection" checkbox. */
export const WATCH_BLOCK_ID = "watch";
/** The value of its one option. */
export const WATCH_OPTION_VALUE = "watch";

/** Longest accepted value of each field, in characters (Slack enforces these in the form too). */
export const FIELD_MAX_LENGTH = {
  portalUrl: MAX_PORTAL_URL_LENGTH,
  username: 128,
  secret: 256,
  trackingId: 128,
} as const;

/** Slack's limit on private_metadata, in characters. */
export const MAX_PRIVATE_METADATA = 3_000;

const PORTAL_PLACEHOLDER = "https://ww5.autotask.net";

/** Values to show in the form again (from the command text or "Fix and retry"). Never the secret. */
export type ModalPrefill = { portalUrl?: string; username?: string; trackingId?: string };

/**
 * What the view_submission needs to know that Slack does not send with it. It round-trips through
 * Slack in private_metadata, so it must never hold a credential.
 */
export type ModalMetadata = { channelId: string; responseUrl?: string; teamId?: string; retryOf?: string };

const metadataSchema = z.object({
  channelId: z.string().min(1).max(64),
  responseUrl: z.string().max(MAX_PRIVATE_METADATA).optional(),
  teamId: z.string().max(64).optional(),
  retryOf: z.string().max(256).optional(),
});

/**
 * Serialises the metadata as JSON under Slack's 3,000-character limit. A response_url too long to
 * fit is left out rather than cut (a cut URL is useless); then retryOf, then teamId.
 * Throws only for a channel id no real Slack channel has (a bug in the caller).
 */
export function encodeMetadata(m: ModalMetadata): string {
  const picked: ModalMetadata = { channelId: m.channelId };
  if (m.teamId !== undefined) picked.teamId = m.teamId;
  if (m.retryOf !== undefined) picked.retryOf = m.retryOf;
  if (m.responseUrl !== undefined) picked.responseUrl = m.responseUrl;
  for (const optional of ["responseUrl", "retryOf", "teamId"] as const) {
    const json = JSON.stringify(picked);
    if (json.length <= MAX_PRIVATE_METADATA) return json;
    delete picked[optional];
  }
  const json = JSON.stringify(picked);
  if (json.length > MAX_PRIVATE_METADATA) throw new Error("channel id too long for private_metadata");
  return json;
}

/** Parses private_metadata back; null when it is not what encodeMetadata wrote. Unknown keys are dropped. */
export function decodeMetadata(raw: string): ModalMetadata | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  const parsed = metadataSchema.safeParse(value);
  if (!parsed.success) return null;
  const { channelId, responseUrl, teamId, retryOf } = parsed.data;
  return {
    channelId,
    ...(responseUrl !== undefined && { responseUrl }),
    ...(teamId !== undefined && { teamId }),
    ...(retryOf !== undefined && { retryOf }),
  };
}

function plain(text: string): types.PlainTextElement {
  return { type: "plain_text", text, emoji: true };
}

type InputSpec = {
  blockId: string;
  label: string;
  hint: string;
  maxLength: number;
  placeholder?: string;
  initialValue?: string;
  optional?: boolean;
};

function input(spec: InputSpec): types.InputBlock {
  const element: types.PlainTextInput = {
    type: "plain_text_input",
    action_id: spec.blockId,
    max_length: spec.maxLength,
  };
  if (spec.placeholder) element.placeholder = plain(spec.placeholder);
  // Slack refuses the whole view when an initial value is longer than max_length.
  if (spec.initialValue && spec.initialValue.length <= spec.maxLength)
    element.initial_value = spec.initialValue;
  return {
    type: "input",
    block_id: spec.blockId,
    label: plain(spec.label),
    hint: plain(spec.hint),
    optional: spec.optional ?? false,
    element,
  };
}

/**
 * The modal `/autotask-connect` opens: four inputs (portal URL, API username, secret, tracking
 * identifier), each with a hint saying where Autotask shows the value. The secret input never
 * gets an initial value: Block Kit has no masked input, and a value set here would travel
 * through Slack again.
 */
export function buildConnectModal(prefill: ModalPrefill, metadata: ModalMetadata): types.ModalView {
  return {
    type: "modal",
    callback_id: CONNECT_CALLBACK_ID,
    title: plain("Connect Autotask"),
    submit: plain("Check"),
    close: plain("Cancel"),
    private_metadata: encodeMetadata(metadata),
    blocks: [
      {
        type: "section",
        block_id: "intro",
        text: {
          type: "mrkdwn",
          text: `Checks an Autotask API user and tells you which *Domain* to paste into your integration. The result is posted in <#${metadata.channelId}>; the secret never is.`,
        },
      },
      input({
        blockId: BLOCK_IDS.portalUrl,
        label: "Portal URL",
        hint: "The address in your browser after you log in to Autotask. Leave blank to look it up from the username.",
        maxLength: FIELD_MAX_LENGTH.portalUrl,
        placeholder: PORTAL_PLACEHOLDER,
        initialValue: prefill.portalUrl,
        optional: true,
      }),
      input({
        blockId: BLOCK_IDS.username,
        label: "API username",
        hint: "In Autotask, Admin > Resources/Users, open the API user and copy its Username. Generated ones look like an e-mail address.",
        maxLength: FIELD_MAX_LENGTH.username,
        initialValue: prefill.username,
      }),
      input({
        blockId: BLOCK_IDS.secret,
        label: "Secret",
        hint: "The API user's Secret. Autotask shows it only once, when it is generated; a new one stops integrations that use the old one. It is visible while you type, encrypted before it is queued, and never posted.",
        maxLength: FIELD_MAX_LENGTH.secret,
      }),
      input({
        blockId: BLOCK_IDS.trackingId,
        label: "Tracking identifier",
        hint: 'On the API user, under API Tracking Identifier: Autotask shows it only for "Custom (Internal Integration)"; for a vendor\'s integration, ask the vendor. Only its last 4 characters are ever shown.',
        maxLength: FIELD_MAX_LENGTH.trackingId,
        initialValue: prefill.trackingId,
      }),
      watchInput(),
    ],
  };
}

/** The optional checkbox that turns a successful check into a credentials watch. */
function watchInput(): types.InputBlock {
  return {
    type: "input",
    block_id: WATCH_BLOCK_ID,
    optional: true,
    label: plain("Watch this connection"),
    hint: plain(
      "Re-checks it on a schedule and tells this channel when it breaks (zone moved, secret rejected, permissions or usage changed). The secret is then kept, encrypted, until the watch is stopped.",
    ),
    element: {
      type: "checkboxes",
      action_id: WATCH_BLOCK_ID,
      options: [
        {
          text: plain("Re-check on a schedule and alert this channel"),
          value: WATCH_OPTION_VALUE,
        },
      ],
    },
  };
}

/** The view that replaces the modal after a valid submission: where the results will appear. */
export function buildSubmittedView(channelId: string): types.ModalView {
  return {
    type: "modal",
    callback_id: SUBMITTED_CALLBACK_ID,
    title: plain("Connect Autotask"),
    close: plain("Close"),
    blocks: [
      {
        type: "section",
        block_id: "submitted",
        text: { type: "mrkdwn", text: `Checking… results will appear in <#${channelId}>.` },
      },
    ],
  };
}

/** A valid submission. `portalUrl` is the zone's portal origin, or "" when left blank (zone null). */
export type Submission = {
  portalUrl: string;
  zone: Zone | null;
  username: string;
  secret: string;
  trackingId: string;
  /** "Watch this connection" was ticked. */
  watch: boolean;
};

/** view.state.values as Slack sends it: block_id -> action_id -> { value } (checkboxes: selected_options). */
export type SubmittedValues = Record<
  string,
  Record<string, { value?: string | null; selected_options?: { value?: string }[] | null }>
>;

export type SubmissionResult =
  | { ok: true; submission: Submission }
  | { ok: false; errors: Record<string, string> };

// Any Unicode space, line break, control or format character (zero-width ones included).
const SPACE_OR_INVISIBLE = /[\p{Cc}\p{Cf}\p{Z}]/u;
const CONTROL = /\p{Cc}/u;
// HTTP header values are Latin-1: the Autotask client cannot send anything else, so say so here
// rather than let the check fail as if Autotask were unreachable.
const NOT_LATIN1 = /[\u0100-\u{10FFFF}]/u;

function identifier(what: string, max: number, where: string) {
  return z
    .string()
    .trim()
    .min(1, { message: `Enter the ${what}. ${where}` })
    .max(max, { message: `That is too long for a ${what} (at most ${max} characters); copy it again.` })
    .refine((value) => !SPACE_OR_INVISIBLE.test(value), {
      message: `The ${what} contains a space or an invisible character; copy it again from Autotask.`,
    });
}

// Messages are fixed sentences: the secret's value is never interpolated into one.
const submissionSchema = z.object({
  [BLOCK_IDS.portalUrl]: z.string().transform((raw, ctx) => {
    const resolved = resolvePortalUrl(raw);
    if (resolved.ok) return { portalUrl: resolved.zone.portalUrl, zone: resolved.zone };
    if (resolved.empty) return { portalUrl: "", zone: null };
    ctx.addIssue({ code: "custom", message: capitalise(resolved.reason) });
    return z.NEVER;
  }),
  [BLOCK_IDS.username]: identifier(
    "API username",
    FIELD_MAX_LENGTH.username,
    "It is on the API user in Admin > Resources/Users.",
  ).refine((value) => !NOT_LATIN1.test(value), {
    message:
      "The API username contains characters that cannot be sent to Autotask (such as 用 or emoji); copy it again from Autotask.",
  }),
  [BLOCK_IDS.secret]: z
    .string()
    .trim()
    .min(1, { message: "Enter the API user's secret." })
    .max(FIELD_MAX_LENGTH.secret, {
      message: `That is too long for an Autotask secret (at most ${FIELD_MAX_LENGTH.secret} characters); paste it again.`,
    })
    // A line break or control character cannot travel in an HTTP header.
    .refine((value) => !CONTROL.test(value), {
      message: "The secret contains a line break or a control character; paste it again.",
    })
    .refine((value) => !NOT_LATIN1.test(value), {
      message:
        "The secret contains characters that cannot be sent to Autotask (such as € or emoji); paste it again.",
    }),
  [BLOCK_IDS.trackingId]: identifier(
    "tracking identifier",
    FIELD_MAX_LENGTH.trackingId,
    'It is on the API user under API Tracking Identifier for "Custom (Internal Integration)"; for a vendor\'s integration, the vendor has it.',
  ).refine((value) => !NOT_LATIN1.test(value), {
    message:
      "The tracking identifier contains characters that cannot be sent to Autotask (such as € or emoji); copy it again from Autotask.",
  }),
});

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function submittedValue(values: SubmittedValues, blockId: string): string {
  const value = values[blockId]?.[blockId]?.value ?? Object.values(values[blockId] ?? {})[0]?.value;
  return typeof value === "string" ? value : "";
}

/**
 * Validates the modal's values. Errors are keyed by block_id, one sentence each, ready for
 * `response_action: "errors"`. A blank portal URL is valid: the zone is then looked up from the username.
 */
export function parseSubmission(values: SubmittedValues): SubmissionResult {
  const raw = Object.fromEntries(Object.values(BLOCK_IDS).map((id) => [id, submittedValue(values, id)]));
  const parsed = submissionSchema.safeParse(raw);
  if (!parsed.success) {
    const errors: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const blockId = String(issue.path[0]);
      errors[blockId] ??= issue.message;
    }
    return { ok: false, errors };
  }
  const data = parsed.data;
  return {
    ok: true,
    submission: {
      portalUrl: data[BLOCK_IDS.portalUrl].portalUrl,
      zone: data[BLOCK_IDS.portalUrl].zone,
      username: data[BLOCK_IDS.username],
      secret: data[BLOCK_IDS.secret],
      trackingId: data[BLOCK_IDS.trackingId],
      watch: (values[WATCH_BLOCK_ID]?.[WATCH_BLOCK_ID]?.selected_options ?? []).some(
        (option) => option.value === WATCH_OPTION_VALUE,
      ),
    },
  };
}
