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
import { setTimeout as sleep } from "node:timers/promises";
import { checkMessageBlocks } from "./slack-block-limits.js";
import { ChannelPostLimit, type PostRateLimit } from "./slack-post-limit.js";
import {
  type Answer,
  type Args,
  type EmulatedChannel,
  type EmulatedThread,
  type EmulatedUser,
  type EphemeralMessage,
  fail,
  SlackWorkspace,
} from "./slack-workspace.js";

export type {
  ChannelKind,
  EmulatedChannel,
  EmulatedMessage,
  EmulatedThread,
  EmulatedUser,
  EphemeralMessage,
} from "./slack-workspace.js";

/** An injected failure: an HTTP 500, a 429 with Retry-After, or `{ ok: false, error }`. */
export type SlackFault = { status: 500 } | { status: 429; retryAfterSeconds: number } | { error: string };

/** One request the emulator answered. `method` is the Web API method, or "response_url". */
export type RecordedCall = {
  method: string;
  args: Record<string, unknown>;
  /** When the request arrived (the emulator's clock, ms). */
  at: number;
  /** When the answer was sent: `at` plus `latencyMs`. Set once it is sent. */
  answeredAt?: number;
  response: unknown;
};

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
  /** Added delay before every Web API answer, in milliseconds (not response_url posts). @defaultValue 0 */
  latencyMs?: number;
  /**
   * Slack's per-channel limit on chat.postMessage: `burst` posts at once, then `perSecond`; past it
   * HTTP 429 `{ ok: false, error: "ratelimited" }` with `Retry-After` (seconds), as Slack answers.
   * @defaultValue unlimited
   */
  postRateLimit?: PostRateLimit;
};

export type { PostRateLimit };

type ResponseUrl = { channelId: string; uses: number; expiresAt: number };

const JSON_FIELDS = new Set(["blocks", "attachments", "metadata", "view"]);
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;
const DEFAULT_SCOPES = ["commands", "chat:write", "chat:write.public", "users:read", "im:write"];

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

export class SlackEmulator {
  /** Every answered request, in order. */
  readonly calls: RecordedCall[] = [];
  readonly responsePosts: ResponseUrlPost[] = [];

  private readonly events = new EventEmitter();
  private readonly workspace: SlackWorkspace;
  private readonly responseUrls = new Map<string, ResponseUrl>();
  private readonly faults = new Map<
    string,
    { fault: SlackFault; times: number; where?: (args: Record<string, unknown>) => boolean }[]
  >();
  private readonly now: () => number;
  private readonly token: string | undefined;
  private readonly latencyMs: number;
  private readonly postLimit: ChannelPostLimit | null;
  private socketModeUrl: (() => string) | null = null;

  private constructor(
    private readonly server: Server,
    options: SlackEmulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.token = options.token;
    this.latencyMs = options.latencyMs ?? 0;
    this.postLimit = options.postRateLimit ? new ChannelPostLimit(options.postRateLimit, this.now) : null;
    this.workspace = new SlackWorkspace({
      now: this.now,
      triggerTtlMs: options.triggerTtlMs ?? 3_000,
      scopes: options.scopes ?? DEFAULT_SCOPES,
      teamId: options.teamId ?? "T0EMULATED",
      botUserId: options.botUserId ?? "UBOT",
    });
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
    return this.workspace.settingsOf().teamId;
  }

  get botUserId(): string {
    return this.workspace.settingsOf().botUserId;
  }

  /** Ephemeral messages posted with chat.postEphemeral, in order. */
  get ephemerals(): EphemeralMessage[] {
    return this.workspace.ephemerals;
  }

  setChannel(id: string, channel: EmulatedChannel): void {
    this.workspace.setChannel(id, channel);
  }

  setUser(id: string, user: EmulatedUser): void {
    this.workspace.setUser(id, user);
  }

