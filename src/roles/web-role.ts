/** The web role: the Bolt app taking Slack's requests and queueing checks. */
import type { WebClient } from "@slack/web-api";
import type { OpsRoute } from "../ops/http.js";
import type { CheckProducer } from "../queue/producer.js";
import { sealSecret } from "../security/envelope.js";
import { createAdmissions } from "../slack/admission.js";
import { createSlackApp, type SlackApp } from "../slack/app.js";
import { createAuthorizer } from "../slack/authorize.js";
import { createCommandHandler } from "../slack/command.js";
import { createRetryActionHandler } from "../slack/retry-action.js";
import { createSubmissionHandler } from "../slack/submission.js";
import { createSlidingWindow } from "../state/sliding-window.js";
import { createWatchWebPart } from "../watch/web-part.js";
import type { RoleContext } from "./context.js";

const HOUR_MS = 3_600_000;

export async function startWebRole(
  context: RoleContext & { producer: CheckProducer; opsRoutes: OpsRoute[] },
): Promise<{ app: SlackApp; port: number | null }> {
  const { config, logger, metrics, redis, producer } = context;
  const prefix = config.queuePrefix;
  const hourlyWindow = (name: string, limit: number) =>
    createSlidingWindow({ redis, prefix, name, limit, windowMs: HOUR_MS });
  const admissions = createAdmissions({
    perUser: hourlyWindow("user-checks", config.limits.checksPerUserPerHour),
    perWorkspace: hourlyWindow("workspace-checks", config.limits.checksPerWorkspacePerHour),
    limits: config.limits,
  });
  // The app's own Web API client answers users.info; it exists once the app does.
  let client: WebClient | null = null;
  const authorize = createAuthorizer(config.authorizedUsers, {
    lookupRoles: async (userId) => {
      const reply = await (client as WebClient).users.info({ user: userId });
      return {
        isAdmin: Boolean(reply.user?.is_admin),
        isOwner: Boolean(reply.user?.is_owner || reply.user?.is_primary_owner),
      };
    },
  });
  const watches = createWatchWebPart({
    config,
    redis,
    credentialsKey: context.credentialsKey,
    authorize,
    logger,
  });
  const app = createSlackApp({
    slack: config.slack,
    logger,
    opsRoutes: context.opsRoutes,
    extraListeners: [watches.register],
    handlers: {
      command: createCommandHandler({
        authorize,
        policy: config.authorizedUsers,
        recent: context.recent,
        checkAdmission: admissions.check,
        watches: watches.answerWatches,
      }),
      submission: createSubmissionHandler({
        enqueue: async (job) => {
          const queued = await producer.enqueue(job);
          if (!queued.ok) metrics.enqueueFailures.inc();
          return queued;
        },
        sealSecret: (secret, requestId) => sealSecret(secret, context.credentialsKey, requestId),
        scrubber: context.scrubber,
        authorize,
        admit: admissions.admit,
        logger,
      }),
      retry: createRetryActionHandler({
        authorize,
        policy: config.authorizedUsers,
        prefills: context.prefills,
      }),
    },
  });
  client = app.app.client;
  const port = await app.start(config.port);
  const stop = async () => {
    await app.stop();
    await watches.close().catch(() => {});
  };
  return { app: { ...app, stop }, port };
}
