/**
 * The state of an emulated Slack workspace and the Web API methods over it: channels and their
 * membership, users, messages and threads, views and trigger ids. No HTTP here (see slack.ts).
 */
import { randomBytes } from "node:crypto";
import { BLOCK_KIT_LIMITS, checkMessageBlocks, checkView } from "./slack-block-limits.js";

export type ChannelKind = "public" | "private" | "im";
export type EmulatedChannel = { kind: ChannelKind; botIsMember: boolean; name?: string };
export type EmulatedUser = { isAdmin?: boolean; isOwner?: boolean; name?: string; isBot?: boolean };

export type EmulatedMessage = {
  channel: string;
  ts: string;
  /** The parent's ts for a thread reply. */
  threadTs?: string;
  text: string;
  blocks: unknown[];
  metadata?: unknown;
  /** A thread reply also sent to the channel (`reply_broadcast`). */
  broadcast?: boolean;
  /** How many times chat.update rewrote it. */
  edits: number;
};
export type EmulatedThread = EmulatedMessage & { replies: EmulatedMessage[] };
export type EphemeralMessage = { channel: string; user: string; text: string; blocks: unknown[]; at: number };

export type Args = Record<string, unknown>;
export type Answer = { ok: boolean; [key: string]: unknown };

export type WorkspaceSettings = {
  now: () => number;
  triggerTtlMs: number;
  scopes: string[];
  teamId: string;
  botUserId: string;
};

type Trigger = { expiresAt: number; used: boolean };
type StoredView = { view: Args; hash: string };

export function fail(error: string, extra: Args = {}): Answer {
  return { ok: false, error, ...extra };
}

function invalid(error: string, messages: string[]): Answer {
  return fail(error, { errors: messages, response_metadata: { messages } });
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function validMetadata(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { event_type, event_payload } = value as Args;
  return typeof event_type === "string" && typeof event_payload === "object" && event_payload !== null;
}

/** True when a JSON value holds a null anywhere (a key with no value). */
function holdsNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== "object") return false;
  return Object.values(value as Args).some(holdsNull);
}

/**
 * What Slack does with message metadata: a malformed object fails the call
 * (`invalid_metadata_format`), while metadata that is well formed but does not fit Slack's schema
 * (here: a payload key whose value is null) is dropped and the call still succeeds, with the
 * warning `invalid_metadata_schema` (docs.slack.dev/messaging/message-metadata; chat.postMessage
 * and chat.update reference, "warnings").
 */
type MetadataVerdict = { keep: unknown } | { drop: "invalid_metadata_schema" } | { refuse: Answer };

function judgeMetadata(value: unknown): MetadataVerdict {
  if (value === undefined) return { keep: undefined };
  if (!validMetadata(value)) return { refuse: fail("invalid_metadata_format") };
  if (holdsNull((value as Args).event_payload)) return { drop: "invalid_metadata_schema" };
  return { keep: value };
}

/** Adds Slack's `warning` / `response_metadata.warnings` to a successful answer. */
function withWarning(answer: Answer, verdict: MetadataVerdict): Answer {
  if (!("drop" in verdict)) return answer;
  return { ...answer, warning: verdict.drop, response_metadata: { warnings: [verdict.drop] } };
}

export class SlackWorkspace {
  readonly ephemerals: EphemeralMessage[] = [];
  private readonly channels = new Map<string, EmulatedChannel>();
  private readonly users = new Map<string, EmulatedUser>();
  private readonly messages: EmulatedMessage[] = [];
  /** The same messages by channel and ts: thread replies and updates look their parent up here. */
  private readonly messageIndex = new Map<string, EmulatedMessage>();
  private readonly triggers = new Map<string, Trigger>();
  private readonly views = new Map<string, StoredView>();
  /** Each user's App Home tab, as last published with views.publish. */
  private readonly homeViews = new Map<string, Args>();
  private sequence = 100;

  constructor(private readonly settings: WorkspaceSettings) {}

  setChannel(id: string, channel: EmulatedChannel): void {
    this.channels.set(id, { ...channel });
  }

  setUser(id: string, user: EmulatedUser): void {
    this.users.set(id, { ...user });
  }

  /** A trigger id valid for `triggerTtlMs`, once. */
  issueTriggerId(): string {
    const id = `${this.nextSequence()}.${randomBytes(6).toString("hex")}`;
    this.triggers.set(id, { expiresAt: this.settings.now() + this.settings.triggerTtlMs, used: false });
    return id;
  }

  /** A channel's top-level messages in order, each with its replies, as they read now. */
  thread(channelId: string): EmulatedThread[] {
    const inChannel = this.messages.filter((message) => message.channel === channelId);
    return inChannel
      .filter((message) => message.threadTs === undefined)
      .map((parent) => ({
        ...structuredClone(parent),
        replies: inChannel
          .filter((reply) => reply.threadTs === parent.ts)
          .map((reply) => structuredClone(reply)),
      }));
  }

  /** The Home tab this user sees now (views.publish), or undefined. */
  homeView(userId: string): Args | undefined {
    return this.homeViews.get(userId);
  }

