import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Slack's published schema (slackapi/manifest-schema, MIT; licence beside it), kept in the repo so a
// fresh clone tests alone.
const schemaPath = path.join(repoRoot, "vendor/slack-manifest-schema/manifest.schema.1.0.0.json");

type Manifest = {
  features: {
    slash_commands: { command: string; url: string; usage_hint: string; description: string }[];
    bot_user: { display_name: string };
    app_home?: { messages_tab_enabled?: boolean; messages_tab_read_only_enabled?: boolean };
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
};

function loadSchema(): object {
  return JSON.parse(readFileSync(schemaPath, "utf8")) as object;
}

const manifest = parse(readFileSync(path.join(repoRoot, "manifest.yml"), "utf8")) as Manifest;

function compileSchema() {
  // Slack's schema carries its own annotation keywords ("_note"), so unknown keywords are allowed.
  const ajv = new Ajv({ allErrors: true, strictSchema: false });
  ajv.addFormat("uri", (value: string) => URL.canParse(value));
  // It also says "regex" where JSON Schema says "pattern": enforce it all the same.
  ajv.addKeyword({
    keyword: "regex",
    type: "string",
    schemaType: "string",
    validate: (pattern: string, value: string) => new RegExp(pattern).test(value),
  });
  return { ajv, validate: ajv.compile(loadSchema()) };
}

describe("manifest.yml", () => {
  it("validates against Slack's published manifest schema", () => {
    const { ajv, validate } = compileSchema();
    const valid = validate(manifest);
    expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
    expect(valid).toBe(true);
  });

  it("would catch a manifest Slack refuses (the schema check is not a no-op)", () => {
    const { validate } = compileSchema();
    const broken = structuredClone(manifest) as unknown as {
      display_information: { background_color: string };
    };
    broken.display_information.background_color = "blue";
    expect(validate(broken)).toBe(false);
    const tooLong = structuredClone(manifest);
    (tooLong.features.slash_commands[0] as { command: string }).command = `/${"x".repeat(40)}`;
    expect(validate(tooLong)).toBe(false);
  });

  it("declares /autotask-connect on the bot's events URL", () => {
    const [command, ...others] = manifest.features.slash_commands;
    expect(others).toEqual([]);
    expect(command).toMatchObject({
      command: "/autotask-connect",
      url: "https://YOUR-HOST/slack/events",
      usage_hint: "[help | status | watches | portal URL]",
    });
  });

  it("turns interactivity on at the same URL, for the modal and the retry button", () => {
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: "https://YOUR-HOST/slack/events",
    });
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it("enables the App Home Messages tab, read-only, so results that fall back to a DM can be found", () => {
    expect(manifest.features.app_home).toMatchObject({
      messages_tab_enabled: true,
      messages_tab_read_only_enabled: true,
    });
  });

  it("keeps Slack's schema and its licence notice in the repo, not beside it", () => {
    expect(schemaPath.startsWith(repoRoot + path.sep)).toBe(true);
    const licence = readFileSync(path.join(path.dirname(schemaPath), "LICENSE"), "utf8");
    expect(licence).toContain("MIT License");
    expect(licence).toContain("Copyright (c) Slack Technologies, LLC");
  });

  it("asks for exactly the scopes the bot uses", () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(
      ["chat:write", "chat:write.public", "commands", "im:write", "users:read"].sort(),
    );
  });
});

describe("manifest.yml: the App Home tab of watches", () => {
  const raw = manifest as unknown as {
    features: { app_home?: { home_tab_enabled?: boolean } };
    settings: { event_subscriptions?: { request_url: string; bot_events: string[] } };
  };

  it("enables the Home tab, where the watches are listed", () => {
    expect(raw.features.app_home?.home_tab_enabled).toBe(true);
  });

  it("subscribes to app_home_opened on the bot's events URL", () => {
    expect(raw.settings.event_subscriptions?.request_url).toBe("https://YOUR-HOST/slack/events");
    expect(raw.settings.event_subscriptions?.bot_events).toContain("app_home_opened");
  });
});