  /** A trigger id as Slack sends with a slash command or a click: valid for 3 s, once. */
  issueTriggerId(): string {
    return this.workspace.issueTriggerId();
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
   * @param where only calls whose arguments match (e.g. one channel). @defaultValue every call
   */
  injectFault(
    method: string,
    fault: SlackFault,
    times = 1,
    where?: (args: Record<string, unknown>) => boolean,
  ): void {
    const queue = this.faults.get(method) ?? [];
    queue.push({ fault, times, where });
    this.faults.set(method, queue);
  }

  /** A channel's top-level messages in order, each with its replies, as they read now. */
  thread(channelId: string): EmulatedThread[] {
    return this.workspace.thread(channelId);
  }

  /** The App Home tab this user sees now (views.publish), or undefined. */
  homeView(userId: string): Args | undefined {
    return this.workspace.homeView(userId);
  }

  /** The view Slack shows now under this id, or undefined. */
  view(id: string): Args | undefined {
    return this.workspace.view(id);
  }

  /**
   * Turns Socket Mode on: `apps.connections.open` with an app-level token (`xapp-...`) answers
   * `{ ok: true, url }`, the URL from `issue` (a WebSocket endpoint, e.g. a single-use ticket).
   * With null (the default) the method stays unknown, as for an app without Socket Mode.
   */
  setSocketModeUrl(issue: (() => string) | null): void {
    this.socketModeUrl = issue;
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

  private record(method: string, args: Args, response: unknown): RecordedCall {
    const call: RecordedCall = { method, args, at: this.now(), response };
    this.calls.push(call);
    this.events.emit("change");
    return call;
  }

  /** Marks a call answered, and tells waiters (a watcher may time what people see by the answer). */
  private answered(call: RecordedCall): void {
    call.answeredAt = this.now();
    this.events.emit("change");
  }

  private takeFault(method: string, args: Args = {}): SlackFault | undefined {
    const queue = this.faults.get(method);
    const index = queue?.findIndex((entry) => !entry.where || entry.where(args)) ?? -1;
    const next = queue?.[index];
    if (!queue || !next) return undefined;
    next.times -= 1;
    if (next.times <= 0) queue.splice(index, 1);
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
    const token = bearer ?? (typeof args.token === "string" && args.token !== "" ? args.token : undefined);
    delete args.token;

    const fault = this.takeFault(method, args);
    if (fault && "status" in fault) {
      if (fault.status === 429) return this.rateLimited(res, method, args, fault.retryAfterSeconds);
      const body = "Internal Server Error";
      const call = this.record(method, args, { status: fault.status, body });
      await this.delay();
      this.answered(call);
      res.writeHead(fault.status, { "content-type": "text/plain" }).end(body);
      return;
    }
    if (fault) return this.answer(res, method, args, fail(fault.error));
    if (method === "chat.postMessage" && this.postLimit) {
      const retryAfter = this.postLimit.take(String(args.channel ?? ""));
      if (retryAfter !== null) return this.rateLimited(res, method, args, retryAfter);
    }
    if (!token) return this.answer(res, method, args, fail("not_authed"));
    if (method === "apps.connections.open" && this.socketModeUrl) {
      // The one method that takes the app-level token, not the bot token.
      const answer = token.startsWith("xapp-")
        ? { ok: true, url: this.socketModeUrl() }
        : fail("not_allowed_token_type");
      return this.answer(res, method, args, answer);
    }
    if (this.token !== undefined && token !== this.token) {
      return this.answer(res, method, args, fail("invalid_auth"));
    }
    return this.answer(res, method, args, this.workspace.call(method, args));
  }

  /** Answers, recorded first (so waitFor sees the call while the answer is still on its way). */
  private async answer(res: ServerResponse, method: string, args: Args, answer: Answer): Promise<void> {
    const call = this.record(method, args, answer);
    await this.delay();
    this.answered(call);
    res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(answer));
  }

  /** HTTP 429 with Retry-After in seconds and `ratelimited`, as Slack rate-limits a Web API call. */
  private async rateLimited(res: ServerResponse, method: string, args: Args, retryAfterSeconds: number) {
    const body = fail("ratelimited");
    const call = this.record(method, args, { status: 429, body, retryAfter: retryAfterSeconds });
    await this.delay();
    this.answered(call);
    res
      .writeHead(429, { "content-type": "application/json", "retry-after": String(retryAfterSeconds) })
      .end(JSON.stringify(body));
  }

  private delay(): Promise<void> {
    return this.latencyMs > 0 ? sleep(this.latencyMs) : Promise.resolve();
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
      this.answered(this.record("response_url", args, { status, body: text }));
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
}

/** Starts a Slack Web API emulator on a free loopback port. Close it with `close()`. */
export function startSlackEmulator(options: SlackEmulatorOptions = {}): Promise<SlackEmulator> {
  return SlackEmulator.start(options);
}