  /** The view shown now under this id, or undefined. */
  view(id: string): Args | undefined {
    return this.views.get(id)?.view;
  }

  settingsOf(): Readonly<WorkspaceSettings> {
    return this.settings;
  }

  /** Answers one Web API call. */
  call(method: string, args: Args): Answer {
    const handler = this.methods[method];
    return handler ? handler(args) : fail("unknown_method");
  }

  private nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  /** Unique and increasing, shaped like Slack's: "1700000000.000101". */
  private nextTs(): string {
    const n = this.nextSequence();
    return `${1_700_000_000 + Math.floor(n / 1_000_000)}.${String(n % 1_000_000).padStart(6, "0")}`;
  }

  private channelFor(id: string | undefined): { id: string; channel: EmulatedChannel } | Answer {
    if (!id) return fail("channel_not_found");
    if (/^[UW]/.test(id)) return { id: this.openIm(id), channel: { kind: "im", botIsMember: true } };
    const channel = this.channels.get(id);
    if (!channel) return fail("channel_not_found");
    if (channel.botIsMember) return { id, channel };
    if (channel.kind === "public") {
      return this.settings.scopes.includes("chat:write.public") ? { id, channel } : fail("not_in_channel");
    }
    return fail("channel_not_found");
  }

  private openIm(userId: string): string {
    const id = `D${userId.slice(1)}`;
    if (!this.channels.has(id)) this.channels.set(id, { kind: "im", botIsMember: true });
    return id;
  }

  private checkTrigger(id: string | undefined): Answer | undefined {
    if (!id) return invalid("invalid_arguments", ["[ERROR] missing required field: trigger_id"]);
    const trigger = this.triggers.get(id);
    if (!trigger) return fail("invalid_trigger_id");
    if (trigger.used) return fail("exchanged_trigger_id");
    if (this.settings.now() > trigger.expiresAt) return fail("expired_trigger_id");
    return undefined;
  }

  private storeView(view: Args, id = `V${this.nextSequence()}`, rootId = id): Answer {
    const hash = `${this.nextSequence()}.${randomBytes(4).toString("hex")}`;
    const stored = {
      ...view,
      id,
      hash,
      team_id: this.settings.teamId,
      root_view_id: rootId,
      state: { values: {} },
      bot_id: "BEMULATED",
    };
    this.views.set(id, { view: stored, hash });
    return { ok: true, view: stored };
  }

  private openView(args: Args, rootId?: string): Answer {
    const triggerProblem = this.checkTrigger(str(args.trigger_id));
    if (triggerProblem) return triggerProblem;
    const problems = checkView(args.view);
    if (problems.length > 0) return invalid("invalid_arguments", problems);
    (this.triggers.get(args.trigger_id as string) as Trigger).used = true;
    const id = `V${this.nextSequence()}`;
    return this.storeView(args.view as Args, id, rootId ?? id);
  }

  private postMessage(args: Args): Answer {
    const target = this.channelFor(str(args.channel));
    if ("ok" in target) return target;
    const text = typeof args.text === "string" ? args.text.slice(0, BLOCK_KIT_LIMITS.messageText) : "";
    const blocks = args.blocks ?? [];
    if (text === "" && (!Array.isArray(blocks) || blocks.length === 0)) return fail("no_text");
    const problems = checkMessageBlocks(blocks);
    if (problems.length > 0) return invalid("invalid_blocks", problems);
    const metadata = judgeMetadata(args.metadata);
    if ("refuse" in metadata) return metadata.refuse;
    let threadTs: string | undefined;
    if (str(args.thread_ts)) {
      const parent = this.messageIndex.get(`${target.id}/${args.thread_ts}`);
      if (!parent) return fail("thread_not_found");
      threadTs = parent.threadTs ?? parent.ts;
    }
    const message: EmulatedMessage = {
      channel: target.id,
      ts: this.nextTs(),
      text,
      blocks: blocks as unknown[],
      edits: 0,
      ...(threadTs && { threadTs }),
      ...("keep" in metadata && metadata.keep !== undefined && { metadata: metadata.keep }),
      ...(threadTs &&
        (args.reply_broadcast === true || args.reply_broadcast === "true") && { broadcast: true }),
    };
    this.messages.push(message);
    this.messageIndex.set(`${message.channel}/${message.ts}`, message);
    return withWarning(
      { ok: true, channel: target.id, ts: message.ts, message: this.wire(message) },
      metadata,
    );
  }

  private update(args: Args): Answer {
    const target = this.channelFor(str(args.channel));
    if ("ok" in target) return target;
    const message = this.messageIndex.get(`${target.id}/${String(args.ts)}`);
    if (!message) return fail("message_not_found");
    const text = typeof args.text === "string" ? args.text : undefined;
    if (text === undefined && args.blocks === undefined) return fail("no_text");
    if (text !== undefined && text.length > BLOCK_KIT_LIMITS.updateText) return fail("msg_too_long");
    if (args.blocks !== undefined) {
      const problems = checkMessageBlocks(args.blocks);
      if (problems.length > 0) return invalid("invalid_blocks", problems);
    }
    const metadata = judgeMetadata(args.metadata);
    if ("refuse" in metadata) return metadata.refuse;
    if (text !== undefined) message.text = text;
    if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
    if ("keep" in metadata && metadata.keep !== undefined) message.metadata = metadata.keep;
    message.edits += 1;
    return withWarning(
      { ok: true, channel: target.id, ts: message.ts, text: message.text, message: this.wire(message) },
      metadata,
    );
  }

