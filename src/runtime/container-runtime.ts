/**
 * What the CRI service needs of a runtime handler's container runtime: the
 * extension point a runtime author implements to run containers their own
 * way (a VM, a sandboxed kernel, WebAssembly, a remote host) while keeping
 * crikit's CRI semantics, stores, images and network.
 *
 * `OciRuntime` (runc or crun through conmon) is the default implementation.
 *
 * ## Lifecycle of one container, as the service drives it
 *
 * ```
 * create(bundle) ──► created ── start ──► running ── (exit) ──► exited ── remove ──► gone
 *        │                                   │                     ▲
 *        └───────────── stop ────────────────┴──── stop(grace) ────┘
 * ```
 *
 * - `create` (called at the container's first StartContainer, as containerd
 *   creates its task there) gets a prepared bundle: `<bundle>/config.json` (the OCI spec,
 *   also passed as `spec`) and `<bundle>/rootfs` (the image's root file
 *   system, mounted). The container's output goes to `logPath` in the CRI
 *   log format.
 * - An exit is reported through {@link ContainerRuntime.watchExits}; the
 *   service then reads {@link ContainerRuntime.status} once and records it.
 * - `status` keeps answering for an exited container until `remove`.
 *
 * Every call that can wait takes `{ signal }` and stops waiting when it
 * aborts.
 *
 * @packageDocumentation
 */
import type { OciSpec } from "../spec/index.js";
import type { StreamingIO } from "../streaming/runtime.js";

/**
 * Options of a {@link ContainerRuntime} call that can wait.
 *
 * @public
 */
export interface ContainerCallOptions {
  /** Abort the call: what it runs is stopped and its waits end. */
  signal?: AbortSignal | undefined;
}

/**
 * What {@link ContainerRuntime.create} creates.
 *
 * @public
 */
export interface ContainerCreateInput {
  /** Container ID (letters, digits, `_`, `.`, `-`). */
  id: string;
  /** The bundle: `config.json` (the spec) and `rootfs/` (mounted). */
  bundle: string;
  /** The spec written to `<bundle>/config.json`, so a runtime need not read it back. */
  spec?: OciSpec;
  /** The file the container's stdout and stderr go to, in the CRI log format. */
  logPath: string;
  /** A human name for the runtime's own logs. @defaultValue the ID */
  name?: string;
  /** Allocate a terminal. @defaultValue false */
  terminal?: boolean;
  /** Keep stdin open for attach. @defaultValue false */
  stdin?: boolean;
  /** Keep stdin open after the first attach ends. @defaultValue false */
  leaveStdinOpen?: boolean;
  /** Free-form facts kept with the container and returned by {@link ContainerRuntime.recover}. */
  labels?: Record<string, string>;
}

/**
 * A container's state as its runtime reports it.
 *
 * @public
 */
export interface RuntimeContainerStatus {
  /** Container ID. */
  id: string;
  /** Lifecycle state; `paused` only for runtimes that pause. */
  state: "created" | "running" | "paused" | "exited";
  /** Host pid of the container's main process (0 when it has none, as a VM or WebAssembly guest). */
  pid: number;
  /** When `start` succeeded; absent until started. */
  startedAt?: Date | undefined;
  /** When the main process exited; absent until exited. */
  finishedAt?: Date | undefined;
  /** {@link RuntimeContainerStatus.finishedAt} in nanoseconds, when the runtime knows it that precisely. */
  finishedAtNs?: bigint | undefined;
  /** Exit code, 128+N when killed by signal N; absent until exited. */
  exitCode?: number | undefined;
  /** `Completed`, `Error`, `OOMKilled` or `Unknown` (the status module's `ExitReason`). */
  reason?: string | undefined;
  /** A human explanation of the exit. */
  message?: string | undefined;
}

/**
 * What {@link ContainerRuntime.recover} found after a restart.
 *
 * @public
 */
export interface RuntimeRecovery {
  /** Every container the runtime holds, with its current status. */
  containers: RuntimeContainerStatus[];
  /** IDs the runtime holds without state of its own (a create interrupted by a crash); removed with {@link ContainerRuntime.removeOrphan}. */
  orphans: string[];
}

/**
 * A running exit watch, from {@link ContainerRuntime.watchExits}.
 *
 * @public
 */
export interface ExitWatch {
  /** Report every exit seen so far again, at once (after recovery). */
  recheck(): Promise<void>;
  /** Stop watching. Idempotent. */
  close(): Promise<void>;
}

/**
 * Options of {@link ContainerRuntime.watchExits}.
 *
 * @public
 */
export interface ExitWatchOptions {
  /** Interval of a full re-check, in ms, for runtimes that poll. @defaultValue 2000 */
  recheckMs?: number;
  /** Called when watching fails or `onExit` throws. */
  onError?: (err: unknown) => void;
}

