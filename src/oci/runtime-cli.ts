/**
 * A typed wrapper of an OCI runtime's command line (runc, crun), run through
 * a {@link ProcessRunner} (by default the shared spawner process while the
 * service holds it, so no call forks the daemon).
 *
 * Every call is `BINARY [--root DIR] [--systemd-cgroup] SUBCOMMAND ...`. A
 * failure becomes a {@link RuntimeCommandError} classified from the runtime's
 * stderr (see `runtime-command-error.ts`); an aborted call rejects with a
 * `Canceled` {@link CrikitError}. crun has no `events` subcommand, so
 * {@link RuntimeCli.stats} fails there with kind `Other`.
 *
 * @packageDocumentation
 */
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CrikitError } from "../errors.js";
import { RuntimeCommandError } from "./runtime-command-error.js";
import { stringifyExactJson } from "../spec/index.js";
import { defaultRunner, type ProcessRunner, type RunResult } from "../process/index.js";

/**
 * Options of {@link createRuntimeCli}.
 *
 * @public
 */
export interface RuntimeCliOptions {
  /**
   * The runtime binary: a name looked up in PATH, or a path.
   * @defaultValue `"runc"`
   */
  binary?: string;
  /**
   * The runtime's state root (`--root`). A private root keeps containers of
   * different adapters (and tests) apart.
   * @defaultValue the runtime's own default (`/run/runc`, `/run/crun`)
   */
  root?: string;
  /**
   * Pass `--systemd-cgroup` (cgroup paths are then `slice:prefix:name`).
   * @defaultValue `false`
   */
  systemdCgroup?: boolean;
  /**
   * A time limit per command, in milliseconds; 0 means none.
   * @defaultValue `120000`
   */
  commandTimeoutMs?: number;
  /**
   * What runs the commands.
   * @defaultValue {@link defaultRunner} (the shared spawner while one is held)
   */
  runner?: ProcessRunner;
}

/**
 * Options every waiting call takes.
 *
 * @public
 */
export interface RuntimeCallOptions {
  /** Abort the call (the command is killed). */
  signal?: AbortSignal | undefined;
}

/**
 * A container's state as the runtime reports it (`state`, `list`).
 *
 * @public
 */
export interface RuntimeState {
  /** Container ID. */
  id: string;
  /** Host pid of the container's init process (0 once stopped, with crun the last pid). */
  pid: number;
  /** `creating`, `created`, `running`, `paused` or `stopped`. */
  status: "creating" | "created" | "running" | "paused" | "stopped" | (string & {});
  /** Absolute path of the container's bundle directory. */
  bundle: string;
  /** RFC 3339 creation time. */
  created: string;
  /** The spec's annotations, as the runtime reports them. */
  annotations?: Record<string, string>;
}

/**
 * The runtime CLI. Every method rejects with a {@link RuntimeCommandError} on
 * failure.
 *
 * @public
 */
export interface RuntimeCli {
  /** The binary as configured. */
  readonly binary: string;
  /** The global arguments put before every subcommand (`--root`, `--systemd-cgroup`). */
  readonly globalArgs: readonly string[];
  /** `create --bundle B [--pid-file P] [--console-socket S] ID`. */
  create(id: string, opts: { bundle: string; pidFile?: string; consoleSocket?: string }, options?: RuntimeCallOptions): Promise<void>;
  /** `start ID`. */
  start(id: string, options?: RuntimeCallOptions): Promise<void>;
  /** `state ID`. */
  state(id: string, options?: RuntimeCallOptions): Promise<RuntimeState>;
  /** `list --format json`. */
  list(options?: RuntimeCallOptions): Promise<RuntimeState[]>;
  /** `kill [--all] ID SIGNAL`; `signal` is a name (`SIGTERM`, `TERM`) or a number. */
  kill(id: string, signal: string | number, opts?: { all?: boolean }, options?: RuntimeCallOptions): Promise<void>;
  /** `delete [--force] ID`. */
  delete(id: string, opts?: { force?: boolean }, options?: RuntimeCallOptions): Promise<void>;
  /** `pause ID`. */
  pause(id: string, options?: RuntimeCallOptions): Promise<void>;
  /** `resume ID`. */
  resume(id: string, options?: RuntimeCallOptions): Promise<void>;
  /** `update -r FILE ID`, with the OCI `linux.resources` object as JSON in a temporary file. */
  update(id: string, resources: Record<string, unknown>, options?: RuntimeCallOptions): Promise<void>;
  /**
   * `exec --process FILE [--pid-file P] [--detach] ID`, waiting for the process
   * and returning its exit code and output. For streaming output and time
   * limits use {@link OciRuntime.execSync}.
   */
  exec(id: string, opts: { processFile: string; pidFile?: string; detach?: boolean }, options?: RuntimeCallOptions): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** `ps --format json ID`: the host pids of the container's processes. */
  ps(id: string, options?: RuntimeCallOptions): Promise<number[]>;
  /** `events --stats ID`: one statistics sample (runc only). */
  stats(id: string, options?: RuntimeCallOptions): Promise<Record<string, unknown>>;
  /** The full argv of a subcommand, for logs and for conmon's `--runtime-arg`. */
  argv(subcommand: readonly string[]): string[];
}

