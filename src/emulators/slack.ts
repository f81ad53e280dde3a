/**
 * A Slack Web API emulator on loopback, for tests and the offline demo. Point a WebClient at it
 * with `slackApiUrl: emulator.apiUrl`. It answers the methods the bot uses the way Slack does:
 * single-use trigger ids that expire after 3 s, Block Kit limits, channel membership rules,
 * message metadata, response_url posts; and it records every call for assertions.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { BLOCK_KIT_LIMITS, checkMessageBlocks, checkView } from "./slack-block-limits.js";

export type ChannelKind = "public" | "private" | "im";
export type EmulatedChannel = { kind: ChannelKind; botIsMember: boolean; name?: string };
export type EmulatedUser = { isAdmin?: boolean; isOwner?: boolean; name?: string; isBot?: boolean };

/** An injected failure: an HTTP 500, a 429 with Retry-After, or `{ ok: false, error }`. */
export type SlackFault = { status: 500 } | { status: 429; retryAfterSeconds: number } | { error: string };

/** One request the emulator answered. `method` is the Web API method, or "response_url". */
export type RecordedCall = { method: string; args: Record<string, unknown>; at: number; response: unknown };

export type EmulatedMessage = {
  channel: string;
  ts: string;
  /** The parent's ts for a thread reply. */
  threadTs?: string;
  text: string;
  blocks: unknown[];
  metadata?: unknown;
  /** How many times chat.update rewrote it. */
  edits: number;
};
export type EmulatedThread = EmulatedMessage & { replies: EmulatedMessage[] };
export type EphemeralMessage = { channel: string; user: string; text: string; blocks: unknown[]; at: number };
export type ResponseUrlPost = { id: string; channelId: string; body: unknown; at: number };

export type SlackEmulatorOptions = {
  /** Clock in milliseconds, for trigger and response_url expiry. @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue 3_000 */
  triggerTtlMs?: number;
  /** When set, calls with another bot token get `invalid_auth`. Any token is accepted otherwise. */
  token?: string;
  /** Bot scopes; without `chat:write.public` a post to a public channel the bot is not in fails. */
  scopes?: string[];
  /** @defaultValue "T0EMULATED" */
  teamId?: string;
  /** @defaultValue "UBOT" */
  botUserId?: string;
};

type Args = Record<string, unknown>;
type Answer = { ok: boolean; [key: string]: unknown };
type Trigger = { expiresAt: number; used: boolean };
type StoredView = { view: Args; hash: string };
type ResponseUrl = { channelId: string; uses: number; expiresAt: number };

const JSON_FIELDS = new Set(["blocks", "attachments", "metadata", "view"]);
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;
const DEFAULT_SCOPES = ["commands", "chat:write", "chat:write.public", "users:read", "im:write"];

function fail(error: string, extra: Args = {}): Answer {
  return { ok: false, error, ...extra };
}

function invalid(error: string, messages: string[]): Answer {
  return fail(error, { errors: messages, response_metadata: { messages } });
}

