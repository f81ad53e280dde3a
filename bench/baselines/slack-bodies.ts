/**
 * The bodies of the three Slack calls a check of the bot makes on a quiet channel, as the bot sent
 * them for an "ok" check with two entities (captured from the Slack emulator at commit e2f72d2):
 * the parent, the final update with its metadata, and the one thread reply carrying every step and
 * "Done". The `--bare-calls webclient` baseline sends these through the Slack WebClient, so the
 * bench can tell what the WebClient and these bodies cost apart from the rest of the bot.
 * Channel, ts and thread_ts are filled in per job.
 */

const STEPS = [
  ":white_check_mark: *Domain*: The portal address is in ww15 (America West 2), whose API origin is https://webservices15.autotask.net.",
  ":white_check_mark: *Zone*: Autotask reports that fast@path.example lives in ww15 (America West 2).",
  ":white_check_mark: *Credentials*: Autotask accepted fast@path.example with tracking identifier …ST77; 1 of 10,000 API requests used in the last 60 minutes.",
  ":white_check_mark: *Permissions*: The API user can read Companies and Tickets.",
  "Done: :white_check_mark: The Autotask connection works. Domain to paste: `https://webservices15.autotask.net`.",
];

const mrkdwnSection = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

const HEADLINE =
  ":hourglass_flowing_sand: Checking the Autotask connection for `fast@path.example`, requested by <@U0ADMIN>";

export const PARENT_BODY = {
  text: HEADLINE,
  blocks: [
    mrkdwnSection(HEADLINE),
    {
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: "Portal URL: `https://ww15.autotask.net` · Tracking identifier: `…ST77` · Request `e3559b98-fb94-4e83-8d78-7edcdcf8f5c3`",
        },
      ],
    },
  ],
};

const NEXT =
  "Paste https://webservices15.autotask.net as the Domain in the integration you are setting up, with this API username, secret and tracking identifier.";

export const UPDATE_BODY = {
  text: `The Autotask connection works (API user \`fast@path.example\`). Domain: https://webservices15.autotask.net. ${NEXT}`,
  blocks: [
    mrkdwnSection(":white_check_mark: *The Autotask connection works*"),
    mrkdwnSection("*Domain to paste:* `https://webservices15.autotask.net`"),
    {
      type: "section",
      fields: [
        { type: "mrkdwn", text: "*Zone*\nAmerica West 2 (15)" },
        { type: "mrkdwn", text: "*API usage*\n1 of 10,000 requests this hour" },
        { type: "mrkdwn", text: "*API username*\n`fast@path.example`" },
        { type: "mrkdwn", text: "*Tracking identifier*\n`…ST77`" },
      ],
    },
    { type: "divider" },
    mrkdwnSection(`*Checks*\n${STEPS.slice(0, 4).join("\n")}`),
    mrkdwnSection(`*What to do next:* ${NEXT}`),
    {
      type: "actions",
      block_id: "watch",
      elements: [
        {
          type: "button",
          action_id: "watch_zone",
          text: { type: "plain_text", text: "Watch zone" },
          value:
            '{"r":"e3559b98-fb94-4e83-8d78-7edcdcf8f5c3","u":"fast@path.example","p":"https://ww15.autotask.net","a":"https://webservices15.autotask.net","z":"15"}',
        },
      ],
    },
    {
      type: "context",
      elements: [
        { type: "mrkdwn", text: "Requested by <@U0ADMIN> · request `e3559b98-fb94-4e83-8d78-7edcdcf8f5c3`" },
      ],
    },
  ],
  metadata: {
    event_type: "autotask_connection_checked",
    event_payload: {
      request_id: "e3559b98-fb94-4e83-8d78-7edcdcf8f5c3",
      outcome: "ok",
      code: "ok",
      api_url: "https://webservices15.autotask.net",
      zone: "15",
      username: "fast@path.example",
    },
  },
};

export const REPLY_BODY = { text: STEPS.join("\n"), blocks: STEPS.map(mrkdwnSection) };
