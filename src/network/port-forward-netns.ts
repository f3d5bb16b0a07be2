/**
 * TCP connections made inside a pod's network namespace and handed to this
 * process, so that port-forward copies bytes between two sockets of its own
 * with no process in between.
 *
 * Node cannot enter a namespace (no setns) and `node:net` cannot receive a
 * file descriptor (no SCM_RIGHTS), but Node's IPC channel to a child
 * process can pass a socket (libuv sends it with SCM_RIGHTS). So, per
 * namespace, one small Node helper runs inside it
 * (`nsenter --net=PATH node -e HELPER`, with an IPC channel); for each
 * connection the parent sends `{id, port}`, the helper connects to
 * `127.0.0.1:port` without reading from it and sends the connected socket
 * back, closing its own copy. The socket keeps the namespace it was created
 * in, whichever process holds it.
 *
 * The helper lives while it has connections to make and `idleMs` (10 s)
 * after the last one was handed over, so a burst of connections (a port-
 * forward session, a browser) pays one start of Node (about 25 ms here),
 * not one per connection, and {@link warmNamespace} starts it when a
 * session is granted, before its first connection; it is unreferenced, so it never keeps this process alive,
 * and it exits when this process does (its IPC channel closes). While it
 * runs it holds the namespace, so a removed pod's namespace lingers at most
 * `idleMs` with no interface but its loopback. Helpers are keyed by the
 * namespace's inode as well as its path, so a path reused by a new
 * namespace gets a new helper.
 *
 * Alternatives measured on the 2-vCPU VM (crictl port-forward of 100 MB
 * from busybox httpd): `nsenter socat STDIO TCP` per connection, with its
 * two pipes and one more process copying every byte, moved about 220 MB/s
 * where a socket of our own to the same server moved about 380 MB/s (and,
 * with the reused read buffers of ./port-forward.ts, 420-730 MB/s, on a par
 * with containerd). A Unix-socket hop instead of pipes or a bigger socat
 * buffer keeps that extra copy and process; a native addon calling setns
 * would need a compiler at install time.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from "node:child_process";
import { stat } from "node:fs/promises";
import type { Socket } from "node:net";

/** The helper: connects inside its namespace and sends each socket back unread. */
const HELPER = `
const net = require("node:net");
process.on("message", (m) => {
  if (!m || typeof m.id !== "number") return;
  const s = net.connect({ host: "127.0.0.1", port: m.port, allowHalfOpen: true });
  s.pause();
  s.once("error", (e) => { s.destroy(); process.send({ id: m.id, error: String(e && e.message || e) }); });
  s.once("connect", () => { s.removeAllListeners("error"); s.on("error", () => {}); process.send({ id: m.id }, s); });
});
process.on("disconnect", () => process.exit(0));
`;

/** Options of {@link connectInNamespace}. @internal */
export interface NamespaceConnectOptions {
  /** The nsenter binary. @defaultValue `"nsenter"` */
  nsenter?: string | undefined;
  /** How long a helper with nothing to do stays, in ms. @defaultValue 10000 */
  idleMs?: number | undefined;
  /** Give up (and destroy the socket if it came) when this aborts. */
  signal?: AbortSignal | undefined;
}

interface Pending {
  resolve: (s: Socket) => void;
  reject: (e: Error) => void;
}

class Helper {
  readonly child: ChildProcess;
  readonly pending = new Map<number, Pending>();
  #nextId = 1;
  #idle: NodeJS.Timeout | undefined;
  #stderr = "";
  #gone = false;

  readonly key: string;
  readonly idleMs: number;

