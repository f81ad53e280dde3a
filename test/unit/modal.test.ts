import { describe, expect, it } from "vitest";
import { checkView } from "../../src/emulators/slack-block-limits.js";
import {
  BLOCK_IDS,
  buildConnectModal,
  buildSubmittedView,
  CONNECT_CALLBACK_ID,
  decodeMetadata,
  encodeMetadata,
  MAX_PRIVATE_METADATA,
  parseSubmission,
  WATCH_BLOCK_ID,
  WATCH_OPTION_VALUE,
} from "../../src/slack/modal.js";

type Input = {
  type: string;
  block_id: string;
  label: { text: string };
  hint?: { text: string };
  optional?: boolean;
  element: { action_id: string; max_length?: number; initial_value?: string; placeholder?: { text: string } };
};

/** The text inputs (the optional Watch checkbox is tested on its own). */
function inputs(view: { blocks: unknown[] }): Input[] {
  return (view.blocks as Input[]).filter(
    (block) => block.type === "input" && (block.element as { type?: string }).type === "plain_text_input",
  );
}

function inputOf(view: { blocks: unknown[] }, blockId: string): Input {
  const found = inputs(view).find((block) => block.block_id === blockId);
  if (!found) throw new Error(`no input ${blockId}`);
  return found;
}

const metadata = {
  channelId: "C0123",
  responseUrl: "https://hooks.slack.com/commands/T1/1/abc",
  teamId: "T1",
};

describe("buildConnectModal", () => {
  const view = buildConnectModal({}, metadata);

  it("is the modal the contract names, with Check and Cancel buttons", () => {
    expect(view.type).toBe("modal");
    expect(view.callback_id).toBe(CONNECT_CALLBACK_ID);
    expect(view.title.text).toBe("Connect Autotask");
    expect(view.submit?.text).toBe("Check");
    expect(view.close?.text).toBe("Cancel");
  });

  it("asks for the four values under the labels people look for", () => {
    const labels = inputs(view).map((block) => block.label.text);
    expect(labels).toHaveLength(4);
    for (const expected of ["Portal URL", "API username", "Secret", "Tracking identifier"]) {
      expect(labels.some((label) => label.includes(expected))).toBe(true);
    }
  });

  it("uses each block id as its action id", () => {
    for (const block of inputs(view)) expect(block.element.action_id).toBe(block.block_id);
    expect(inputs(view).map((block) => block.block_id)).toEqual(Object.values(BLOCK_IDS));
  });

  it("ends with the optional Watch this connection box, which says the secret is then kept, encrypted", () => {
    const watch = (view.blocks as Input[]).find((block) => block.block_id === WATCH_BLOCK_ID) as Input & {
      element: { type: string; options: { value: string }[] };
    };
    expect(view.blocks.at(-1)).toBe(watch);
    expect(watch).toMatchObject({ type: "input", optional: true, label: { text: "Watch this connection" } });
    expect(watch.element.type).toBe("checkboxes");
    expect(watch.element.action_id).toBe(WATCH_BLOCK_ID);
    expect(watch.element.options.map((option) => option.value)).toEqual([WATCH_OPTION_VALUE]);
    expect(watch.hint?.text).toMatch(/secret is then kept, encrypted/);
  });

  it("says where each value is found in Autotask", () => {
    expect(inputOf(view, BLOCK_IDS.portalUrl).hint?.text).toMatch(/blank.*look.*up.*username/i);
    expect(inputOf(view, BLOCK_IDS.username).hint?.text).toContain("Admin > Resources/Users");
    expect(inputOf(view, BLOCK_IDS.secret).hint?.text).toMatch(/only once/);
    expect(inputOf(view, BLOCK_IDS.trackingId).hint?.text).toContain("Custom (Internal Integration)");
    expect(inputOf(view, BLOCK_IDS.portalUrl).element.placeholder?.text).toBe("https://ww5.autotask.net");
  });

  it("makes only the portal URL optional and bounds every input", () => {
    expect(inputs(view).map((block) => block.optional)).toEqual([true, false, false, false]);
    for (const block of inputs(view)) expect(block.element.max_length).toBeGreaterThan(0);
    expect(inputOf(view, BLOCK_IDS.secret).element.max_length).toBe(256);
  });

  it("pre-fills everything it is given but never the secret", () => {
    const filled = buildConnectModal(
      { portalUrl: "https://ww15.autotask.net", username: "api@example.com", trackingId: "TRACK1A2B" },
      metadata,
    );
    expect(inputOf(filled, BLOCK_IDS.portalUrl).element.initial_value).toBe("https://ww15.autotask.net");
    expect(inputOf(filled, BLOCK_IDS.username).element.initial_value).toBe("api@example.com");
    expect(inputOf(filled, BLOCK_IDS.trackingId).element.initial_value).toBe("TRACK1A2B");
    expect(inputOf(filled, BLOCK_IDS.secret).element).not.toHaveProperty("initial_value");
    const sneaky = { secret: "s3cret", portalUrl: "https://ww5.autotask.net" } as unknown as Parameters<
      typeof buildConnectModal
    >[0];
    expect(JSON.stringify(buildConnectModal(sneaky, metadata))).not.toContain("s3cret");
  });

  it("drops a pre-fill longer than the input allows rather than have Slack refuse the modal", () => {
    const filled = buildConnectModal({ username: "u".repeat(500) }, metadata);
    expect(inputOf(filled, BLOCK_IDS.username).element).not.toHaveProperty("initial_value");
  });

  it("passes every Block Kit limit Slack checks", () => {
    expect(checkView(view)).toEqual([]);
    expect(checkView(buildSubmittedView("C0123"))).toEqual([]);
    expect(view.title.text.length).toBeLessThanOrEqual(24);
  });
});

