/** The few Block Kit pieces every renderer builds, clipped to Slack's limits. Pure. */
import type { types } from "@slack/bolt";
import { clip, escapeMrkdwn } from "./mrkdwn.js";

/** Slack's limit on a section's (and a context element's) text, in characters. */
export const SECTION_TEXT_LIMIT = 3_000;
/** How much of a value a person typed (username, portal URL) is shown, in characters. */
export const SHOWN_VALUE = 200;

export function mrkdwn(text: string): types.MrkdwnElement {
  return { type: "mrkdwn", text };
}

export function section(text: string): types.SectionBlock {
  return { type: "section", text: mrkdwn(clip(text, SECTION_TEXT_LIMIT)) };
}

export function context(text: string): types.ContextBlock {
  return { type: "context", elements: [mrkdwn(clip(text, SECTION_TEXT_LIMIT))] };
}

/** A value a person typed, escaped and clipped for display. */
export function shownValue(value: string): string {
  return escapeMrkdwn(clip(value, SHOWN_VALUE));
}