  constructor(key: string, netnsPath: string, nsenter: string, idleMs: number) {
    this.key = key;
    this.idleMs = idleMs;
    const env = { ...process.env };
    delete env["NODE_OPTIONS"];
    this.child = spawn(nsenter, [`--net=${netnsPath}`, process.execPath, "--max-old-space-size=32", "-e", HELPER], { stdio: ["ignore", "ignore", "pipe", "ipc"], env });
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (d: string) => {
      if (this.#stderr.length < 4096) this.#stderr += d;
    });
    this.child.stderr?.on("error", () => {});
    this.child.on("message", (m: { id?: unknown; error?: unknown }, handle: unknown) => {
      const p = typeof m?.id === "number" ? this.pending.get(m.id) : undefined;
      if (p === undefined) {
        (handle as Socket | undefined)?.destroy();
        return;
      }
      this.pending.delete(m.id as number);
      this.#settled();
      if (handle !== undefined && handle !== null) p.resolve(handle as Socket);
      else p.reject(new Error(typeof m.error === "string" ? m.error : "no socket from the namespace helper"));
    });
    const gone = (why: string): void => {
      if (this.#gone) return;
      this.#gone = true;
      if (this.#idle) clearTimeout(this.#idle);
      if (helpers.get(this.key) === this) helpers.delete(this.key);
      const err = new Error(`namespace helper ${why}${this.#stderr ? `: ${this.#stderr.trim()}` : ""}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.child.once("error", (e) => gone(`failed: ${e.message}`));
    this.child.once("exit", (code, sig) => gone(`exited (${sig ?? code})`));
    this.child.once("disconnect", () => gone("disconnected"));
    // Idle from the start: a helper warmed for connections that never come goes after idleMs.
    this.#settled();
  }

  get gone(): boolean {
    return this.#gone;
  }

  connect(port: number): Promise<Socket> {
    const id = this.#nextId++;
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
    this.#ref();
    return new Promise<Socket>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.child.send({ id, port }, (err) => {
          if (err && this.pending.delete(id)) {
            this.#settled();
            reject(err);
          }
        });
      } catch (err) {
        this.pending.delete(id);
        this.#settled();
        reject(err as Error);
      }
    });
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }

  #settled(): void {
    if (this.pending.size > 0 || this.#gone) return;
    this.#unref();
    this.#idle = setTimeout(() => this.kill(), this.idleMs);
    this.#idle.unref();
  }

  // While a request is out the channel keeps this process alive; idle, it does not.
  #ref(): void {
    this.child.ref();
    (this.child.channel as { ref?: () => void } | null | undefined)?.ref?.();
  }

  #unref(): void {
    this.child.unref();
    (this.child.channel as { unref?: () => void } | null | undefined)?.unref?.();
  }
}

const helpers = new Map<string, Helper>();

/**
 * Connects to `127.0.0.1:port` inside the network namespace at `netnsPath`
 * and resolves with the connected socket (paused, half-open allowed), made
 * by that namespace's helper (see the file header).
 *
 * @internal
 */
export async function connectInNamespace(netnsPath: string, port: number, options: NamespaceConnectOptions = {}): Promise<Socket> {
  const h = await helperFor(netnsPath, options);
  const { signal } = options;
  signal?.throwIfAborted();
  const sock = h.connect(port);
  if (signal === undefined) return sock;
  return new Promise<Socket>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    sock.then(
      (s) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) s.destroy();
        else resolve(s);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}

async function helperFor(netnsPath: string, options: NamespaceConnectOptions): Promise<Helper> {
  const st = await stat(netnsPath);
  const key = `${netnsPath}\0${st.dev}:${st.ino}`;
  let h = helpers.get(key);
  if (h === undefined || h.gone) {
    h = new Helper(key, netnsPath, options.nsenter ?? "nsenter", options.idleMs ?? 10_000);
    helpers.set(key, h);
  }
  return h;
}

/**
 * Starts the helper of the namespace at `netnsPath` unless it runs, so that
 * the first connection of a port-forward session does not wait for Node to
 * start in it; the helper goes after `idleMs` if no connection comes.
 *
 * @internal
 */
export async function warmNamespace(netnsPath: string, options: Pick<NamespaceConnectOptions, "nsenter" | "idleMs"> = {}): Promise<void> {
  await helperFor(netnsPath, options);
}

/**
 * Stops every namespace helper of this process (they stop on their own
 * when idle, or when it exits).
 *
 * @internal
 */
export function closeNamespaceHelpers(): void {
  for (const h of [...helpers.values()]) h.kill();
  helpers.clear();
}

/** The pids of the running namespace helpers. @internal */
export function namespaceHelperPids(): number[] {
  return [...helpers.values()].flatMap((h) => (h.gone || h.child.pid === undefined ? [] : [h.child.pid]));
}
