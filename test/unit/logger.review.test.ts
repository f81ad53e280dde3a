import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, toSlackLogger } from "../../src/ops/logger.js";
import { SecretScrubber } from "../../src/security/redact.js";

const SECRET = "Unregistered-Secret-9f3";
const TRACKING_ID = "TRACKINGIDENTIFIER1A2B";

/** A debug logger whose scrubber knows no secret: what the web role has when a submission arrives. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: "debug", pretty: false, destination, scrubber: new SecretScrubber() });
  return { logger, output: () => lines.join("") };
}

describe("toSlackLogger with LOG_LEVEL=debug", () => {
  it("keeps a modal's typed secret out of Socket Mode's raw envelope log", () => {
    const { logger, output } = capture();
    const envelope = JSON.stringify({
      envelope_id: "e1",
      type: "interactive",
      payload: {
        type: "view_submission",
        view: {
          id: "V1",
          state: {
            values: {
              secret: { secret: { type: "plain_text_input", value: SECRET } },
              tracking_id: { tracking_id: { type: "plain_text_input", value: TRACKING_ID } },
            },
          },
        },
      },
    });
    // What @slack/socket-mode's SocketModeClient logs for every message it receives.
    toSlackLogger(logger, "socket-mode").debug(`Received a message on the WebSocket: ${envelope}`);
    expect(output()).toContain("Received a message on the WebSocket");
    expect(output()).not.toContain(SECRET);
    expect(output()).not.toContain(TRACKING_ID);
  });

  it("keeps a pre-filled tracking identifier out of WebClient's request body log", () => {
    const { logger, output } = capture();
    const body = { trigger_id: "t", view: { blocks: [{ element: { initial_value: TRACKING_ID } }] } };
    // What @slack/web-api logs before each call (views.open of "Fix and retry").
    toSlackLogger(logger, "web-api").debug(`http request body: ${JSON.stringify(body)}`);
    expect(output()).toContain("http request body");
    expect(output()).not.toContain(TRACKING_ID);
  });
});