  private wire(message: EmulatedMessage): Args {
    return {
      type: "message",
      user: this.settings.botUserId,
      bot_id: "BEMULATED",
      text: message.text,
      blocks: message.blocks,
      ts: message.ts,
      ...(message.threadTs && { thread_ts: message.threadTs }),
      ...(message.metadata !== undefined && { metadata: message.metadata }),
    };
  }

  /** The Web API methods, by name. */
  readonly methods: Record<string, (args: Args) => Answer> = {
    "auth.test": () => ({
      ok: true,
      url: "https://emulated.slack.com/",
      team: "Emulated",
      user: "autotask-connect",
      team_id: this.settings.teamId,
      user_id: this.settings.botUserId,
      bot_id: "BEMULATED",
      is_enterprise_install: false,
    }),
    "views.open": (args) => this.openView(args),
    "views.push": (args) => this.openView(args),
    "views.update": (args) => {
      const id =
        str(args.view_id) ?? [...this.views].find(([, v]) => v.view.external_id === args.external_id)?.[0];
      const current = id ? this.views.get(id) : undefined;
      if (!id || !current) return fail("not_found");
      if (str(args.hash) && args.hash !== current.hash) return fail("hash_conflict");
      const problems = checkView(args.view);
      if (problems.length > 0) return invalid("invalid_arguments", problems);
      return this.storeView(args.view as Args, id, current.view.root_view_id as string);
    },
    // App Home: a "home" view of at most 100 blocks, per user (api.slack.com/methods/views.publish).
    "views.publish": (args) => {
      const user = str(args.user_id);
      if (!user) return invalid("invalid_arguments", ["[ERROR] missing required field: user_id"]);
      const view = args.view as Args | undefined;
      if (typeof view !== "object" || view === null || view.type !== "home")
        return invalid("invalid_arguments", ["[ERROR] must be a home view [json-pointer:/view/type]"]);
      const blocks = Array.isArray(view.blocks) ? view.blocks : [];
      if (blocks.length > 100) return invalid("invalid_arguments", ["[ERROR] must have at most 100 items"]);
      const problems: string[] = [];
      for (let i = 0; i < blocks.length; i += 50)
        problems.push(...checkMessageBlocks(blocks.slice(i, i + 50)));
      if (problems.length > 0) return invalid("invalid_arguments", problems);
      this.homeViews.set(user, view);
      return { ok: true, view: { ...view, id: `V${this.nextSequence()}`, team_id: this.settings.teamId } };
    },
    "chat.postMessage": (args) => this.postMessage(args),
    "chat.update": (args) => this.update(args),
    "chat.postEphemeral": (args) => {
      const target = this.channelFor(str(args.channel));
      if ("ok" in target) return target;
      const user = str(args.user);
      if (!user) return fail("user_not_found");
      const blocks = args.blocks ?? [];
      const text = typeof args.text === "string" ? args.text : "";
      if (text === "" && (!Array.isArray(blocks) || blocks.length === 0)) return fail("no_text");
      const problems = checkMessageBlocks(blocks);
      if (problems.length > 0) return invalid("invalid_blocks", problems);
      this.ephemerals.push({
        channel: target.id,
        user,
        text,
        blocks: blocks as unknown[],
        at: this.settings.now(),
      });
      return { ok: true, message_ts: this.nextTs() };
    },
    "users.info": (args) => {
      const id = str(args.user) ?? "";
      const user = this.users.get(id);
      if (!user) return fail("user_not_found");
      return {
        ok: true,
        user: {
          id,
          team_id: this.settings.teamId,
          name: user.name ?? id.toLowerCase(),
          real_name: user.name ?? id,
          deleted: false,
          is_admin: user.isAdmin ?? false,
          is_owner: user.isOwner ?? false,
          is_primary_owner: false,
          is_bot: user.isBot ?? false,
        },
      };
    },
    "conversations.open": (args) => {
      const ids = String(args.users ?? "")
        .split(",")
        .filter(Boolean);
      if (ids.length !== 1 || !/^[UW]/.test(ids[0] as string)) return fail("user_not_found");
      return { ok: true, channel: { id: this.openIm(ids[0] as string) } };
    },
    "conversations.info": (args) => {
      const id = str(args.channel) ?? "";
      const channel = this.channels.get(id);
      if (!channel || (channel.kind !== "public" && !channel.botIsMember)) return fail("channel_not_found");
      return {
        ok: true,
        channel: {
          id,
          name: channel.name ?? id.toLowerCase(),
          is_channel: channel.kind === "public",
          is_group: channel.kind === "private",
          is_im: channel.kind === "im",
          is_private: channel.kind !== "public",
          is_member: channel.botIsMember,
        },
      };
    },
  };
}
