/** The web role: the Bolt app taking Slack's requests and queueing checks. */
import type { OpsRoute } from "../ops/http.js";
import type { CheckProducer } from "../queue/producer.js";
import { sealSecret } from "../security/envelope.js";
import { createAdmissions } from "../slack/admission.js";
import {
  createPostingClient,
  createRolesClient,
  createSlackApp,
  lookupRolesWith,
  type SlackApp,
} from "../slack/app.js";
import { createAuthorizer } from "../slack/authorize.js";
import { createCommandHandler } from "../slack/command.js";
import { createRetryActionHandler } from "../slack/retry-action.js";
import { createSubmissionHandler } from "../slack/submission.js";
import { createSlidingWindows } from "../state/sliding-window.js";
import { createWatchWebPart } from "../watch/web-part.js";
import type { RoleContext } from "./context.js";

const HOUR_MS = 3_600_000;

export async function startWebRole(
  context: RoleContext & { producer: CheckProducer; opsRoutes: OpsRoute[] },
): Promise<{ app: SlackApp; port: number | null }> {
  const { config, logger, metrics, redis, producer } = context;
  const prefix = config.queuePrefix;
  const admissions = createAdmissions({
    windows: createSlidingWindows({
      redis,
      prefix,
      windows: [
        { name: "user-checks", limit: config.limits.checksPerUserPerHour, windowMs: HOUR_MS },
        { name: "workspace-checks", limit: config.limits.checksPerWorkspacePerHour, windowMs: HOUR_MS },
      ],
    }),
    limits: config.limits,
  });
  // users.info has a client of its own: a 429 on it must not hold views.open of anyone else.
  const rolesClient = createRolesClient(config.slack, logger, context.slackFetch);
  const authorize = createAuthorizer(config.authorizedUsers, {
    lookupRoles: (userId) => lookupRolesWith(rolesClient, userId),
  });
  const watches = createWatchWebPart({
    config,
    redis,
    credentialsKey: context.credentialsKey,
    authorize,
    slack: createPostingClient(config.slack, logger, context.dispatcher),
    logger,
  });
  const app = createSlackApp({
    slack: config.slack,
    logger,
    opsRoutes: context.opsRoutes,
    fetch: context.slackFetch,
    identity: context.slackIdentity,
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
        enqueue: async (job, options) => {
          const queued = await producer.enqueue(job, options);
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
  const port = await app.start(config.port);
  const stop = async () => {
    await app.stop();
    await watches.close().catch(() => {});
  };
  return { app: { ...app, stop }, port };
}
