import { describe, expect, it } from "vitest";
import type { Attempted } from "../../src/autotask/attempt.js";
import { type AutotaskReply, parseBody } from "../../src/autotask/client.js";
import { diagnoseReply } from "../../src/autotask/diagnosis.js";
import { probeOutcome, probesVerdict } from "../../src/autotask/probes.js";

const ENTITIES = ["Companies", "Tickets", "Contacts", "Resources"];

function answered(reply: AutotaskReply): Attempted {
  return { last: { reply, failure: diagnoseReply("permissions", reply) }, refused: null };
}
const response = (status: number, body: string): AutotaskReply => ({
  kind: "response",
  status,
  retryAfterMs: null,
  wwwAuthenticate: null,
  body: parseBody(body),
});
const READABLE = response(200, '{"items":[{"id":0}]}');
const EMPTY = response(200, '{"items":[]}');
const DENIED = response(
  500,
  '{"errors":["The logged in Resource does not have the adequate permissions to query this entity type."]}',
);
const TIMEOUT: AutotaskReply = {
  kind: "network",
  failure: "timeout",
  detail: "no complete answer within 300 ms",
};
const UNKNOWN = response(500, '{"errors":["Object reference not set to an instance of an object."]}');

function verdict(replies: AutotaskReply[]) {
  return probesVerdict(
    ENTITIES,
    replies.map((reply, i) => probeOutcome(ENTITIES[i] as string, answered(reply))),
  );
}

describe("probesVerdict", () => {
  it("passes when every entity is readable", () => {
    expect(verdict([READABLE, READABLE, READABLE, READABLE])).toMatchObject({
      code: null,
      step: { status: "pass" },
    });
  });

  it("names every entity when one probe timed out and another was denied", () => {
    const { code, step, denied } = verdict([READABLE, TIMEOUT, EMPTY, DENIED]);
    expect(code).toBe("autotask_unavailable");
    expect(denied).toEqual(["Resources"]);
    expect(step.status).toBe("fail");
    expect(step.detail).toContain("cannot read Resources");
    expect(step.detail).toContain("can read Companies");
    expect(step.detail).toContain("Contacts returned no records");
    expect(step.detail).toContain("Reading Tickets failed: Autotask could not be reached");
  });

  it("lets a deliberate Autotask error decide the code before an outage", () => {
    expect(verdict([TIMEOUT, UNKNOWN, READABLE, READABLE]).code).toBe("autotask_error");
  });

  it("reports insufficient_permissions when every probe answered and one was denied", () => {
    expect(verdict([READABLE, DENIED, READABLE, DENIED])).toMatchObject({
      code: "insufficient_permissions",
      denied: ["Tickets", "Resources"],
    });
  });
});
