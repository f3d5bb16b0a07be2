/**
 * The program a spawner process runs. {@link spawnerMain} is started as
 * `node -e "(SOURCE)()"`, so it must be self-contained: no imports, no
 * helpers from outside its own body but {@link onSyncLine} (sent with it), builtins through
 * `process.getBuiltinModule`. That keeps it one string that works alike
 * from the compiled package and from sources run through tsx.
 *
 * It reads {@link SpawnWireRequest} and {@link SpawnWireCancel} lines on
 * stdin and writes one {@link SpawnWireReply} line per call on stdout. When
 * its stdin ends (the owner closed it, or died) it lets the calls in flight
 * finish, answers them if it still can, and exits.
 *
 * @packageDocumentation
 */
import type { SpawnWireCancel, SpawnWireReply, SpawnWireRequest } from "./spawner-wire.js";

/**
 * The spawner process's main function (see the file header).
 *
 * @internal
 */
export function spawnerMain(): void {
  const cp = process.getBuiltinModule("node:child_process");
  interface Call {
    readonly req: SpawnWireRequest;
    child: import("node:child_process").ChildProcess | undefined;
    timer: NodeJS.Timeout | undefined;
    timedOut: boolean;
    canceled: boolean;
    done: boolean;
    /** `syncFd3`: stop waiting without killing (the command daemonizes). */
    abandon?: () => void;
  }
  const calls = new Map<number, Call>();
  let ending = false;
  const send = (r: SpawnWireReply): void => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
  };
  const maybeExit = (): void => {
    if (ending && calls.size === 0) process.exit(0);
  };
  const kill = (c: Call): void => {
    const pid = c.child?.pid;
    if (pid === undefined) return;
    try {
      if (c.req.group) process.kill(-pid, c.req.killSignal as NodeJS.Signals);
      else c.child?.kill(c.req.killSignal as NodeJS.Signals);
    } catch {
      // gone already
    }
  };
  const collect = (s: NodeJS.ReadableStream | null, max: number): { text: () => string } => {
    const parts: Buffer[] = [];
    let n = 0;
    s?.on("data", (b: Buffer) => {
      if (n >= max) return;
      parts.push(n + b.length > max ? b.subarray(0, max - n) : b);
      n += b.length;
    });
    s?.on("error", () => undefined);
    return { text: () => Buffer.concat(parts).toString("utf8") };
  };
  const run = (req: SpawnWireRequest): void => {
    const c: Call = { req, child: undefined, timer: undefined, timedOut: false, canceled: false, done: false };
    calls.set(req.id, c);
    const finish = (r: Omit<SpawnWireReply, "id" | "timedOut" | "canceled">): void => {
      if (c.done) return;
      c.done = true;
      if (c.timer) clearTimeout(c.timer);
      calls.delete(req.id);
      send({ id: req.id, timedOut: c.timedOut, canceled: c.canceled, ...r });
      maybeExit();
    };
    let child: import("node:child_process").ChildProcess;
    try {
      child = cp.spawn(req.file, [...req.args], {
        env: req.env,
        ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
        stdio: [req.input !== undefined ? "pipe" : "ignore", req.syncFd3 === true ? "ignore" : "pipe", "pipe", ...(req.syncFd3 === true ? (["pipe"] as const) : [])],
        detached: req.group,
      });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      finish({ stdout: "", stderr: "", spawnError: { ...(err.code !== undefined ? { code: err.code } : {}), message: String(err.message ?? e) } });
      return;
    }
    c.child = child;
    const out = collect(child.stdout, req.maxBuffer);
    const errOut = collect(child.stderr, req.maxBuffer);
    let spawnError: SpawnWireReply["spawnError"];
    child.on("error", (e: NodeJS.ErrnoException) => {
      spawnError = { ...(e.code !== undefined ? { code: e.code } : {}), message: e.message };
      if (child.pid === undefined) finish({ stdout: "", stderr: "", spawnError });
    });
    if (req.input !== undefined && child.stdin) {
      child.stdin.on("error", () => undefined);
      child.stdin.end(req.input);
    }
    if (req.timeoutMs > 0) {
      c.timer = setTimeout(() => {
        c.timedOut = true;
        if (c.abandon) c.abandon();
        else kill(c);
      }, req.timeoutMs);
    }
    if (req.syncFd3 === true) {
      const sync = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
      const stderrStream = child.stderr as NodeJS.ReadableStream & { destroy(): void };
      let exit: { code: number | null; signal: string | null } | undefined;
      child.on("exit", (code, signal) => {
        exit = { code, signal };
      });
      c.abandon = () => {
        finish({ ...(child.pid !== undefined ? { pid: child.pid } : {}), stdout: "", stderr: errOut.text() });
        sync.destroy();
        stderrStream.destroy();
        child.unref();
      };
      onSyncLine(sync, (line) => {
        if (c.done) return;
        const status = exit ?? { code: null, signal: null };
        finish({
          ...(child.pid !== undefined ? { pid: child.pid } : {}),
          ...(status.code !== null ? { code: status.code } : {}),
          ...(status.signal !== null ? { signal: status.signal } : {}),
          stdout: "",
          stderr: errOut.text(),
          ...(line !== undefined ? { syncLine: line } : {}),
        });
        sync.destroy();
        stderrStream.destroy();
        child.unref();
      });
      return;
    }
    child.on("close", (code, signal) => {
      finish({
        ...(child.pid !== undefined ? { pid: child.pid } : {}),
        ...(code !== null ? { code } : {}),
        ...(signal !== null ? { signal } : {}),
        stdout: out.text(),
        stderr: errOut.text(),
        ...(spawnError !== undefined && code === null && signal === null ? { spawnError } : {}),
      });
    });
  };
  let pending = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (d: string) => {
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const msg = JSON.parse(line) as SpawnWireRequest | SpawnWireCancel;
      if (msg.t === "run") run(msg);
      else {
        const c = calls.get(msg.id);
        if (c && !c.done) {
          c.canceled = true;
          if (c.abandon) c.abandon();
          else kill(c);
        }
      }
    }
  });
  process.stdin.on("end", () => {
    ending = true;
    maybeExit();
  });
  process.stdout.on("error", () => process.exit(0));
}

/**
 * Calls `reply` with the first line a command writes on its sync pipe
 * (fd 3, as conmon reports the container's pid), without its newline, or
 * with `undefined` 20 ms after the pipe ends without one (time for a failing
 * command to report its exit status first). `reply` may be called again (a
 * line, then the end); callers keep the first. Self-contained like
 * {@link spawnerMain}, whose source it is sent with; the in-process runner
 * uses it too.
 *
 * @internal
 */
export function onSyncLine(sync: NodeJS.ReadableStream, reply: (line: string | undefined) => void): void {
  let buf = "";
  const detach = (line: string | undefined): void => {
    if (line === undefined) setTimeout(() => reply(undefined), 20);
    else reply(line);
  };
  sync.setEncoding("utf8");
  sync.on("data", (d: string) => {
    buf += d;
    const nl = buf.indexOf("\n");
    if (nl >= 0) detach(buf.slice(0, nl));
  });
  sync.on("error", () => undefined);
  sync.on("end", () => detach(undefined));
}