/** Parses a Web API body: form-encoded (what WebClient sends, objects as JSON strings) or JSON. */
function parseArgs(raw: string, contentType: string | undefined): Args {
  if (contentType?.includes("application/json")) {
    const parsed: unknown = raw === "" ? {} : JSON.parse(raw);
    return typeof parsed === "object" && parsed !== null ? (parsed as Args) : {};
  }
  const args: Args = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = value;
    if (JSON_FIELDS.has(key)) {
      try {
        args[key] = JSON.parse(value);
      } catch {
        // Left as the string: the method answers invalid_arguments for it.
      }
    }
  }
  return args;
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export class SlackEmulator {
  /** Every answered request, in order. */
  readonly calls: RecordedCall[] = [];
  readonly ephemerals: EphemeralMessage[] = [];
  readonly responsePosts: ResponseUrlPost[] = [];

  private readonly events = new EventEmitter();
  private readonly channels = new Map<string, EmulatedChannel>();
  private readonly users = new Map<string, EmulatedUser>();
  private readonly messages: EmulatedMessage[] = [];
  private readonly triggers = new Map<string, Trigger>();
  private readonly views = new Map<string, StoredView>();
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly faults = new Map<string, { fault: SlackFault; times: number }[]>();
  private sequence = 100;
  private readonly now: () => number;
  private readonly options: Required<Omit<SlackEmulatorOptions, "token" | "now">> & { token?: string };

  private constructor(
    private readonly server: Server,
    options: SlackEmulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.options = {
      triggerTtlMs: options.triggerTtlMs ?? 3_000,
      scopes: options.scopes ?? DEFAULT_SCOPES,
      teamId: options.teamId ?? "T0EMULATED",
      botUserId: options.botUserId ?? "UBOT",
      token: options.token,
    };
    this.events.setMaxListeners(0);
  }

  /** Starts an emulator on 127.0.0.1, on a free port. */
  static async start(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
    const server = createServer();
    const emulator = new SlackEmulator(server, options);
    server.on("request", (req, res) => {
      emulator.handle(req, res).catch((error: unknown) => {
        res.writeHead(500, { "content-type": "text/plain" }).end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return emulator;
  }

  /** e.g. `http://127.0.0.1:4001` */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The WebClient's `slackApiUrl`: `http://127.0.0.1:PORT/api/`. */
  get apiUrl(): string {
    return `${this.origin}/api/`;
  }

  get teamId(): string {
    return this.options.teamId;
  }

  get botUserId(): string {
    return this.options.botUserId;
  }

  setChannel(id: string, channel: EmulatedChannel): void {
    this.channels.set(id, { ...channel });
  }

  setUser(id: string, user: EmulatedUser): void {
    this.users.set(id, { ...user });
  }

  /** A trigger id as Slack sends with a slash command or a click: valid for 3 s, once. */
  issueTriggerId(): string {
    const id = `${this.nextSequence()}.${randomBytes(6).toString("hex")}`;
    this.triggers.set(id, { expiresAt: this.now() + this.options.triggerTtlMs, used: false });
    return id;
  }

  /** A response_url for a command typed in this channel, hosted here: 5 uses within 30 minutes. */
  responseUrlFor(channelId: string): string {
    const id = randomBytes(8).toString("hex");
    this.responseUrls.set(id, { channelId, uses: 0, expiresAt: this.now() + RESPONSE_URL_TTL_MS });
    return `${this.origin}/response/${id}`;
  }

  /**
   * Makes the next `times` calls of `method` fail ("response_url" for response_url posts).
   * @param times @defaultValue 1
   */
  injectFault(method: string, fault: SlackFault, times = 1): void {
    const queue = this.faults.get(method) ?? [];
    queue.push({ fault, times });
    this.faults.set(method, queue);
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

  /** The view Slack shows now under this id, or undefined. */
  view(id: string): Args | undefined {
    return this.views.get(id)?.view;
  }

  /** Calls of one method, in order. */
  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /**
   * Resolves with the predicate's first truthy value, checked now and after every request the
   * emulator answers; rejects after `timeoutMs` listing the methods called so far.
   * @param timeoutMs @defaultValue 5_000
   */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const value = predicate();
        if (!value) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        const methods = this.calls.map((call) => call.method).join(", ") || "none";
        reject(new Error(`waitFor: condition not met within ${timeoutMs} ms; calls so far: ${methods}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.events.off("change", check);
      };
      this.events.on("change", check);
      check();
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private nextSequence(): number {
    this.sequence += 1;
    return this.sequence;
  }

  private nextTs(): string {
    const n = this.nextSequence();
    return `${1_700_000_000 + Math.floor(n / 1_000_000)}.${String(n % 1_000_000).padStart(6, "0")}`;
  }

  private record(method: string, args: Args, response: unknown): void {
    this.calls.push({ method, args, at: this.now(), response });
    this.events.emit("change");
  }

  private takeFault(method: string): SlackFault | undefined {
    const queue = this.faults.get(method);
    const next = queue?.[0];
    if (!queue || !next) return undefined;
    next.times -= 1;
    if (next.times <= 0) queue.shift();
    return next.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", this.origin);

    const responseMatch = /^\/response\/([0-9a-f]+)$/.exec(url.pathname);
    if (req.method === "POST" && responseMatch) {
      return this.handleResponseUrl(responseMatch[1] as string, raw, req.headers["content-type"], res);
    }
    const apiMatch = /^\/api\/([A-Za-z.]+)$/.exec(url.pathname);
    if (!apiMatch) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const method = apiMatch[1] as string;
    let args: Args;
    try {
      args = { ...Object.fromEntries(url.searchParams), ...parseArgs(raw, req.headers["content-type"]) };
    } catch {
      return this.answer(res, method, {}, fail("invalid_json"));
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const token = bearer ?? str(args.token);
    delete args.token;

    const fault = this.takeFault(method);
    if (fault && "status" in fault) {
      const body = fault.status === 429 ? fail("ratelimited") : "Internal Server Error";
      this.record(method, args, { status: fault.status, body });
      const headers: Record<string, string> =
        fault.status === 429
          ? { "content-type": "application/json", "retry-after": String(fault.retryAfterSeconds) }
          : { "content-type": "text/plain" };
      res.writeHead(fault.status, headers).end(typeof body === "string" ? body : JSON.stringify(body));
      return;
    }
    if (fault) return this.answer(res, method, args, fail(fault.error));
    if (!token) return this.answer(res, method, args, fail("not_authed"));
    if (this.options.token !== undefined && token !== this.options.token) {
      return this.answer(res, method, args, fail("invalid_auth"));
    }
    const handler = this.methods[method];
    return this.answer(res, method, args, handler ? handler(args) : fail("unknown_method"));
  }

  private answer(res: ServerResponse, method: string, args: Args, answer: Answer): void {
    this.record(method, args, answer);
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(answer));
  }

  private handleResponseUrl(
    id: string,
    raw: string,
    contentType: string | undefined,
    res: ServerResponse,
  ): void {
    const target = this.responseUrls.get(id);
    let body: unknown;
    try {
      body = contentType?.includes("application/json") ? JSON.parse(raw) : parseArgs(raw, contentType);
    } catch {
      body = raw;
    }
    const args = { id, body } as Args;
    const reply = (status: number, text: string) => {
      this.record("response_url", args, { status, body: text });
      res.writeHead(status, { "content-type": "text/plain" }).end(text);
    };
    const fault = this.takeFault("response_url");
    const blocks = (body as Args | undefined)?.blocks;
    if (fault) reply("status" in fault ? fault.status : 200, "error" in fault ? fault.error : "error");
    else if (!target) reply(404, "invalid_url");
    else if (this.now() > target.expiresAt) reply(404, "expired_url");
    else if (target.uses >= RESPONSE_URL_USES) reply(404, "used_url");
    else if (blocks !== undefined && checkMessageBlocks(blocks).length > 0) reply(400, "invalid_blocks");
    else {
      target.uses += 1;
      this.responsePosts.push({ id, channelId: target.channelId, body, at: this.now() });
      reply(200, "ok");
    }
  }

  /** Resolves a channel argument (a user id means the bot's DM with that user) for posting. */
  private channelFor(id: string | undefined): { id: string; channel: EmulatedChannel } | Answer {
    if (!id) return fail("channel_not_found");
    if (/^[UW]/.test(id)) return { id: this.openIm(id), channel: { kind: "im", botIsMember: true } };
    const channel = this.channels.get(id);
    if (!channel) return fail("channel_not_found");
    if (channel.botIsMember) return { id, channel };
    if (channel.kind === "public") {
      return this.options.scopes.includes("chat:write.public") ? { id, channel } : fail("not_in_channel");
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
    if (this.now() > trigger.expiresAt) return fail("expired_trigger_id");
    return undefined;
  }

  private storeView(view: Args, id = `V${this.nextSequence()}`, rootId = id): Answer {
    const hash = `${this.nextSequence()}.${randomBytes(4).toString("hex")}`;
    const stored = {
      ...view,
      id,
      hash,
      team_id: this.options.teamId,
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
    if (args.metadata !== undefined && !validMetadata(args.metadata)) return fail("invalid_metadata_format");
    let threadTs: string | undefined;
    if (str(args.thread_ts)) {
      const parent = this.messages.find((m) => m.channel === target.id && m.ts === args.thread_ts);
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
      ...(args.metadata !== undefined && { metadata: args.metadata }),
    };
    this.messages.push(message);
    return { ok: true, channel: target.id, ts: message.ts, message: this.wire(message) };
  }

  private update(args: Args): Answer {
    const target = this.channelFor(str(args.channel));
    if ("ok" in target) return target;
    const message = this.messages.find((m) => m.channel === target.id && m.ts === args.ts);
    if (!message) return fail("message_not_found");
    const text = typeof args.text === "string" ? args.text : undefined;
    if (text === undefined && args.blocks === undefined) return fail("no_text");
    if (text !== undefined && text.length > BLOCK_KIT_LIMITS.updateText) return fail("msg_too_long");
    if (args.blocks !== undefined) {
      const problems = checkMessageBlocks(args.blocks);
      if (problems.length > 0) return invalid("invalid_blocks", problems);
    }
    if (args.metadata !== undefined && !validMetadata(args.metadata)) return fail("invalid_metadata_format");
    if (text !== undefined) message.text = text;
    if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
    if (args.metadata !== undefined) message.metadata = args.metadata;
    message.edits += 1;
    return { ok: true, channel: target.id, ts: message.ts, text: message.text, message: this.wire(message) };
  }

  private wire(message: EmulatedMessage): Args {
    return {
      type: "message",
      user: this.options.botUserId,
      bot_id: "BEMULATED",
      text: message.text,
      blocks: message.blocks,
      ts: message.ts,
      ...(message.threadTs && { thread_ts: message.threadTs }),
      ...(message.metadata !== undefined && { metadata: message.metadata }),
    };
  }

  private readonly methods: Record<string, (args: Args) => Answer> = {
    "auth.test": () => ({
      ok: true,
      url: "https://emulated.slack.com/",
      team: "Emulated",
      user: "autotask-connect",
      team_id: this.options.teamId,
      user_id: this.options.botUserId,
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
      this.ephemerals.push({ channel: target.id, user, text, blocks: blocks as unknown[], at: this.now() });
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
          team_id: this.options.teamId,
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

function validMetadata(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const { event_type, event_payload } = value as Args;
  return typeof event_type === "string" && typeof event_payload === "object" && event_payload !== null;
}

/** Starts a Slack Web API emulator on a free loopback port. Close it with `close()`. */
export function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  return SlackEmulator.start(options);
}
