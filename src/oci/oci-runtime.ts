/**
 * The OCI runtime adapter: runc or crun driven through conmon, with
 * containers that outlive the daemon.
 *
 * Its parts: the state directory (`container-state.ts`); status, stop and
 * rollback (`container-control.ts`); create and log reopening through conmon
 * (`conmon-container.ts`); exec (`oci-exec.ts`); what is read of a bundle
 * (`bundle-facts.ts`).
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
 * Latency: `fast-paths.ts` (runc's exec fifo for start, signals straight to
 * the init, inotify for exits, status from /proc). Nothing is fsynced: the
 * state directory must survive daemon restarts, not host crashes (the
 * containers do not survive those either); durable records are the service's.
 *
 * @packageDocumentation
 */
import { join, isAbsolute } from "node:path";
import { CrikitError, invalidArgument, failedPrecondition } from "../errors.js";
import { createRuntimeCli } from "./runtime-cli.js";
import type { RuntimeCli } from "./runtime-cli.js";
import type { ExecSyncResult } from "./exec-sync.js";
import { execStreamIn, execSyncIn } from "./oci-exec.js";
import { attachToConmon } from "./attach.js";
import type { StreamingIO } from "../streaming/runtime.js";
import { startViaExecFifo } from "./fast-paths.js";
import type { ContainerRuntime, ExitWatch, ExitWatchOptions } from "../runtime/index.js";
import { runStep } from "../telemetry/index.js";
import { bundleProcess, execFifoRoot, resolveInPath } from "./bundle-facts.js";
import { ContainerControl, waitGone } from "./container-control.js";
import { checkCreateInput, createUnderConmon, reopenConmonLog, type AdapterParts } from "./conmon-container.js";
import { ContainerStateDir } from "./container-state.js";
import type { OciLogger, OciRuntimeOptions, OciCreateContainerInput, OciCallOptions, OciContainerStatus, OciRecoveryResult, ContainerMeta } from "./oci-runtime-types.js";
export type { OciLogger, OciRuntimeOptions, OciCreateContainerInput, OciCallOptions, OciContainerStatus, OciRecoveryResult } from "./oci-runtime-types.js";