describe("buildSubmittedView", () => {
  it("says where the results will appear and only offers to close", () => {
    const view = buildSubmittedView("C0123");
    expect(JSON.stringify(view.blocks)).toContain("results will appear in <#C0123>");
    expect(view.close?.text).toBeTruthy();
    expect(view.submit).toBeUndefined();
  });
});

describe("private metadata", () => {
  it("round-trips the channel, response_url, team and retry id", () => {
    const full = { ...metadata, retryOf: "r-123" };
    expect(decodeMetadata(encodeMetadata(full))).toEqual(full);
  });

  it("stays under 3,000 characters by leaving out a response_url too long to fit", () => {
    const long = { ...metadata, responseUrl: `https://hooks.slack.com/${"x".repeat(3_500)}` };
    const encoded = encodeMetadata(long);
    expect(encoded.length).toBeLessThanOrEqual(MAX_PRIVATE_METADATA);
    expect(decodeMetadata(encoded)).toEqual({ channelId: "C0123", teamId: "T1" });
  });

  it("holds only the fields it knows, so nothing else can ride along", () => {
    const withExtra = { ...metadata, secret: "s3cret" } as unknown as Parameters<typeof encodeMetadata>[0];
    expect(encodeMetadata(withExtra)).not.toContain("s3cret");
    expect(decodeMetadata(JSON.stringify({ channelId: "C1", secret: "s3cret" }))).toEqual({
      channelId: "C1",
    });
  });

  it.each(["", "not json", "null", "[]", '{"channelId":""}', '{"responseUrl":"x"}'])("rejects %j", (raw) => {
    expect(decodeMetadata(raw)).toBeNull();
  });
});

function values(fields: Partial<Record<keyof typeof BLOCK_IDS, string | null>>) {
  const filled = {
    portalUrl: "https://ww5.autotask.net",
    username: "api@example.com",
    secret: "S3cr3t!Value",
    trackingId: "ABCDEF1A2B",
    ...fields,
  };
  return Object.fromEntries(
    Object.entries(BLOCK_IDS).map(([key, id]) => [
      id,
      { [id]: { value: filled[key as keyof typeof filled] } },
    ]),
  );
}

