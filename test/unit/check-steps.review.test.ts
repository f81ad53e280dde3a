import { describe, expect, it } from "vitest";
import { runCheck } from "../../src/autotask/check.js";
import { type AutotaskClient, type AutotaskReply, parseBody } from "../../src/autotask/client.js";
import type { CheckStep } from "../../src/autotask/result.js";

const SECRET = "Echoed-Secret-7Qx";
const TRACKING_ID = "FULLTRACKINGIDENTIFIER9Z8Y";

function reply(status: number, body: unknown): AutotaskReply {
  return {
    kind: "response",
    status,
    retryAfterMs: null,
    wwwAuthenticate: null,
    body: parseBody(JSON.stringify(body)),
  };
}

/** Autotask answers the zone lookup, then quotes the credentials back in an error (as a proxy or a debug build may). */
function echoingClient(call: "credentials" | "permissions"): AutotaskClient {
  const echo = reply(500, { errors: [`Rejected Secret ${SECRET} for ApiIntegrationCode ${TRACKING_ID}`] });
  return {
    zoneInformation: async () =>
      reply(200, { zoneName: "America West", url: "https://webservices5.autotask.net/ATServicesRest/" }),
    thresholdInformation: async () =>
      call === "credentials"
        ? echo
        : reply(200, {
            externalRequestThreshold: 10_000,
            requestThresholdTimeframe: 60,
            currentTimeframeRequestCount: 1,
          }),
    queryEntity: async () => echo,
  };
}

describe("step details reported while the check runs", () => {
  it.each(["credentials", "permissions"] as const)(
    "never carry the secret or the whole tracking identifier quoted by Autotask at the %s step",
    async (call) => {
      const steps: CheckStep[] = [];
      const result = await runCheck(
        {
          requestId: "req-1",
          portalUrl: "https://ww5.autotask.net",
          username: "api@example.com",
          secret: SECRET,
          trackingId: TRACKING_ID,
        },
        {
          client: echoingClient(call),
          requiredEntities: ["Companies"],
          retry: { attempts: 1 },
          onStep: (step) => void steps.push(step),
        },
      );
      expect(result.outcome).toBe("failed");
      const posted = JSON.stringify(steps);
      expect(posted).toContain(call === "credentials" ? "Checking api@example.com" : "Reading Companies");
      expect(posted).not.toContain(SECRET);
      expect(posted).not.toContain(TRACKING_ID);
      expect(JSON.stringify(result)).not.toContain(SECRET);
    },
  );
});
