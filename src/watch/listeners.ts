/**
 * Watches in Slack: the Watch zone, Stop watching and Check now buttons, the App Home tab
 * (`app_home_opened` -> `views.publish`) and the `/autotask-connect watches` answer. Only people in
 * AUTHORIZED_USERS create, stop, run or list watches.
 */
import type { AllMiddlewareArgs, App, BlockButtonAction, SlackActionMiddlewareArgs } from "@slack/bolt";
import type { AuthorizedUsers } from "../config.js";
import type { Logger } from "../ops/logger.js";
import type { Authorizer } from "../slack/authorize.js";
import { renderRefusal, type SlackMessage } from "../slack/messages.js";
import { escapeMrkdwn } from "../slack/mrkdwn.js";
import { slackErrorCode } from "../slack/notifier.js";
import { parseWatchZoneValue, WATCH_ZONE_ACTION_ID } from "../slack/watch-button.js";
import {
  CHECK_NOW_ACTION_ID,
  type ListOptions,
  renderHomeRefusal,
  renderHomeView,
  renderWatchList,
  UNWATCH_ACTION_ID,
} from "./render.js";
import type { WatchService } from "./service.js";

export type WatchListenerDeps = {
  service: WatchService;
  authorize: Authorizer;
  policy: AuthorizedUsers;
  list: Omit<ListOptions, "note">;
  logger: Logger;
};

type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;

const UNVERIFIABLE =
  "I couldn't check whether you may manage watches (Slack did not answer in time). Please try again in a moment.";

function teamOf(body: BlockButtonAction): string {
  return body.team?.id ?? body.user.team_id ?? "unknown";
}

export function registerWatchListeners(app: App, deps: WatchListenerDeps): void {
  const { service, authorize, logger } = deps;

  /** Tells the clicker, where they clicked: an ephemeral reply in a channel, or their Home tab. */
  async function answer(args: ButtonArgs, message: SlackMessage, replaceList = false): Promise<void> {
    const { body, client, respond } = args;
    if (body.container?.type === "view" || !body.response_url) {
      const entries = await service.list(teamOf(body));
      await client.views.publish({
        user_id: body.user.id,
        view: renderHomeView(entries, { ...deps.list, note: message.text }),
      });
      return;
    }
    if (replaceList) {
      const entries = await service.list(teamOf(body));
      await respond({
        response_type: "ephemeral",
        replace_original: true,
        ...renderWatchList(entries, { ...deps.list, note: message.text }),
      });
      return;
    }
    await respond({ response_type: "ephemeral", replace_original: false, ...message });
  }

  /** Acks, then runs `handle` only for someone in AUTHORIZED_USERS. */
  function guarded(handle: (args: ButtonArgs) => Promise<void>) {
    return async (args: ButtonArgs) => {
      await args.ack();
      try {
        const allowed = await authorize(args.body.user.id);
        if (!allowed.ok) {
          if (args.body.container?.type === "view") {
            await args.client.views.publish({ user_id: args.body.user.id, view: renderHomeRefusal() });
          } else {
            await answer(
              args,
              allowed.reason === "unverifiable"
                ? { text: UNVERIFIABLE, blocks: [] }
                : renderRefusal(deps.policy, args.body.user.id),
            );
          }
          return;
        }
        await handle(args);
      } catch (error) {
        logger.warn({ error: slackErrorCode(error) }, "a watch button failed");
        await answer(args, {
          text: "The bot's storage is unavailable right now; nothing changed. Try again in a moment.",
          blocks: [],
        }).catch(() => {});
      }
    };
  }

  app.action<BlockButtonAction>(
    WATCH_ZONE_ACTION_ID,
    guarded(async (args) => {
      const { body } = args;
      const value = parseWatchZoneValue(body.actions[0]?.value);
      const channelId = body.channel?.id ?? body.container?.channel_id;
      const threadTs = body.message?.ts ?? body.container?.message_ts;
      if (!value || !channelId || !threadTs) {
        await answer(args, { text: "This button is out of date; run the check again.", blocks: [] });
        return;
      }
      const created = await service.watchZone({
        requestId: value.requestId,
        teamId: teamOf(body),
        thread: { channelId, threadTs },
        username: value.username,
        portalUrl: value.portalUrl,
        apiUrl: value.apiUrl,
        zone: value.zone,
        createdBy: body.user.id,
      });
      const name = escapeMrkdwn(value.username);
      const text = created.ok
        ? created.alreadyWatched
          ? `${name} is already watched from this thread.`
          : `Watching the zone of ${name}. \`/autotask-connect watches\` lists or stops watches.`
        : created.reason === "limit"
          ? `Not watched: this workspace already keeps ${deps.list.limit} watches, the most allowed.`
          : `${name} is already watched in this workspace; \`/autotask-connect watches\` lists it.`;
      await answer(args, { text, blocks: [] });
    }),
  );

  app.action<BlockButtonAction>(
    UNWATCH_ACTION_ID,
    guarded(async (args) => {
      const stopped = await service.stop(args.body.actions[0]?.value ?? "", teamOf(args.body));
      const text = stopped
        ? `Stopped watching ${escapeMrkdwn(stopped.username)}: its schedule${stopped.kind === "credentials" ? " and its kept secret are" : " is"} deleted.`
        : "That watch no longer exists.";
      await answer(args, { text, blocks: [] }, true);
    }),
  );

  app.action<BlockButtonAction>(
    CHECK_NOW_ACTION_ID,
    guarded(async (args) => {
      const watch = await service.checkNow(args.body.actions[0]?.value ?? "", teamOf(args.body));
      const text = watch
        ? `Checking ${escapeMrkdwn(watch.username)} now. Its thread gets a reply only if something changed; the list shows the result.`
        : "That watch no longer exists.";
      await answer(args, { text, blocks: [] });
    }),
  );

  app.event("app_home_opened", async ({ event, body, client }) => {
    if (event.tab !== "home") return;
    try {
      const allowed = await authorize(event.user);
      const teamId = (body as { team_id?: string }).team_id ?? "unknown";
      const view = allowed.ok ? renderHomeView(await service.list(teamId), deps.list) : renderHomeRefusal();
      await client.views.publish({ user_id: event.user, view });
    } catch (error) {
      logger.warn({ error: slackErrorCode(error) }, "could not publish the App Home tab");
    }
  });
}

/** The `/autotask-connect watches` answer for a workspace. */
export function createWatchesAnswer(deps: Pick<WatchListenerDeps, "service" | "list">) {
  return async (teamId: string): Promise<SlackMessage> =>
    renderWatchList(await deps.service.list(teamId), deps.list);
}
