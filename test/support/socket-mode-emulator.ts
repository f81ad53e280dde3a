/**
 * Slack's Socket Mode endpoint on loopback: the WebSocket a Bolt app opens with the URL that
 * `apps.connections.open` returned. It admits single-use tickets, greets each connection with
 * `hello`, delivers envelopes (`{envelope_id, type, payload, accepts_response_payload}`) and
 * resolves each delivery with the app's ack (`{envelope_id, payload}`).
 *
 * Wire it to the Slack Web API emulator: `slack.setSocketModeUrl(() => socket.issueUrl())`.
 * Test-only: `ws` is a devDependency.
 */
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { type SlashCommandFields, slashCommandBody } from "../../src/emulators/slack-requests.js";

export type EnvelopeType = "slash_commands" | "interactive" | "events_api";

/** The app's answer to one envelope. */
export type SocketAck = {
  envelopeId: string;
  /** What the app passed to ack(): `{}` for a bare ack. */
  payload: unknown;
  /** From sending the envelope to receiving the ack, in milliseconds. */
  ms: number;
};

export type DeliverOptions = {
  /** @defaultValue true (slash commands and interactivity accept a response payload) */
  acceptsResponsePayload?: boolean;
  /** Rejects when no ack arrives in time. @defaultValue 3_000, Slack's deadline */
  ackTimeoutMs?: number;
};

type PendingAck = {
  resolve: (ack: SocketAck) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  startedAt: number;
};

const APP_ID = "AEMULATED";

export class SocketModeEmulator {
  /** Every message an app sent, parsed, in order (acks and anything else). */
  readonly received: unknown[] = [];
  /** Upgrade attempts refused for an unknown or reused ticket. */
  refusedTickets = 0;

  private readonly tickets = new Set<string>();
  private readonly open = new Set<WebSocket>();
  /** Connections accepted since start, including closed ones. */
  private accepted = 0;
  private readonly pending = new Map<string, PendingAck>();
  private readonly waiters = new Set<() => void>();

  private constructor(private readonly server: WebSocketServer) {
    server.on("connection", (socket) => this.admit(socket));
  }

  /** Starts the endpoint on 127.0.0.1, on a free port. */
  static async start(): Promise<SocketModeEmulator> {
    let emulator: SocketModeEmulator | undefined;
    const server = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      // Slack's tickets work once; a reconnect goes through apps.connections.open again.
      verifyClient: (info: { req: { url?: string } }) => emulator?.takeTicket(info.req.url) ?? false,
    });
    emulator = new SocketModeEmulator(server);
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    return emulator;
  }

  /** A single-use URL as `apps.connections.open` returns: `ws://127.0.0.1:PORT/link/?ticket=...&app_id=...`. */
  issueUrl(): string {
    const ticket = randomBytes(12).toString("hex");
    this.tickets.add(ticket);
    const { port } = this.server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${APP_ID}`;
  }

  /** Connections accepted since start, closed ones included. */
  get connectionsAccepted(): number {
    return this.accepted;
  }

  /** Connections open now. */
  get connectionCount(): number {
    return this.open.size;
  }

  /**
   * Resolves once exactly `count` connections are open (each greeted with hello).
   * @param count @defaultValue 1
   * @param timeoutMs @defaultValue 5_000
   */
  waitForConnections(count = 1, timeoutMs = 5_000): Promise<void> {
    return this.waitUntil(
      () => this.open.size === count,
      () => `not ${count} Socket Mode connection(s) within ${timeoutMs} ms (open: ${this.open.size})`,
      timeoutMs,
    );
  }

  /**
   * Sends an envelope to the most recent open connection and resolves with the app's ack.
   * Rejects when no connection is open or the ack misses `ackTimeoutMs`.
   */
  deliver(type: EnvelopeType, payload: unknown, options: DeliverOptions = {}): Promise<SocketAck> {
    const socket = [...this.open].at(-1);
    if (!socket) return Promise.reject(new Error("no Socket Mode connection is open"));
    const envelopeId = randomBytes(16).toString("hex");
    const timeoutMs = options.ackTimeoutMs ?? 3_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new Error(`no ack for the ${type} envelope within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(envelopeId, { resolve, reject, timer, startedAt: performance.now() });
      socket.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type,
          payload,
          accepts_response_payload: options.acceptsResponsePayload ?? true,
        }),
      );
    });
  }

  /**
   * Asks every open connection to reconnect, as Slack does when it recycles a server
   * (`{"type":"disconnect","reason":"refresh_requested"}`); the app should call
   * `apps.connections.open` again and connect with a new ticket.
   */
  requestReconnect(reason = "refresh_requested"): void {
    const message = JSON.stringify({
      type: "disconnect",
      reason,
      debug_info: { host: "applink-emulated" },
    });
    for (const socket of this.open) socket.send(message);
  }

  /** Ends every connection without a close handshake and stops listening. */
  async close(): Promise<void> {
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new Error("the Socket Mode emulator closed"));
    }
    this.pending.clear();
    for (const socket of this.server.clients) socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeTicket(url: string | undefined): boolean {
    const ticket = new URL(url ?? "/", "ws://127.0.0.1").searchParams.get("ticket") ?? "";
    if (this.tickets.delete(ticket)) return true;
    this.refusedTickets += 1;
    return false;
  }

  private admit(socket: WebSocket): void {
    this.open.add(socket);
    this.accepted += 1;
    socket.on("close", () => {
      this.open.delete(socket);
      this.notify();
    });
    socket.on("message", (data, isBinary) => {
      if (isBinary) return;
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        message = String(data);
      }
      this.received.push(message);
      this.settle(message);
    });
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.open.size,
        debug_info: { host: "applink-emulated", build_number: 1, approximate_connection_time: 18_060 },
        connection_info: { app_id: APP_ID },
      }),
    );
    this.notify();
  }

  private settle(message: unknown): void {
    const { envelope_id: envelopeId, payload } = (message ?? {}) as {
      envelope_id?: unknown;
      payload?: unknown;
    };
    if (typeof envelopeId !== "string") return;
    const pending = this.pending.get(envelopeId);
    if (!pending) return;
    this.pending.delete(envelopeId);
    clearTimeout(pending.timer);
    pending.resolve({ envelopeId, payload, ms: performance.now() - pending.startedAt });
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  private waitUntil(condition: () => boolean, message: () => string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(message()));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** Starts a Socket Mode endpoint on a free loopback port. Close it with `close()`. */
export function startSocketModeEmulator(): Promise<SocketModeEmulator> {
  return SocketModeEmulator.start();
}

/** A slash command's envelope payload: the same fields as the HTTP form body, as a JSON object. */
export function slashCommandPayload(fields: SlashCommandFields): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(slashCommandBody(fields)));
}

/**
 * An interactive envelope's payload from an interactivity form body (`payload=` + JSON, as
 * `viewSubmissionBody` and `blockActionBody` build it): Socket Mode carries the JSON itself.
 */
export function interactivePayload(formBody: string): unknown {
  return JSON.parse(new URLSearchParams(formBody).get("payload") ?? "null");
}