/**
 * The result of {@link ContainerRuntime.execSync}.
 *
 * @public
 */
export interface RuntimeExecResult {
  /** The command's stdout, at most `maxOutputBytes`. */
  stdout: Uint8Array;
  /** The command's stderr, at most `maxOutputBytes`. */
  stderr: Uint8Array;
  /** Exit code, 128+N when killed by signal N. */
  exitCode: number;
}

/**
 * A runtime handler's container runtime: what the CRI service needs to run
 * containers (see the file header). `OciRuntime` implements it with runc or
 * crun through conmon.
 *
 * @public
 */
export interface ContainerRuntime {
  /**
   * Create a container from a prepared bundle; resolves with its main
   * process's host pid (0 when none). The service calls it at the
   * container's first StartContainer, right before `start`. A failed create
   * leaves nothing behind: the service then never asks to remove it.
   */
  create(input: ContainerCreateInput, options?: ContainerCallOptions): Promise<{ pid: number }>;
  /**
   * Optional: refuse, at CreateContainer, a container this runtime's create
   * would refuse (a module that cannot run, a terminal it cannot give),
   * with the same input `create` gets later. It creates nothing that
   * needs removing; a rejection fails CreateContainer with its code.
   */
  check?(input: ContainerCreateInput, options?: ContainerCallOptions): Promise<void>;
  /** Start a created container. */
  start(id: string, options?: ContainerCallOptions): Promise<void>;
  /** The container's status; `NotFound` (a `CrikitError`) for an unknown ID. */
  status(id: string, options?: ContainerCallOptions): Promise<RuntimeContainerStatus>;
  /**
   * Stop a container: `stopSignal` (default SIGTERM), wait up to `timeoutMs`
   * (0: none) for it to exit, then kill it. Stopping an exited container
   * succeeds. Resolves with the status once exited.
   */
  stop(id: string, opts?: { timeoutMs?: number; stopSignal?: string }, options?: ContainerCallOptions): Promise<RuntimeContainerStatus>;
  /** Remove a container, killing it first if it runs (after `timeoutMs`, default 0). Removing an unknown container succeeds. */
  remove(id: string, opts?: { timeoutMs?: number }, options?: ContainerCallOptions): Promise<void>;
  /**
   * Release what an exited container still holds (cgroups, runtime state)
   * while its status stays until {@link ContainerRuntime.remove}; false when
   * it has not exited or was released already. Optional: a runtime that
   * holds nothing after an exit leaves it out.
   */
  releaseExited?(id: string, options?: ContainerCallOptions): Promise<boolean>;
  /**
   * Call `onExit(id)` for every container whose main process exits, from
   * now on, possibly more than once per exit (the service ignores repeats).
   * Resolves once watching has begun.
   */
  watchExits(onExit: (id: string) => void | Promise<void>, options?: ExitWatchOptions): Promise<ExitWatch>;
  /**
   * Run a command in a running container and collect its output;
   * `timeoutMs` 0 means no limit; a timeout rejects with `DeadlineExceeded`.
   */
  execSync(id: string, cmd: readonly string[], opts?: { timeoutMs?: number; env?: readonly string[]; maxOutputBytes?: number }, options?: ContainerCallOptions): Promise<RuntimeExecResult>;
  /** Apply new resources, an OCI `linux.resources` object, to a container. */
  updateResources(id: string, resources: Record<string, unknown>, options?: ContainerCallOptions): Promise<void>;
  /** Reopen the container's log file after the caller renamed it (log rotation). */
  reopenLog(id: string, options?: ContainerCallOptions): Promise<void>;
  /** After a restart: every container the runtime holds with its status, and orphans. */
  recover(options?: ContainerCallOptions): Promise<RuntimeRecovery>;
  /** Remove an orphan {@link ContainerRuntime.recover} reported. Optional. */
  removeOrphan?(id: string, options?: ContainerCallOptions): Promise<void>;
  /** IDs of the containers the runtime holds. */
  list(): Promise<string[]>;
  /**
   * Run a command in a running container with the client's streams (Exec);
   * resolves with its exit code. Optional: without it Exec answers
   * `Unimplemented` for this handler's containers.
   */
  exec?(id: string, cmd: readonly string[], io: StreamingIO, options?: ContainerCallOptions): Promise<number>;
  /** Attach the client's streams to the container's main process (Attach). Optional, as `exec`. */
  attach?(id: string, io: StreamingIO, options?: ContainerCallOptions): Promise<void>;
  /** Release what the runtime holds in this process; containers keep running. Idempotent. */
  close(): Promise<void>;
}
