/**
 * The "Watch zone" button on an ok or warning result: it starts a zone watch (no secret kept) on
 * the checked API username. Its value carries what the final message already shows (request id,
 * username, portal URL, Domain, zone), so the button works long after the check's own state expired.
 */
import type { types } from "@slack/bolt";
import { z } from "zod";
import type { CheckResult } from "../autotask/result.js";

/** action_id of the button (the contract's). */
export const WATCH_ZONE_ACTION_ID = "watch_zone";

/** What the button carries, in short keys: a button value holds at most 2,000 characters. */
const valueSchema = z.object({
  r: z.string().min(1).max(64),
  u: z.string().min(1).max(256),
  p: z.string().max(1_000),
  a: z.string().max(200).nullable(),
  z: z.string().max(16).nullable(),
});

export type WatchZoneValue = {
  requestId: string;
  username: string;
  portalUrl: string;
  apiUrl: string | null;
  zone: string | null;
};

const BUTTON_VALUE_MAX = 2_000;

/** The actions block with the button, or null for a failed result (nothing proven to watch). */
export function watchZoneActions(
  result: CheckResult,
  ctx: { requestId: string; portalUrl: string },
): types.ActionsBlock | null {
  if (result.outcome === "failed") return null;
  const value = JSON.stringify({
    r: ctx.requestId,
    u: result.username,
    p: ctx.portalUrl,
    a: result.apiUrl,
    z: result.zone,
  });
  if (value.length > BUTTON_VALUE_MAX) return null;
  return {
    type: "actions",
    block_id: "watch",
    elements: [
      {
        type: "button",
        action_id: WATCH_ZONE_ACTION_ID,
        text: { type: "plain_text", text: "Watch zone" },
        value,
      },
    ],
  };
}

/** The button's value back, or null when it is not what watchZoneActions wrote. */
export function parseWatchZoneValue(raw: string | undefined): WatchZoneValue | null {
  if (!raw) return null;
  try {
    const parsed = valueSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return null;
    const { r, u, p, a, z: zone } = parsed.data;
    return { requestId: r, username: u, portalUrl: p, apiUrl: a, zone };
  } catch {
    return null;
  }
}
