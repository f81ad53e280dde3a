/**
 * Showing text a person typed (an API username, a portal URL, a tracking identifier) inside Slack
 * mrkdwn without letting it act as markup.
 */

// Control characters and line breaks: a line break would let `> text` start a quote, and Slack
// shows control characters as boxes anyway.
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}]+/gu;

/**
 * Escapes Slack's three entity characters only (`&`, `<`, `>`), as Slack asks of every mrkdwn
 * text. That alone stops mentions (`<!channel>`, `<@U123>`) and links (`<https://x|label>`), but
 * leaves `*bold*`, `_italic_`, `~strike~` and backticks working: use it for text the bot wrote
 * that may quote a value, such as a check's detail or advice.
 */
export function escapeEntities(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Makes user-supplied text safe to show in mrkdwn, rendered literally.
 *
 * The choice: escape `&`, `<`, `>` (Slack's rule, which disarms mentions, broadcasts, links and
 * dates), then wrap the value in inline code. Inside inline code Slack applies no bold, italic,
 * strike, emoji or auto-linking, so `*x*`, `_x_`, `~x~`, `:x:` and `evil.com` all show as typed,
 * and the value stays exactly copyable. Zero-width characters were rejected: Slack treats a
 * zero-width space as a word boundary (it is the known trick to *enable* formatting mid-word), and
 * invisible characters would corrupt a username someone copies from the message.
 *
 * Backticks cannot appear inside inline code, so each becomes `ˋ` (U+02CB, modifier letter grave
 * accent); line breaks and control characters become one space. Blank text is returned as is
 * (an empty code span renders as two stray backticks).
 */
export function escapeMrkdwn(text: string): string {
  const flat = text.replace(CONTROL, " ");
  const escaped = escapeEntities(flat).replace(/`/g, "\u02CB");
  return escaped.trim() === "" ? escaped : `\`${escaped}\``;
}

/**
 * The last four characters of a tracking identifier after an ellipsis ("…1A2B"): enough to tell
 * two identifiers apart, too little to use one. Counts code points, so a surrogate pair stays whole.
 */
export function lastFour(trackingId: string): string {
  return `…${Array.from(trackingId.trim()).slice(-4).join("")}`;
}

/**
 * Shortens text to at most `max` UTF-16 code units, ending with "…" when cut. Cuts before a
 * trailing lone surrogate so no half character is left behind.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}