/**
 * The OCI runtime adapter: runc or crun driven through conmon, with
 * containers that outlive the daemon.
 *
 * Lifecycle (the `state` of {@link OciContainerStatus}): `create` →
 * created → `start` → running (⇄ paused) → exit or `stop` → exited →
 * `remove` → gone; a created container can be stopped too. `exited` is
 * decided by the exit file conmon writes when the init exits, whether or
 * not the daemon runs; a container with no exit file that the runtime no
 * longer knows has vanished: exited with code 255 and reason `Unknown`.
 * Stop sends the stop signal, waits the grace period, then SIGKILLs every
 * process of the container; removing a running container stops it first.
 * `stateDir` must survive daemon restarts, not host crashes.
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
  readonly #state: ContainerStateDir;
  readonly #control: ContainerControl;
  readonly #conmon: AdapterParts;
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
    this.#state = new ContainerStateDir(options.stateDir);
    this.#control = new ContainerControl(this.cli, this.#state);
    this.#conmon = { cli: this.cli, state: this.#state, options, runtimePath: () => this.#resolveRuntime(), conmonPath: () => this.#resolveConmon() };
  }

  /** The state directory. */
  get stateDir(): string {
    return this.#opts.stateDir;
  }

  /** Directory of one container's state. */
  containerDir(id: string): string {
    return this.#state.containerDir(id);
  }

  /** The exit file conmon writes for `id`. */
  exitFile(id: string): string {
    return this.#state.exitFile(id);
  }

  /** The attach socket conmon listens on for `id` (in the bundle). */
  async attachSocketPath(id: string): Promise<string> {
    const meta = await this.#state.readMeta(id);
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
    checkCreateInput(input);
    const signal = this.#signal(options.signal);
    signal.throwIfAborted();
    const dir = await this.#state.makeContainerDir(input.id);
    try {
      const meta = await createUnderConmon(this.#conmon, input, dir, signal);
      this.#log?.info({ id: input.id, pid: meta.pid, conmonPid: meta.conmonPid }, "container created");
      return { pid: meta.pid, conmonPid: meta.conmonPid };
    } catch (e) {
      // Roll back under its own time limit, not the request's signal.
      await this.#control.cleanupFailedCreate(input.id, input.bundle).catch((ce: unknown) => this.#log?.warn({ id: input.id, err: ce }, "rollback of create failed"));
      throw e;
    }
  }

  /** Start a created container. */
  start(id: string, options: OciCallOptions = {}): Promise<void> {
    return runStep("oci.start", { "crikit.container_id": id }, () => this.#start(id, options));
  }

  async #start(id: string, options: OciCallOptions): Promise<void> {
    this.#check();
    const meta = await this.#state.readMeta(id);
    const signal = this.#signal(options.signal);
    const root = meta.fifoStart === true ? execFifoRoot(await this.#resolveRuntime(), this.#opts.runtimeRoot) : undefined;
    // runc's `start` is only "read the exec fifo, delete it": do that here and save a runc process.
    const viaFifo = root !== undefined && (await startViaExecFifo(join(root, id, "exec.fifo"), meta.pid, signal)) === "started";
    if (!viaFifo) await this.cli.start(id, { signal });
    meta.startedAt = new Date().toISOString();
    await this.#state.writeMeta(meta);
    this.#log?.info({ id }, "container started");
  }

  /** The container's current status (see {@link OciRuntime} for how it is decided). */
  async status(id: string, options: OciCallOptions = {}): Promise<OciContainerStatus> {
    this.#check();
    const meta = await this.#state.readMeta(id);
    return this.#control.status(meta, options.signal);
  }

  /**
   * Stop a container: `stopSignal` (default SIGTERM), wait up to `timeoutMs`
   * for it to exit, then SIGKILL. Stopping an exited container succeeds.
   */
  async stop(id: string, opts: { timeoutMs?: number; stopSignal?: string } = {}, options: OciCallOptions = {}): Promise<OciContainerStatus> {
    this.#check();
    const signal = this.#signal(options.signal);
    const meta = await this.#state.readMeta(id);
    await this.#control.stop(meta, opts.timeoutMs ?? 0, opts.stopSignal ?? "SIGTERM", signal);
    return this.#control.status(meta, signal);
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
      meta = await this.#state.readMeta(id);
    } catch {
      meta = undefined;
    }
    if (meta) await this.#control.stop(meta, opts.timeoutMs ?? 0, "SIGTERM", signal);
    // The container has exited (the exit file is there), so `delete` is the
    // runtime's fast path; conmon finishes meanwhile.
    const conmonPid = meta?.conmonPid ?? (await this.#state.conmonPid(id));
    await Promise.all([meta?.released === true ? undefined : this.#control.deleteQuiet(id, signal), conmonPid !== undefined && conmonPid > 0 ? waitGone(conmonPid, 5000, signal) : undefined]);
    await this.#state.remove(id, meta?.bundle);
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
    const meta = await this.#state.readMeta(id);
    if (meta.released === true || (await this.#state.readExit(id)) === undefined) return false;
    await this.#control.deleteQuiet(id, this.#signal(options.signal));
    meta.released = true;
    await this.#state.writeMeta(meta);
    return true;
  }

  /**
   * Run a command in a running container and collect its output (see
   * `exec-sync.ts`). `timeoutMs` 0 means no limit; a timeout rejects with
   * `DeadlineExceeded` after killing the command and its children.
   */
  async execSync(id: string, cmd: readonly string[], opts: { timeoutMs?: number; env?: readonly string[]; maxOutputBytes?: number } = {}, options: OciCallOptions = {}): Promise<ExecSyncResult> {
    const { signal, base } = await this.#execStart(id, cmd, options);
    return execSyncIn(this.#conmon, id, cmd, base, opts, signal);
  }

  /** What an exec needs first: a command, a running container, the call's signal and the container's process as the base. */
  async #execStart(id: string, cmd: readonly string[], options: OciCallOptions): Promise<{ signal: AbortSignal; base: Record<string, unknown> }> {
    this.#check();
    if (cmd.length === 0) throw invalidArgument("cmd must not be empty", "cmd");
    const signal = this.#signal(options.signal);
    const meta = await this.#state.readMeta(id);
    if (await this.#state.hasExited(id)) throw failedPrecondition(`container "${id}" is not running`);
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
    return execStreamIn(this.#conmon, id, cmd, base, io, signal);
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
    const meta = await this.#state.readMeta(id);
    if (meta.startedAt === undefined || (await this.#state.hasExited(id))) throw failedPrecondition(`container "${id}" is not running`);
    await attachToConmon({ id, bundle: meta.bundle, io, signal });
  }

  /** Pause a running container (cgroup freezer). */
  async pause(id: string, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    const meta = await this.#state.readMeta(id);
    await this.cli.pause(id, { signal: this.#signal(options.signal) });
    if (meta.paused !== true) {
      meta.paused = true;
      await this.#state.writeMeta(meta);
    }
  }

  /** Resume a paused container. */
  async resume(id: string, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    const meta = await this.#state.readMeta(id);
    await this.cli.resume(id, { signal: this.#signal(options.signal) });
    if (meta.paused === true) {
      delete meta.paused;
      await this.#state.writeMeta(meta);
    }
  }

  /** Update a container's resources: `resources` is an OCI `linux.resources` object. */
  async updateResources(id: string, resources: Record<string, unknown>, options: OciCallOptions = {}): Promise<void> {
    this.#check();
    await this.#state.readMeta(id);
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
    const meta = await this.#state.readMeta(id);
    await reopenConmonLog(meta, signal);
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
    const r = await this.#control.recoverAll(signal, this.#log);
    this.#log?.info({ containers: r.containers.length, orphans: r.orphans.length }, "recovered containers");
    return r;
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
    return this.#state.watchExits(onExit, options);
  }

  /** Ids of the containers in the state directory. */
  async list(): Promise<string[]> {
    this.#check();
    return this.#state.list();
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

  #check(): void {
    if (this.#closed) throw new CrikitError("Unavailable", "the OCI runtime adapter is closed");
  }

  #signal(s: AbortSignal | undefined): AbortSignal {
    return s ? AbortSignal.any([s, this.#lifetime.signal]) : this.#lifetime.signal;
  }

  async #resolveRuntime(): Promise<string> {
    this.#runtimePath ??= await resolveInPath(this.cli.binary, "OCI runtime");
    return this.#runtimePath;
  }

  async #baseProcess(meta: ContainerMeta): Promise<Record<string, unknown>> {
    const cached = this.#processCache.get(meta.id);
    if (cached) return cached;
    const p = await bundleProcess(meta.bundle);
    this.#processCache.set(meta.id, p);
    return p;
  }

  async #resolveConmon(): Promise<string> {
    this.#conmonPath ??= await resolveInPath(this.#opts.conmon ?? "conmon", "conmon");
    return this.#conmonPath;
  }
}
