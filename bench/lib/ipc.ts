/**
 * Request/answer messages between the bench runner and the processes it forks (emulators, the bot,
 * the baselines), over Node's IPC channel. Each process under test runs alone so its RSS and CPU
 * are its own.
 */
import { type ChildProcess, fork } from "node:child_process";
import { openSync } from "node:fs";

type Request = { id: number; op: string; args: unknown };
type Answer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
type Event = { event: string; data: unknown };

export type Handlers = Record<string, (args: never) => unknown>;

/** CPU time this process has used so far (user + system), in milliseconds. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

/** Child side: answers the runner's requests with these handlers, and `cpu` with {@link cpuMs}. */
export function serve(handlers: Handlers): void {
  const all: Handlers = { cpu: cpuMs, ...handlers };
  process.on("message", async (message: Request) => {
    const handler = all[message.op] as ((args: unknown) => unknown) | undefined;
    try {
      if (!handler) throw new Error(`unknown op ${message.op}`);
      const value = await handler(message.args);
      process.send?.({ id: message.id, ok: true, value } satisfies Answer);
    } catch (error) {
      process.send?.({ id: message.id, ok: false, error: (error as Error).message } satisfies Answer);
    }
  });
  // The runner's exit closes the channel: never outlive it.
  process.on("disconnect", () => process.exit(0));
}

/** Child side: tells the runner something happened (no answer expected). */
export function emit(event: string, data: unknown): void {
  process.send?.({ event, data } satisfies Event);
}

export type ForkOptions = {
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  /** Where the child's standard output goes. @defaultValue /dev/null (the bot logs there at info) */
  stdoutPath?: string;
};

/** Runner side: a forked bench process, driven by `call`. */
export class BenchProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, Set<(data: unknown) => void>>();

  private constructor(readonly child: ChildProcess) {
    child.on("message", (message: Answer | Event) => {
      if ("event" in message) {
        for (const listener of this.listeners.get(message.event) ?? []) listener(message.data);
        return;
      }
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.error));
    });
    child.on("exit", (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`bench process exited (${code ?? signal}) before answering`));
      }
      this.pending.clear();
    });
  }

  /**
   * Forks a compiled entry (bench/lib/compile.ts) under plain node, with `--expose-gc` so RSS can
   * be read after a full GC.
   */
  static start(entry: string, options: ForkOptions = {}): BenchProcess {
    const stdout = openSync(options.stdoutPath ?? "/dev/null", "a");
    const child = fork(entry, [], {
      execArgv: ["--expose-gc", ...(options.nodeFlags ?? [])],
      stdio: ["ignore", stdout, "inherit", "ipc"],
    });
    return new BenchProcess(child);
  }

  call<T>(op: string, args?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args } satisfies Request);
    });
  }

  on(event: string, listener: (data: unknown) => void): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener);
    this.listeners.set(event, set);
    return () => set.delete(listener);
  }

  /** Asks the process to stop cleanly, then waits for it to exit (killed after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    await Promise.race([this.call("stop").catch(() => {}), exited]);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    this.child.disconnect();
    await exited;
    clearTimeout(timer);
  }
}
