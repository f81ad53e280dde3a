/**
 * Hostile text for the property tests: Unicode of every plane, control and invisible characters,
 * Slack markup that would mention, broadcast or link, and values at and past the 3,000-character limit.
 * Plus the checks that rendered Slack text shows none of it as markup.
 */
import fc from "fast-check";

/** Markup a person could type to make the bot mention, broadcast, link or format. */
export const INJECTIONS = [
  "<!channel>",
  "<!here>",
  "<!everyone>",
  "<@U123>",
  "<#C999|general>",
  "<https://evil.example|click>",
  "<mailto:a@evil.example|mail>",
  "*x*",
  "_x_",
  "~x~",
  "`x`",
  "```block```",
  "> quote",
  "&lt;",
  "&amp;",
  ":skull:",
  "https://evil.example",
  "\u0000",
  "\n",
  "\r\n",
  "\t",
  "\u200b",
  "\u202e",
  "\ud83d\ude00",
  "\ud800",
];

const fragment = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.stringMatching(/^[A-Za-z0-9.@_-]{1,20}$/),
);

/** Any hostile value: mixes of markup, Unicode and controls, sometimes 3,000 characters long. */
export const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join("")) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(fragment, { minLength: 1, maxLength: 4 }), fc.integer({ min: 2_990, max: 3_010 }))
      .map(([parts, length]) =>
        parts
          .join("")
          .padEnd(length, parts.join("") || "x")
          .slice(0, length),
      ),
  },
);

/** A username that gets through the modal's rules (no spaces or invisible characters) yet carries markup. */
export const hostileUsername: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        "<!channel>",
        "<@U123>",
        "*x*",
        "<https://evil.example|click>",
        "_x_",
        "&amp;",
        "`",
        ">",
      ),
      fc.stringMatching(/^[A-Za-z0-9.@_-]{1,12}$/),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((parts) => parts.join("").slice(0, 128));

/** A secret long enough to search for, sometimes with characters every encoding changes. */
export const hostileSecret: fc.Arbitrary<string> = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9]{8,16}$/), fc.constantFrom("", '"', "&", "+/=", "é", "%", "<!here>"))
  .map(([base, extra]) => `S3c-${base}${extra}`);

/** Texts Slack renders as mrkdwn in a message, a view or a Web API call's arguments. */
export function mrkdwnTexts(value: unknown, topLevel = true): string[] {
  if (typeof value !== "object" || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((item) => mrkdwnTexts(item, false));
  const record = value as Record<string, unknown>;
  // Plain text is shown as typed (input values, labels); metadata is for machines.
  if (record.type === "plain_text") return [];
  const texts: string[] = [];
  for (const [key, item] of Object.entries(record)) {
    if (key === "metadata" || key === "initial_value" || key === "private_metadata") continue;
    if (key === "text" && typeof item === "string" && (topLevel || record.type === "mrkdwn"))
      texts.push(item);
    else texts.push(...mrkdwnTexts(item, false));
  }
  return texts;
}

/**
 * The `<...>` sequences in mrkdwn that do not come from the bot itself: the requester's mention,
 * the channel link and the status list's dates are the only ones it writes.
 */
export function foreignMarkup(
  texts: string[],
  allowed: { userIds: string[]; channelIds: string[] },
): string[] {
  const ok = new RegExp(
    `^<(?:@(?:${allowed.userIds.join("|")})|#(?:${allowed.channelIds.join("|")})|!date\\^\\d+\\^[^|>]*\\|[^>]*)>$`,
  );
  return texts.flatMap((text) => (text.match(/<[^>]*>?/g) ?? []).filter((tag) => !ok.test(tag)));
}
