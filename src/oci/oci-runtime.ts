/**
 * The OCI runtime adapter: runc or crun driven through conmon, with
 * containers that outlive the daemon.
 *
 * State directory layout (`stateDir`):
 *
 * ```
 * containers/ID/meta.json    what we know (bundle, log path, times), written atomically
 * containers/ID/conmon.pid   conmon's pid (-P)
 * containers/ID/pid          the container's init pid (-p)
 * containers/ID/exit         exit code, written by conmon (-0 persist dir)
 * containers/ID/oom          created by conmon on an OOM kill
 * containers/ID/vanished     our own record of a container that disappeared
 * exits/ID                   exit code, written by conmon (--exit-dir)
 * sockets/ID -> BUNDLE       conmon's attach-socket link (--socket-dir-path)
 * ```
 *
 * Container lifecycle (the `state` of {@link OciContainerStatus}):
 *
 * ```
 *  create ──> created ──start──> running ──(exit | stop)──> exited ──remove──> (gone)
 *                │                 │  ▲
 *                │               pause resume
 *                │                 ▼  │
 *                │               paused
 *                └──────stop──────────────────────────────> exited
 * ```
 *
 * `exited` is decided by the exit file alone: conmon writes it when the
 * container's init exits, whether or not the daemon runs, and its mtime is
 * the finish time. The reason is `OOMKilled` when conmon left an `oom` file,
 * `Completed` for exit code 0 and `Error` otherwise. A container with no
 * exit file that the runtime no longer knows (or reports stopped while its
 * conmon is gone) has vanished: it is reported exited with code 255 and
 * reason `Unknown`, at the time we first noticed.
 *
 * Stop sends the stop signal, waits the grace period for the exit file, then
 * sends SIGKILL (to all the container's processes) and waits again. Removing
 * a running container stops it first (grace 0 unless given), then runs
 * `delete --force` while waiting for conmon to exit, and removes the state.
 *
 * Latency (see `fast-paths.ts`): with runc, `start` reads the exec fifo
 * itself instead of running `runc start` (bundles without poststart hooks);
 * a signal goes straight to the init while it is still conmon's child, when
 * it needs no runtime (only the init is meant, or SIGKILL to an init with its
 * own PID namespace, not paused through us); exit waits wake on inotify; and
 * the status of a started container whose init is conmon's live child is
 * read from /proc without `runtime state`. Nothing is fsynced: the state
 * directory must survive daemon restarts, not host crashes (the containers
 * do not survive those either); durable records are the service's.
 *
 * Negative `process.oomScoreAdj` in a bundle is clamped to 0 when this
 * process lacks CAP_SYS_RESOURCE (the runtime would otherwise fail with
 * "can't get final child's PID from pipe").
 *
 * @packageDocumentation
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile, open, constants as fsConstants } from "node:fs/promises";
import { join, isAbsolute, delimiter, basename } from "node:path";
import { constants as osConstants } from "node:os";
import { access } from "node:fs/promises";
import { CrikitError, invalidArgument, notFound, failedPrecondition } from "../errors.js";
import { createRuntimeCli } from "./runtime-cli.js";
import type { RuntimeCli } from "./runtime-cli.js";
import { isRuntimeCommandError } from "./runtime-command-error.js";
import { buildConmonArgs, runConmon } from "./conmon.js";
import { runExecSync } from "./exec-sync.js";
import type { ExecSyncResult } from "./exec-sync.js";
import { runExecStream } from "./exec-stream.js";
import { attachToConmon } from "./attach.js";
import type { StreamingIO } from "../streaming/runtime.js";
import { hasEffectiveCapability, isAlive, killQuietly, processesWithArgs } from "./proc.js";
import { isLiveChildOf, signalChildOf, startViaExecFifo, waitForFile } from "./fast-paths.js";
import { ExitReason, SpecialExitCode, exitReason } from "../status/index.js";
import type { ContainerRuntime, ExitWatch, ExitWatchOptions } from "../runtime/index.js";
import { ExitMonitor } from "./exit-monitor.js";
import { parseExactJson, stringifyExactJson } from "../spec/index.js";
import { runStep } from "../telemetry/index.js";
import type { OciLogger, OciRuntimeOptions, OciCreateContainerInput, OciCallOptions, OciContainerStatus, OciRecoveryResult, ContainerMeta, BundleFacts } from "./oci-runtime-types.js";
export type { OciLogger, OciRuntimeOptions, OciCreateContainerInput, OciCallOptions, OciContainerStatus, OciRecoveryResult } from "./oci-runtime-types.js";

const idRe = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const capSysResource = 24;

/**
 * The OCI runtime adapter: runc or crun driven through conmon, with
 * containers that outlive the daemon.
 *
 * Lifecycle (the `state` of {@link OciContainerStatus}): `create` →
 * created → `start` → running (⇄ paused) → exit or `stop` → exited →
 * `remove` → gone; a created container can be stopped too. `exited` is
 * decided by the exit file conmon writes when the init exits, whether or
 * not the daemon runs (its mtime is the finish time); the reason is
 * `OOMKilled` when conmon left an `oom` file, `Completed` for code 0, `Error`
 * otherwise. A container with no exit file that the runtime no longer knows
 * has vanished: exited with code 255 and reason `Unknown`.
 *
 * `stateDir` holds, per container, `containers/<id>/` (meta.json, conmon.pid,
 * pid, exit, oom), plus `exits/<id>` and `sockets/<id>`; it must survive
 * daemon restarts, not host crashes. Stop sends the stop signal, waits the
 * grace period, then SIGKILLs every process of the container; removing a
 * running container stops it first.
 *
 * @remarks
 * A new instance over the same `stateDir`, `runtime` and `runtimeRoot` picks
 * up containers started by an earlier instance (or process) through
 * {@link OciRuntime.recover}; there is nothing to load first, every call reads
 * the state directory. `close()` makes later calls reject with `Unavailable`;
 * containers keep running.
 *
 * @example
 * ```ts
 * await using rt = new OciRuntime({ stateDir: "/var/lib/crikit/oci", runtime: "runc" });
 * await rt.create({ id, bundle, logPath });
 * await rt.start(id);
 * const { stdout, exitCode } = await rt.execSync(id, ["cat", "/etc/hostname"], { timeoutMs: 5000 });
 * await rt.stop(id, { timeoutMs: 10_000 });
 * await rt.remove(id);
 * ```
 *
 * @public
 */
