/**
 * A StreamingRuntime for the tests that runs real host processes:
 * - exec runs `cmd` with `spawn` (under `script` for a terminal, so the
 *   process sees a tty); the container ID is ignored;
 * - attach follows a "container" the test registers: a host process whose
 *   stdout is fanned out to every attached session;
 * - portForward connects to 127.0.0.1:port.
 * It records what it saw (resizes, aborts) and counts live sessions.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { connect } from "node:net";
import type { Duplex } from "node:stream";
import type { StreamingIO, StreamingRuntime, TerminalSize } from "../../src/streaming/index.js";

export interface HostRuntime extends StreamingRuntime {
  resizes: TerminalSize[];
  live: number;
  pids: Set<number>;
  execs: number;
  /** Registers an attachable "container" (a host process). */
  addContainer(id: string, child: ChildProcess): void;
}

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export function createHostRuntime(): HostRuntime {
  const containers = new Map<string, { child: ChildProcess; sinks: Set<NodeJS.WritableStream> }>();
  const rt: HostRuntime = {
    resizes: [],
    live: 0,
    pids: new Set(),
    execs: 0,
    addContainer(id, child) {
      const sinks = new Set<NodeJS.WritableStream>();
      child.stdout?.on("data", (c: Buffer) => {
        for (const s of sinks) s.write(c);
      });
      containers.set(id, { child, sinks });
    },
    async exec(_id: string, cmd: readonly string[], io: StreamingIO, signal: AbortSignal): Promise<number> {
      rt.live++;
      rt.execs++;
      try {
        const argv = io.tty ? ["script", "-qec", cmd.map(quote).join(" "), "/dev/null"] : [...cmd];
        const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        if (child.pid) rt.pids.add(child.pid);
        const exited = new Promise<number>((resolve) =>
          child.once("close", (code, sig) => resolve(code ?? 128 + (sig === "SIGKILL" ? 9 : 15))),
        );
        child.once("error", () => {});
        child.stdin.on("error", () => {});
        if (io.stdin) io.stdin.pipe(child.stdin);
        else child.stdin.end();
        if (io.stdout) child.stdout.pipe(io.stdout, { end: false });
        else child.stdout.resume();
        if (io.stderr) child.stderr.pipe(io.stderr, { end: false });
        else child.stderr.resume();
        const resizing = (async () => {
          if (io.resize) for await (const s of io.resize) rt.resizes.push(s);
        })();
        const onAbort = (): void => void child.kill("SIGKILL");
        signal.addEventListener("abort", onAbort, { once: true });
        const code = await exited;
        signal.removeEventListener("abort", onAbort);
        if (io.stdin) io.stdin.unpipe(child.stdin);
        if (child.pid) rt.pids.delete(child.pid);
        void resizing;
        return code;
      } finally {
        rt.live--;
      }
    },
    async attach(id: string, io: StreamingIO, signal: AbortSignal): Promise<void> {
      const c = containers.get(id);
      if (!c) throw new Error(`no container ${id}`);
      rt.live++;
      try {
        if (io.stdout) c.sinks.add(io.stdout);
        const onData = (chunk: Buffer): void => void c.child.stdin?.write(chunk);
        io.stdin?.on("data", onData);
        await new Promise<void>((resolve) => {
          if (signal.aborted || c.child.exitCode !== null) return resolve();
          signal.addEventListener("abort", () => resolve(), { once: true });
          c.child.once("close", () => resolve());
        });
        io.stdin?.off("data", onData);
        if (io.stdout) c.sinks.delete(io.stdout);
      } finally {
        rt.live--;
      }
    },
    async portForward(_pod: string, port: number, stream: Duplex, signal: AbortSignal): Promise<void> {
      rt.live++;
      try {
        const sock = connect(port, "127.0.0.1");
        await new Promise<void>((resolve, reject) => {
          sock.once("connect", () => resolve());
          sock.once("error", reject);
        });
        sock.on("error", () => {});
        stream.pipe(sock);
        sock.pipe(stream);
        await new Promise<void>((resolve) => {
          const done = (): void => resolve();
          sock.once("close", done);
          signal.addEventListener("abort", () => sock.destroy(), { once: true });
        });
        stream.unpipe(sock);
      } finally {
        rt.live--;
      }
    },
  };
  return rt;
}