describe("parseSubmission", () => {
  it.each([
    ["a portal URL", {}, "https://ww5.autotask.net", "5"],
    ["a blank portal URL (zone looked up later)", { portalUrl: "" }, "", null],
    ["a missing portal URL value", { portalUrl: null }, "", null],
    [
      "an API host pasted as the portal",
      { portalUrl: "webservices15.autotask.net" },
      "https://ww15.autotask.net",
      "15",
    ],
    [
      "a deep link with a path",
      { portalUrl: "https://ww3.autotask.net/Mvc/Home" },
      "https://ww3.autotask.net",
      "3",
    ],
    [
      "padding around values",
      { username: "  api@example.com  ", secret: "  S3cr3t!Value \n" },
      "https://ww5.autotask.net",
      "5",
    ],
    [
      "a custom username that is not an e-mail",
      { username: "integration-bot" },
      "https://ww5.autotask.net",
      "5",
    ],
    [
      "a username with Latin-1 accents",
      { username: "ünïcødé.rené@exämple.com" },
      "https://ww5.autotask.net",
      "5",
    ],
    ["a secret with inner spaces and symbols", { secret: 'a b$c"d<e>' }, "https://ww5.autotask.net", "5"],
  ])("accepts %s", (_name, fields, portalUrl, zoneId) => {
    const result = parseSubmission(values(fields));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.submission.portalUrl).toBe(portalUrl);
    expect(result.submission.zone?.id ?? null).toBe(zoneId);
    expect(result.submission.username).toBe(result.submission.username.trim());
    expect(result.submission.secret).toBe(result.submission.secret.trim());
  });

  it.each([
    ["left unticked (absent from the state, as Slack sends it)", undefined, false],
    ["unticked (no selected option)", { selected_options: [] }, false],
    ["ticked", { selected_options: [{ value: WATCH_OPTION_VALUE }] }, true],
  ])("reads the Watch box %s", (_name, state, watch) => {
    const submitted = { ...values({}), ...(state && { [WATCH_BLOCK_ID]: { [WATCH_BLOCK_ID]: state } }) };
    const result = parseSubmission(submitted);
    expect(result.ok && result.submission.watch).toBe(watch);
  });

  it.each([
    [
      "a username an HTTP header cannot carry",
      { username: "用户@例子.com" },
      BLOCK_IDS.username,
      /cannot be sent to Autotask/,
    ],
    [
      "a look-alike host",
      { portalUrl: "https://ww5.autotask.net.evil.com" },
      BLOCK_IDS.portalUrl,
      /not an Autotask address/,
    ],
    [
      "a host hidden in a path",
      { portalUrl: "evil.com/ww5.autotask.net" },
      BLOCK_IDS.portalUrl,
      /not an Autotask address/,
    ],
    [
      "a portal without a zone",
      { portalUrl: "https://autotask.net" },
      BLOCK_IDS.portalUrl,
      /which Autotask zone/,
    ],
    [
      "userinfo in the URL",
      { portalUrl: "https://me@ww5.autotask.net" },
      BLOCK_IDS.portalUrl,
      /user name or password/,
    ],
    [
      "a 3,000-character portal URL",
      { portalUrl: `https://ww5.autotask.net/${"a".repeat(2_980)}` },
      BLOCK_IDS.portalUrl,
      /characters long/,
    ],
    ["an empty username", { username: "   " }, BLOCK_IDS.username, /Enter the API username/],
    ["a username with a space", { username: "api user" }, BLOCK_IDS.username, /space or an invisible/],
    ["a username with a zero-width space", { username: "api\u200Buser" }, BLOCK_IDS.username, /invisible/],
    ["a 3,000-character username", { username: "u".repeat(3_000) }, BLOCK_IDS.username, /too long/],
    ["an empty secret", { secret: "" }, BLOCK_IDS.secret, /Enter the API user's secret/],
    ["a 3,000-character secret", { secret: "s".repeat(3_000) }, BLOCK_IDS.secret, /too long/],
    ["a secret with a line break inside", { secret: "abc\ndef" }, BLOCK_IDS.secret, /line break/],
    [
      "an empty tracking identifier",
      { trackingId: null },
      BLOCK_IDS.trackingId,
      /Enter the tracking identifier/,
    ],
    [
      "a tracking identifier with a tab",
      { trackingId: "ABC\tDEF" },
      BLOCK_IDS.trackingId,
      /space or an invisible/,
    ],
    [
      "a 3,000-character tracking identifier",
      { trackingId: "T".repeat(3_000) },
      BLOCK_IDS.trackingId,
      /too long/,
    ],
  ])("rejects %s with an error on its block", (_name, fields, blockId, reason) => {
    const result = parseSubmission(values(fields));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors)).toEqual([blockId]);
    expect(result.errors[blockId]).toMatch(reason);
  });

  it("reports every bad field at once", () => {
    const result = parseSubmission(
      values({ portalUrl: "psa.datto.com", username: "", secret: "", trackingId: "" }),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(Object.values(BLOCK_IDS).sort());
  });

  it("never repeats the secret in an error", () => {
    for (const secret of ["x".repeat(3_000), "bad\nSECRETVALUE", "\u0000SECRETVALUE"]) {
      const result = parseSubmission(values({ secret, username: "has space", portalUrl: "evil.com" }));
      expect(JSON.stringify(result)).not.toContain("SECRETVALUE");
      expect(JSON.stringify(result)).not.toContain("x".repeat(100));
    }
  });
});