/**
 * Create a typed wrapper of an OCI runtime's CLI.
 *
 * @example
 * ```ts
 * const cli = createRuntimeCli({ binary: "crun", root: "/run/crikit/crun" });
 * const st = await cli.state("abc");
 * ```
 *
 * @public
 */
export function createRuntimeCli(opts: RuntimeCliOptions = {}): RuntimeCli {
  const binary = opts.binary ?? "runc";
  const globalArgs: string[] = [];
  if (opts.root !== undefined) globalArgs.push("--root", opts.root);
  if (opts.systemdCgroup === true) globalArgs.push("--systemd-cgroup");
  const timeout = opts.commandTimeoutMs ?? 120_000;

  const argv = (sub: readonly string[]): string[] => [binary, ...globalArgs, ...sub];

  const runner = opts.runner ?? defaultRunner;

  async function call(sub: readonly string[], options: RuntimeCallOptions | undefined, withTimeout: boolean): Promise<RunResult> {
    options?.signal?.throwIfAborted();
    const res = await runner.run({ file: binary, args: [...globalArgs, ...sub], signal: options?.signal, ...(withTimeout && timeout > 0 ? { timeoutMs: timeout } : {}) });
    if (res.canceled) throw new CrikitError("Canceled", `${binary} ${sub[0] ?? ""} was canceled`, { cause: options?.signal?.reason });
    return res;
  }

  async function run(sub: readonly string[], options: RuntimeCallOptions | undefined): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const res = await call(sub, options, true);
    if (res.exitCode !== 0) {
      throw new RuntimeCommandError({
        argv: [binary, ...globalArgs, ...sub],
        exitCode: res.exitCode,
        signal: res.signal,
        stderr: res.spawnError?.message ?? res.stderr,
        timedOut: res.timedOut,
        ...(res.spawnError !== undefined ? { kind: "Other" as const, cause: res.spawnError } : {}),
      });
    }
    return { stdout: res.stdout, stderr: res.stderr, exitCode: 0 };
  }

  const sig = (s: string | number): string => (typeof s === "number" ? String(s) : s.replace(/^SIG/, ""));

  return {
    binary,
    globalArgs: Object.freeze([...globalArgs]),
    argv,
    async create(id, o, options) {
      const a = ["create", "--bundle", o.bundle];
      if (o.pidFile !== undefined) a.push("--pid-file", o.pidFile);
      if (o.consoleSocket !== undefined) a.push("--console-socket", o.consoleSocket);
      await run([...a, id], options);
    },
    async start(id, options) {
      await run(["start", id], options);
    },
    async state(id, options) {
      const { stdout } = await run(["state", id], options);
      return JSON.parse(stdout) as RuntimeState;
    },
    async list(options) {
      const { stdout } = await run(["list", "--format", "json"], options);
      const parsed = JSON.parse(stdout.trim() === "" ? "null" : stdout) as RuntimeState[] | null;
      return parsed ?? [];
    },
    async kill(id, signal, o, options) {
      await run(["kill", ...(o?.all === true ? ["--all"] : []), id, sig(signal)], options);
    },
    async delete(id, o, options) {
      await run(["delete", ...(o?.force === true ? ["--force"] : []), id], options);
    },
    async pause(id, options) {
      await run(["pause", id], options);
    },
    async resume(id, options) {
      await run(["resume", id], options);
    },
    async update(id, resources, options) {
      // `-r -` would be natural, but crun opens /dev/stdin, which fails with
      // ENXIO on the socketpair Node uses for a child's stdin: use a file.
      const file = join(tmpdir(), `crikit-update-${randomBytes(8).toString("hex")}.json`);
      await writeFile(file, stringifyExactJson(resources), { mode: 0o600 });
      try {
        await run(["update", "-r", file, id], options);
      } finally {
        await rm(file, { force: true });
      }
    },
    async exec(id, o, options) {
      const a = ["exec", "--process", o.processFile];
      if (o.pidFile !== undefined) a.push("--pid-file", o.pidFile);
      if (o.detach === true) a.push("--detach");
      const res = await call([...a, id], options, false);
      return { exitCode: res.exitCode ?? 255, stdout: String(res.stdout ?? ""), stderr: String(res.stderr ?? "") };
    },
    async ps(id, options) {
      const { stdout } = await run(["ps", "--format", "json", id], options);
      const parsed = JSON.parse(stdout.trim() === "" ? "null" : stdout) as number[] | null;
      return parsed ?? [];
    },
    async stats(id, options) {
      const { stdout } = await run(["events", "--stats", id], options);
      return JSON.parse(stdout) as Record<string, unknown>;
    },
  };
}