export class OciRuntime implements ContainerRuntime {
  /** The runtime CLI this adapter drives. */
  readonly cli: RuntimeCli;
  readonly #opts: OciRuntimeOptions;
  readonly #log: OciLogger | undefined;
  readonly #processCache = new Map<string, Record<string, unknown>>();
  #runtimePath: string | undefined;
  #conmonPath: string | undefined;
  /** Directories known to exist (exits/, sockets/, containers/): created once per instance. */
  #madeDirs = false;
  #closed = false;
  #lifetime = new AbortController();

  constructor(options: OciRuntimeOptions) {
    if (!isAbsolute(options.stateDir)) throw invalidArgument("stateDir must be an absolute path", "stateDir");
    this.#opts = options;
    this.#log = options.logger;
    this.cli = createRuntimeCli({
      binary: options.runtime ?? "runc",
      ...(options.runtimeRoot !== undefined ? { root: options.runtimeRoot } : {}),
      ...(options.systemdCgroup !== undefined ? { systemdCgroup: options.systemdCgroup } : {}),
    });
  }

  /** The state directory. */
  get stateDir(): string {
    return this.#opts.stateDir;
  }

  /** Directory of one container's state. */
  containerDir(id: string): string {
    return join(this.#opts.stateDir, "containers", id);
  }

  /** The exit file conmon writes for `id`. */
  exitFile(id: string): string {
    return join(this.#opts.stateDir, "exits", id);
  }

  /** The attach socket conmon listens on for `id` (in the bundle). */
  async attachSocketPath(id: string): Promise<string> {
    const meta = await this.#meta(id);
    return join(meta.bundle, "attach");
  }

  /**
   * Create a container: start conmon, which runs the runtime's `create` and
   * then watches the container. Resolves with the init pid once the
   * container is in the `created` state.
   */
  create(input: OciCreateContainerInput, options: OciCallOptions = {}): Promise<{ pid: number; conmonPid: number }> {
    return runStep("oci.create", { "crikit.container_id": input.id }, () => this.#create(input, options));
  }

  async #create(input: OciCreateContainerInput, options: OciCallOptions): Promise<{ pid: number; conmonPid: number }> {
    this.#check();
    if (!idRe.test(input.id)) throw invalidArgument(`container id "${input.id}" is not valid: use letters, digits, "_", "." and "-"`, "id");
    if (!isAbsolute(input.bundle)) throw invalidArgument("bundle must be an absolute path", "bundle");
    if (!isAbsolute(input.logPath)) throw invalidArgument("log_path must resolve to an absolute path", "logPath");
    const signal = this.#signal(options.signal);
    signal.throwIfAborted();
    const dir = this.containerDir(input.id);
    const exits = join(this.#opts.stateDir, "exits");
    const sockets = join(this.#opts.stateDir, "sockets");
    if (!this.#madeDirs) {
      await Promise.all([mkdir(join(this.#opts.stateDir, "containers"), { recursive: true }), mkdir(exits, { recursive: true }), mkdir(sockets, { recursive: true })]);
      this.#madeDirs = true;
    }
    try {
      await mkdir(dir, { recursive: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new CrikitError("AlreadyExists", `container "${input.id}" already exists`, { cause: e });
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      // The state directory was removed under us: make it again.
      await Promise.all([mkdir(join(this.#opts.stateDir, "containers"), { recursive: true }), mkdir(exits, { recursive: true }), mkdir(sockets, { recursive: true })]);
      await mkdir(dir);
    }
    try {
      const [facts, runtimePath, conmonPath] = await Promise.all([
        this.#inspectBundle(input.bundle),
        this.#resolveRuntime(),
        this.#resolveConmon(),
        rm(this.exitFile(input.id), { force: true }),
      ]);
      const args = buildConmonArgs({
        id: input.id,
        ...(input.name !== undefined ? { name: input.name } : {}),
        runtimePath,
        runtimeArgs: this.cli.globalArgs,
        bundle: input.bundle,
        containerPidFile: join(dir, "pid"),
        conmonPidFile: join(dir, "conmon.pid"),
        logPath: input.logPath,
        exitDir: exits,
        socketDir: sockets,
        persistDir: dir,
        ...(input.terminal !== undefined ? { terminal: input.terminal } : {}),
        ...(input.stdin !== undefined ? { stdin: input.stdin } : {}),
        ...(input.leaveStdinOpen !== undefined ? { leaveStdinOpen: input.leaveStdinOpen } : {}),
        ...(input.logSizeMax !== undefined ? { logSizeMax: input.logSizeMax } : {}),
        ...(this.#opts.systemdCgroup !== undefined ? { systemdCgroup: this.#opts.systemdCgroup } : {}),
        ...(this.#opts.noPivotRoot === true ? { noPivot: true } : {}),
        ...(this.#opts.noNewKeyring === true ? { noNewKeyring: true } : {}),
        ...(this.#opts.conmonLogLevel !== undefined ? { logLevel: this.#opts.conmonLogLevel } : {}),
      });
      const { pid } = await runConmon(conmonPath, args, {
        timeoutMs: input.startTimeoutMs ?? this.#opts.startTimeoutMs ?? 60_000,
        signal,
        cwd: dir,
      });
      const conmonPid = await readNumber(join(dir, "conmon.pid"));
      const meta: ContainerMeta = {
        id: input.id,
        bundle: input.bundle,
        logPath: input.logPath,
        createdAt: new Date().toISOString(),
        pid,
        conmonPid: conmonPid ?? 0,
        labels: { ...(input.labels ?? {}) },
        ownPidNs: facts.ownPidNs,
      };
      if (this.#execFifoRoot(runtimePath) !== undefined && !facts.hasPoststartHooks) meta.fifoStart = true;
      await this.#writeMeta(meta);
      this.#log?.info({ id: input.id, pid, conmonPid }, "container created");
      return { pid, conmonPid: conmonPid ?? 0 };
    } catch (e) {
      // Roll back under its own time limit, not the request's signal.
      await this.#cleanupFailedCreate(input.id, input.bundle).catch((ce: unknown) => this.#log?.warn({ id: input.id, err: ce }, "rollback of create failed"));
      throw e;
    }
  }

  /** Start a created container. */
  start(id: string, options: OciCallOptions = {}): Promise<void> {
    return runStep("oci.start", { "crikit.container_id": id }, () => this.#start(id, options));
  }

  async #start(id: string, options: OciCallOptions): Promise<void> {
    this.#check();
    const meta = await this.#meta(id);
    const signal = this.#signal(options.signal);
    const root = meta.fifoStart === true ? this.#execFifoRoot(await this.#resolveRuntime()) : undefined;
    // runc's `start` is only "read the exec fifo, delete it": do that here and save a runc process.
    const viaFifo = root !== undefined && (await startViaExecFifo(join(root, id, "exec.fifo"), meta.pid, signal)) === "started";
    if (!viaFifo) await this.cli.start(id, { signal });
    meta.startedAt = new Date().toISOString();
    await this.#writeMeta(meta);
    this.#log?.info({ id }, "container started");
  }

  /** The container's current status (see {@link OciRuntime} for how it is decided). */
  async status(id: string, options: OciCallOptions = {}): Promise<OciContainerStatus> {
    this.#check();
    const meta = await this.#meta(id);
    return this.#status(meta, options.signal);
  }

  /**
   * Stop a container: `stopSignal` (default SIGTERM), wait up to `timeoutMs`
   * for it to exit, then SIGKILL. Stopping an exited container succeeds.
   */
  async stop(id: string, opts: { timeoutMs?: number; stopSignal?: string } = {}, options: OciCallOptions = {}): Promise<OciContainerStatus> {
    this.#check();
    const signal = this.#signal(options.signal);
    const meta = await this.#meta(id);
    await this.#stop(meta, opts.timeoutMs ?? 0, opts.stopSignal ?? "SIGTERM", signal);
    return this.#status(meta, signal);
  }

  /**
   * Remove a container: stop it if it runs (SIGKILL after `timeoutMs`,
   * default 0), delete it from the runtime, wait for conmon and remove the
   * state. Removing an unknown container succeeds.
   */
  async remove(id: string, opts: { timeoutMs?: number } = {}, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    const signal = this.#signal(options.signal);
    let meta: ContainerMeta | undefined;
    try {
      meta = await this.#meta(id);
    } catch {
      meta = undefined;
    }
    if (meta) await this.#stop(meta, opts.timeoutMs ?? 0, "SIGTERM", signal);
    // The container has exited (the exit file is there), so `delete` is the
    // runtime's fast path; conmon finishes meanwhile.
    const conmonPid = meta?.conmonPid ?? (await readNumber(join(this.containerDir(id), "conmon.pid")));
    await Promise.all([meta?.released === true ? undefined : this.#deleteQuiet(id, signal), conmonPid !== undefined && conmonPid > 0 ? waitGone(conmonPid, 5000) : undefined]);
    await this.#removeState(id, meta?.bundle);
    this.#processCache.delete(id);
    this.#log?.info({ id }, "container removed");
  }

  /**
   * Release what the OCI runtime still holds for an exited container, its
   * cgroups and runtime state (`runtime delete`), as soon as it has exited,
   * as containerd deletes a task on its exit; this adapter's own state stays,
   * so {@link OciRuntime.status} keeps answering from the exit file until
   * {@link OciRuntime.remove}, which then skips the runtime. Returns false
   * (and does nothing) while the container has not exited, or when it was
   * released already.
   */
  async releaseExited(id: string, options: OciCallOptions = {}): Promise<boolean> {
    this.#check();
    const meta = await this.#meta(id);
    if (meta.released === true || (await this.#readExit(id)) === undefined) return false;
    await this.#deleteQuiet(id, this.#signal(options.signal));
    meta.released = true;
    await this.#writeMeta(meta);
    return true;
  }

  /**
   * Run a command in a running container and collect its output (see
   * `exec-sync.ts`). `timeoutMs` 0 means no limit; a timeout rejects with
   * `DeadlineExceeded` after killing the command and its children.
   */
  async execSync(id: string, cmd: readonly string[], opts: { timeoutMs?: number; env?: readonly string[]; maxOutputBytes?: number } = {}, options: OciCallOptions = {}): Promise<ExecSyncResult> {
    const { signal, base } = await this.#execStart(id, cmd, options);
    const proc: Record<string, unknown> = { ...base, args: [...cmd], terminal: false };
    if (opts.env) proc["env"] = [...((base["env"] as string[] | undefined) ?? []), ...opts.env];
    return runExecSync({
      binary: this.cli.binary,
      globalArgs: this.cli.globalArgs,
      id,
      process: proc,
      workDir: this.containerDir(id),
      timeoutMs: opts.timeoutMs ?? 0,
      ...(opts.maxOutputBytes !== undefined ? { maxOutputBytes: opts.maxOutputBytes } : {}),
      drainMs: this.#opts.execDrainMs ?? 1000,
      signal,
      ...(this.#opts.execVia === "runtime" ? {} : { conmon: { path: this.#opts.conmon ?? "conmon", runtimePath: await this.#resolveRuntime() } }),
    });
  }

  /** What an exec needs first: a command, a running container, the call's signal and the container's process as the base. */
  async #execStart(id: string, cmd: readonly string[], options: OciCallOptions): Promise<{ signal: AbortSignal; base: Record<string, unknown> }> {
    this.#check();
    if (cmd.length === 0) throw invalidArgument("cmd must not be empty", "cmd");
    const signal = this.#signal(options.signal);
    const meta = await this.#meta(id);
    if (await exists(this.exitFile(id))) throw failedPrecondition(`container "${id}" is not running`);
    return { signal, base: await this.#baseProcess(meta) };
  }

  /**
   * Run a command in a running container with the client's streams, and
   * resolve with its exit code (128+N when killed by signal N): pipes, or a
   * terminal when `io.tty` (see `exec-stream.ts`). When `options.signal`
   * aborts, the command and its descendants are killed and the call rejects
   * with `Canceled`.
   */
  async exec(id: string, cmd: readonly string[], io: StreamingIO, options: OciCallOptions = {}): Promise<number> {
    const { signal, base } = await this.#execStart(id, cmd, options);
    const proc: Record<string, unknown> = { ...base, args: [...cmd], terminal: io.tty };
    if (io.tty && !((base["env"] as string[] | undefined) ?? []).some((e) => e.startsWith("TERM="))) {
      proc["env"] = [...((base["env"] as string[] | undefined) ?? []), "TERM=xterm"];
    }
    return runExecStream({
      binary: this.cli.binary,
      globalArgs: this.cli.globalArgs,
      id,
      process: proc,
      workDir: this.containerDir(id),
      io,
      signal,
      drainMs: this.#opts.execDrainMs ?? 1000,
    });
  }

  /**
   * Attach the client's streams to the main process of a running container
   * through its conmon (see `attach.ts`); resolves when the container's
   * output ends or `options.signal` aborts (detach). Several sessions may be
   * attached at once.
   */
  async attach(id: string, io: StreamingIO, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    const signal = this.#signal(options.signal);
    const meta = await this.#meta(id);
    if (meta.startedAt === undefined || (await exists(this.exitFile(id)))) throw failedPrecondition(`container "${id}" is not running`);
    await attachToConmon({ id, bundle: meta.bundle, io, signal });
  }

  /** Pause a running container (cgroup freezer). */
  async pause(id: string, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    const meta = await this.#meta(id);
    await this.cli.pause(id, { signal: this.#signal(options.signal) });
    if (meta.paused !== true) {
      meta.paused = true;
      await this.#writeMeta(meta);
    }
  }

  /** Resume a paused container. */
  async resume(id: string, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    const meta = await this.#meta(id);
    await this.cli.resume(id, { signal: this.#signal(options.signal) });
    if (meta.paused === true) {
      delete meta.paused;
      await this.#writeMeta(meta);
    }
  }

  /** Update a container's resources: `resources` is an OCI `linux.resources` object. */
  async updateResources(id: string, resources: Record<string, unknown>, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    await this.#meta(id);
    await this.cli.update(id, resources, { signal: this.#signal(options.signal) });
  }

  /**
   * Ask conmon to reopen the container's log file (after the caller renamed
   * it for rotation): writes the "reopen logs" message (type 2) to conmon's
   * control fifo `BUNDLE/ctl`, then waits until the log file exists again.
   */
  async reopenLog(id: string, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    const signal = this.#signal(options.signal);
    const meta = await this.#meta(id);
    if (!(await isAlive(meta.conmonPid))) throw failedPrecondition(`container "${id}" has no running monitor to reopen its log`);
    let fh;
    try {
      fh = await open(join(meta.bundle, "ctl"), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    } catch (e) {
      throw failedPrecondition(`container "${id}" has no running monitor to reopen its log`, e);
    }
    try {
      await fh.write("2 0 0\n");
    } finally {
      await fh.close();
    }
    const until = Date.now() + 2000;
    while (!(await exists(meta.logPath))) {
      signal.throwIfAborted();
      if (Date.now() > until) throw new CrikitError("DeadlineExceeded", `conmon did not reopen the log of container "${id}"`);
      await sleep(5);
    }
  }

  /**
   * Rebuild the picture after a restart: every container of the state
   * directory with its status (running, exited while we were away with its
   * exit code and time, or vanished), plus runtime containers we have no
   * state for.
   */
  async recover(options: OciCallOptions = {}): Promise<OciRecoveryResult> {
    this.#check();
    const signal = this.#signal(options.signal);
    let ids: string[] = [];
    try {
      ids = await readdir(join(this.#opts.stateDir, "containers"));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    const containers: OciRecoveryResult["containers"] = [];
    const known = new Set<string>();
    for (const id of ids.sort()) {
      let meta: ContainerMeta;
      try {
        meta = await this.#meta(id);
      } catch {
        this.#log?.warn({ id }, "state without metadata (create was interrupted); removing it");
        await this.#deleteQuiet(id, signal);
        await this.#removeState(id, undefined);
        continue;
      }
      known.add(id);
      const st = await this.#status(meta, signal);
      containers.push({ ...st, monitorAlive: await isAlive(meta.conmonPid) });
    }
    const orphans = (await this.cli.list({ signal })).map((s) => s.id).filter((id) => !known.has(id));
    this.#log?.info({ containers: containers.length, orphans: orphans.length }, "recovered containers");
    return { containers, orphans };
  }

  /**
   * Remove a container the OCI runtime holds without state here (an orphan
   * {@link OciRuntime.recover} reported): `runtime delete --force`.
   */
  async removeOrphan(id: string, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    await this.cli.delete(id, { force: true }, { signal: this.#signal(options.signal) }).catch(() => undefined);
  }

  /**
   * Watch conmon's exit directory (`<stateDir>/exits`): `onExit(id)` for
   * every exit file that appears, and again on each periodic re-check (see
   * `ExitMonitor`).
   */
  async watchExits(onExit: (id: string) => void | Promise<void>, options: ExitWatchOptions = {}): Promise<ExitWatch> {
    const monitor = new ExitMonitor({
      dirs: [join(this.stateDir, "exits")],
      onExit: (id) => onExit(id),
      ...(options.recheckMs !== undefined ? { recheckMs: options.recheckMs } : {}),
      ...(options.onError !== undefined ? { onError: options.onError } : {}),
    });
    await monitor.start();
    return { recheck: () => monitor.recheck(), close: async () => monitor.close() };
  }

  /** Ids of the containers in the state directory. */
  async list(): Promise<string[]> {
    this.#check();
    try {
      return (await readdir(join(this.#opts.stateDir, "containers"))).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  }

  /** Graceful close: later calls reject with `Unavailable`. Containers keep running. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Immediate close: also cancels calls in flight. Idempotent; async, as every `destroy` of the SDK. */
  async destroy(reason?: unknown): Promise<void> {
    this.#closed = true;
    if (!this.#lifetime.signal.aborted) this.#lifetime.abort(reason ?? new CrikitError("Unavailable", "the OCI runtime adapter was destroyed"));
  }

  /** Same as {@link OciRuntime.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // --- internals --------------------------------------------------------

  #check(): void {
    if (this.#closed) throw new CrikitError("Unavailable", "the OCI runtime adapter is closed");
  }

  #signal(s: AbortSignal | undefined): AbortSignal {
    return s ? AbortSignal.any([s, this.#lifetime.signal]) : this.#lifetime.signal;
  }

  async #meta(id: string): Promise<ContainerMeta> {
    if (!idRe.test(id)) throw notFound(`container "${id}" not found`);
    try {
      return JSON.parse(await readFile(join(this.containerDir(id), "meta.json"), "utf8")) as ContainerMeta;
    } catch (e) {
      throw notFound(`container "${id}" not found`, e);
    }
  }

  async #writeMeta(meta: ContainerMeta): Promise<void> {
    const file = join(this.containerDir(meta.id), "meta.json");
    await writeFile(`${file}.tmp`, JSON.stringify(meta));
    await rename(`${file}.tmp`, file);
  }

  async #status(meta: ContainerMeta, signal: AbortSignal | undefined): Promise<OciContainerStatus> {
    const dir = this.containerDir(meta.id);
    const base: OciContainerStatus = {
      id: meta.id,
      state: "created",
      pid: meta.pid,
      bundle: meta.bundle,
      logPath: meta.logPath,
      createdAt: new Date(meta.createdAt),
      labels: meta.labels,
    };
    if (meta.startedAt !== undefined) base.startedAt = new Date(meta.startedAt);
    const exited = await this.#readExit(meta.id);
    if (exited) return { ...base, ...exited, state: "exited" };
    // Started, no exit file, and the init is still the live child of its
    // conmon: running (or paused through us) without asking the runtime,
    // which costs a process per call.
    if (meta.startedAt !== undefined && (await isLiveChildOf(meta.pid, meta.conmonPid))) {
      return { ...base, state: meta.paused === true ? "paused" : "running" };
    }
    let rs;
    try {
      rs = await this.cli.state(meta.id, { signal });
    } catch (e) {
      if (!(isRuntimeCommandError(e) && e.kind === "NotFound")) throw e;
      rs = undefined;
    }
    if (rs && rs.status !== "stopped") {
      return { ...base, state: rs.status === "running" ? "running" : rs.status === "paused" ? "paused" : "created", pid: rs.pid || meta.pid };
    }
    // Stopped per the runtime, or unknown to it: conmon may still be writing the exit file.
    if (await isAlive(meta.conmonPid)) {
      if (await this.#waitExit(meta.id, 2000, signal)) {
        const ex = await this.#readExit(meta.id);
        if (ex) return { ...base, ...ex, state: "exited" };
      }
    }
    // conmon may have written the exit file and exited since the first look.
    const late = await this.#readExit(meta.id);
    if (late) return { ...base, ...late, state: "exited" };
    return { ...base, ...(await this.#vanished(dir)), state: "exited" };
  }

  /**
   * Signal, grace period, SIGKILL. The exit file decides; a container the
   * runtime does not know (or no longer runs) is left to #status to report.
   */
  async #stop(meta: ContainerMeta, timeoutMs: number, stopSignal: string, signal: AbortSignal): Promise<void> {
    const id = meta.id;
    if (await this.#readExit(id)) return;
    if (timeoutMs > 0) {
      if ((await this.#signalInit(meta, stopSignal, false, signal)) === "gone") return this.#settle(meta, signal);
      if (await this.#waitExit(id, timeoutMs, signal)) return;
    }
    if ((await this.#signalInit(meta, "SIGKILL", true, signal)) === "gone") return this.#settle(meta, signal);
    if (await this.#waitExit(id, 2000, signal)) return;
    // A paused (frozen) container takes SIGKILL only once thawed.
    await this.cli.resume(id, { signal }).catch(() => undefined);
    if (await this.#waitExit(id, 8000, signal)) return;
    const st = await this.#status(meta, signal);
    if (st.state !== "exited") throw new CrikitError("DeadlineExceeded", `container "${id}" did not exit after SIGKILL`, { details: { id } });
  }

  /** The runtime says the container is not running: let conmon finish its exit file (or record it as vanished). */
  async #settle(meta: ContainerMeta, signal: AbortSignal): Promise<void> {
    await this.#status(meta, signal);
  }

  async #readExit(id: string): Promise<Pick<OciContainerStatus, "exitCode" | "finishedAt" | "finishedAtNs" | "reason"> | undefined> {
    let text: string;
    let mtimeNs: bigint;
    try {
      const file = this.exitFile(id);
      text = await readFile(file, "utf8");
      mtimeNs = (await stat(file, { bigint: true })).mtimeNs;
    } catch {
      return undefined;
    }
    const code = Number.parseInt(text.trim(), 10);
    if (Number.isNaN(code)) return undefined; // being written
    const oom = await exists(join(this.containerDir(id), "oom"));
    return {
      exitCode: code,
      // As Node rounds a stat time to a Date.
      finishedAt: new Date(Math.round(Number(mtimeNs / 1000n) / 1000)),
      finishedAtNs: mtimeNs,
      reason: exitReason({ exitCode: code, oomKilled: oom }),
    };
  }

  async #vanished(dir: string): Promise<Pick<OciContainerStatus, "exitCode" | "finishedAt" | "reason" | "message">> {
    const file = join(dir, "vanished");
    let at: Date;
    try {
      at = new Date((await readFile(file, "utf8")).trim());
      if (Number.isNaN(at.getTime())) throw new Error("bad time");
    } catch {
      at = new Date();
      await writeFile(file, at.toISOString()).catch(() => undefined);
    }
    return { exitCode: SpecialExitCode.Unknown, finishedAt: at, reason: ExitReason.Unknown, message: "container disappeared without an exit status (its monitor is gone)" };
  }

  /** Wait for conmon's exit file, woken by inotify on the exits directory (see `fast-paths.ts`). */
  async #waitExit(id: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    return (await waitForFile(this.exitFile(id), () => this.#readExit(id), timeoutMs, signal)) !== undefined;
  }

  /**
   * Signal the container. Directly (no runtime process) when the init is
   * still conmon's child and either only the init is meant or the container
   * has its own PID namespace (SIGKILL to a PID namespace's init kills the
   * namespace) and was not paused through us; otherwise `runtime kill`.
   */
  async #signalInit(meta: ContainerMeta, sig: string, all: boolean, signal: AbortSignal | undefined): Promise<"sent" | "gone"> {
    const name = (/^\d+$/.test(sig) ? undefined : sig.startsWith("SIG") ? sig : `SIG${sig}`) as NodeJS.Signals | undefined;
    const direct = name !== undefined && name in osConstants.signals && meta.paused !== true && (!all || (name === "SIGKILL" && meta.ownPidNs === true));
    if (direct && (await signalChildOf(meta.pid, meta.conmonPid, name)) === "sent") return "sent";
    return this.#killQuiet(meta.id, sig, all, signal);
  }

  /** Send a signal; "gone" when the runtime says the container is not running or unknown. */
  async #killQuiet(id: string, sig: string, all: boolean, signal: AbortSignal | undefined): Promise<"sent" | "gone"> {
    try {
      await this.cli.kill(id, sig, { all }, { signal });
      return "sent";
    } catch (e) {
      if (isRuntimeCommandError(e) && (e.kind === "NotRunning" || e.kind === "NotFound")) return "gone";
      if (all && isRuntimeCommandError(e)) {
        // Some runtimes refuse --all for a container with its own PID namespace.
        return this.#killQuiet(id, sig, false, signal);
      }
      throw e;
    }
  }

  async #deleteQuiet(id: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.cli.delete(id, { force: true }, { signal });
    } catch (e) {
      if (isRuntimeCommandError(e) && e.kind === "NotFound") return;
      throw e;
    }
  }

  async #removeState(id: string, bundle: string | undefined): Promise<void> {
    await rm(this.containerDir(id), { recursive: true, force: true });
    await rm(this.exitFile(id), { force: true });
    await rm(join(this.#opts.stateDir, "sockets", id), { force: true });
    if (bundle !== undefined) {
      for (const f of ["attach", "ctl", "winsz", "oom"]) await rm(join(bundle, f), { force: true });
    }
  }

  /**
   * Undo a create that failed or timed out. conmon may still be running the
   * runtime's `create`, which would then finish after us: kill the monitor,
   * then keep deleting until no process for this id (conmon, the runtime)
   * is left and the runtime no longer knows the id. Bounded by 10 s.
   */
  async #cleanupFailedCreate(id: string, bundle: string): Promise<void> {
    const signal = AbortSignal.timeout(10_000);
    const argv = ["-c", id];
    for (;;) {
      const conmonPid = await readNumber(join(this.containerDir(id), "conmon.pid"));
      if (conmonPid !== undefined) killQuietly(conmonPid, "SIGKILL");
      for (const pid of await processesWithArgs(argv)) killQuietly(pid, "SIGKILL");
      await this.#killQuiet(id, "SIGKILL", true, signal).catch(() => undefined);
      await this.#deleteQuiet(id, signal).catch(() => undefined);
      const busy = (await processesWithArgs(argv)).length > 0 || (await processesWithArgs(["create", id])).length > 0;
      const known = await this.cli.state(id, { signal }).then(
        () => true,
        () => false,
      );
      if ((!busy && !known) || signal.aborted) break;
      await sleep(20);
    }
    await this.#removeState(id, bundle);
  }

  async #resolveRuntime(): Promise<string> {
    this.#runtimePath ??= await resolveInPath(this.cli.binary, "OCI runtime");
    return this.#runtimePath;
  }

  async #baseProcess(meta: ContainerMeta): Promise<Record<string, unknown>> {
    const cached = this.#processCache.get(meta.id);
    if (cached) return cached;
    const cfg = JSON.parse(await readFile(join(meta.bundle, "config.json"), "utf8")) as { process?: Record<string, unknown> };
    const p = { ...(cfg.process ?? {}) };
    delete p["consoleSize"];
    this.#processCache.set(meta.id, p);
    return p;
  }

  async #resolveConmon(): Promise<string> {
    this.#conmonPath ??= await resolveInPath(this.#opts.conmon ?? "conmon", "conmon");
    return this.#conmonPath;
  }

  /**
   * The runtime root holding runc's exec fifos, when the runtime is runc
   * (the only runtime whose `start` is known to be just the fifo) and
   * NOTIFY_SOCKET is unset (runc's start would then also wait on it).
   */
  #execFifoRoot(runtimePath: string): string | undefined {
    if (basename(runtimePath) !== "runc" || process.env["NOTIFY_SOCKET"] !== undefined) return undefined;
    return this.#opts.runtimeRoot ?? (process.geteuid?.() === 0 ? "/run/runc" : undefined);
  }

  /**
   * Read the bundle's config.json once: clamp a negative
   * `process.oomScoreAdj` when CAP_SYS_RESOURCE is missing, and note what
   * start and stop need (poststart hooks, own PID namespace).
   */
  async #inspectBundle(bundle: string): Promise<BundleFacts> {
    const file = join(bundle, "config.json");
    const text = await readFile(file, "utf8");
    let cfg: { process?: { oomScoreAdj?: number }; hooks?: { poststart?: unknown[] }; linux?: { namespaces?: { type?: string; path?: string }[] } };
    try {
      cfg = parseExactJson(text) as typeof cfg;
    } catch {
      // The runtime reports a bad config; assume nothing.
      return { hasPoststartHooks: true, ownPidNs: false };
    }
    const facts: BundleFacts = {
      hasPoststartHooks: (cfg.hooks?.poststart?.length ?? 0) > 0,
      ownPidNs: (cfg.linux?.namespaces ?? []).some((n) => n.type === "pid" && (n.path === undefined || n.path === "")),
    };
    const adj = cfg.process?.oomScoreAdj;
    if (adj === undefined || adj >= 0 || (await hasEffectiveCapability(capSysResource))) return facts;
    this.#log?.warn({ bundle, oomScoreAdj: adj }, "clamping negative oomScoreAdj to 0: CAP_SYS_RESOURCE is missing");
    if (cfg.process) cfg.process.oomScoreAdj = 0;
    await writeFile(file, stringifyExactJson(cfg));
    return facts;
  }
}

/** A binary's absolute path: as given when it has a slash, else the first executable match in PATH. */
async function resolveInPath(bin: string, what = "binary"): Promise<string> {
  if (bin.includes("/")) {
    try {
      await access(bin, fsConstants.X_OK);
    } catch (e) {
      throw failedPrecondition(`${what} "${bin}" is not an executable file (${(e as NodeJS.ErrnoException).code ?? "unknown error"})`);
    }
    return bin;
  }
  for (const dir of (process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    const p = join(dir, bin);
    try {
      await access(p, fsConstants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw failedPrecondition(`${what} "${bin}" was not found in PATH`);
}

async function readNumber(file: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(file, "utf8")).trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() > until) return false;
    await sleep(5);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
