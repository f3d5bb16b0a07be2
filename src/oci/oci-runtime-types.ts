/**
 * The types of the OCI runtime adapter (`oci-runtime.ts`): its options, the
 * input of create, its statuses, and the state it keeps per container.
 *
 * @packageDocumentation
 */
import type { Logger } from "../logger.js";
import type { ExitReason } from "../status/index.js";

/**
 * The SDK's one logger contract (see `Logger`), under this module's former name.
 *
 * @public
 */
export type OciLogger = Logger;

/**
 * Options of {@link OciRuntime}.
 *
 * @public
 */
export interface OciRuntimeOptions {
  /** Where the adapter keeps its per-container state (see {@link OciRuntime}). Must survive daemon restarts. */
  stateDir: string;
  /**
   * The OCI runtime binary, a name in PATH or a path (runc and crun work).
   * @defaultValue `"runc"`
   */
  runtime?: string;
  /**
   * The runtime's `--root`.
   * @defaultValue the runtime's default
   */
  runtimeRoot?: string;
  /**
   * Use the systemd cgroup manager (runtime `--systemd-cgroup`, conmon `-s`).
   * @defaultValue `false`
   */
  systemdCgroup?: boolean;
  /**
   * Create containers without pivot_root (the runtime's `create --no-pivot`,
   * passed by conmon), for a rootfs on a ramdisk.
   * @defaultValue `false`
   */
  noPivotRoot?: boolean;
  /**
   * Create containers without a session keyring of their own (the runtime's
   * `create --no-new-keyring`, passed by conmon).
   * @defaultValue `false`
   */
  noNewKeyring?: boolean;
  /**
   * The conmon binary.
   * @defaultValue `"conmon"`
   */
  conmon?: string;
  /**
   * How long `create` waits for the runtime (through conmon), in ms.
   * @defaultValue `60000`
   */
  startTimeoutMs?: number;
  /**
   * How long {@link OciRuntime.execSync} with `execVia: "runtime"`, and an
   * exec stream, wait for pipes held open by a background child after the
   * command exited, in ms (through conmon, ExecSync does not wait: conmon
   * drains them).
   * @defaultValue `1000`
   */
  execDrainMs?: number;
  /**
   * How {@link OciRuntime.execSync} runs commands: through conmon's exec mode
   * (robust against background children holding the output), or directly
   * with the runtime (faster; with runc a background child holding the output
   * keeps the call waiting until its timeout). See `exec-sync.ts`.
   * @defaultValue `"conmon"`
   */
  execVia?: "conmon" | "runtime";
  /** conmon's `--log-level`. @defaultValue conmon's default */
  conmonLogLevel?: string;
  /** A logger; silent by default. */
  logger?: OciLogger;
}

/**
 * What to create.
 *
 * @public
 */
export interface OciCreateContainerInput {
  /** Container id: letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
  id: string;
  /** The OCI bundle (a directory with config.json and the rootfs). */
  bundle: string;
  /** The CRI log path (conmon writes the CRI log format there). */
  logPath: string;
  /** A name for conmon's own logs. @defaultValue the id */
  name?: string;
  /** Allocate a terminal. @defaultValue false */
  terminal?: boolean;
  /** Keep stdin open for attach. @defaultValue false */
  stdin?: boolean;
  /** Keep stdin open after the first attach ends. @defaultValue false */
  leaveStdinOpen?: boolean;
  /** Let conmon rotate the log at this size (bytes). @defaultValue no limit */
  logSizeMax?: number;
  /** Override {@link OciRuntimeOptions.startTimeoutMs}. */
  startTimeoutMs?: number;
  /** Free-form facts kept with the container and returned by {@link OciRuntime.recover}. */
  labels?: Record<string, string>;
}

/**
 * Options of waiting calls.
 *
 * @public
 */
export interface OciCallOptions {
  /** Abort the call: runtime commands it runs are killed and its waits end. */
  signal?: AbortSignal | undefined;
}

/**
 * A container's state as the adapter reports it.
 *
 * @public
 */
export interface OciContainerStatus {
  /** Container ID. */
  id: string;
  /** Lifecycle state (see {@link OciRuntime}); `exited` is decided by the exit file alone. */
  state: "created" | "running" | "paused" | "exited";
  /** Host pid of the init process (0 when unknown). */
  pid: number;
  /** The OCI bundle directory given to `create`. */
  bundle: string;
  /** The CRI log file conmon writes. */
  logPath: string;
  /** When `create` was called. */
  createdAt: Date;
  /** When `start` succeeded; absent until the container is started. */
  startedAt?: Date;
  /** When the init exited (the exit file's mtime), or when a vanished container was first noticed. */
  finishedAt?: Date;
  /** The exit file's mtime in nanoseconds; absent for a vanished container. */
  finishedAtNs?: bigint;
  /**
   * Exit code of the init, 128+N when killed by signal N, 255 for a vanished container; absent until exited.
   */
  exitCode?: number;
  /** `Completed`, `Error`, `OOMKilled` or `Unknown` (see `ExitReason` of the status module). */
  reason?: ExitReason;
  /** A human explanation, for instance for a vanished container. */
  message?: string;
  /** The labels given to `create`, kept in the state directory. */
  labels: Record<string, string>;
}

/**
 * What {@link OciRuntime.recover} found.
 *
 * @public
 */
export interface OciRecoveryResult {
  /** Every container of the state directory with its current status. */
  containers: (OciContainerStatus & { monitorAlive: boolean })[];
  /** Ids the runtime knows that the state directory does not (left by a crash during create). */
  orphans: string[];
}

/** @internal */
export interface ContainerMeta {
  id: string;
  bundle: string;
  logPath: string;
  createdAt: string;
  startedAt?: string;
  pid: number;
  conmonPid: number;
  labels: Record<string, string>;
  /** Start by reading runc's exec fifo instead of running `runc start` (see `fast-paths.ts`). */
  fifoStart?: boolean;
  /** The container has its own PID namespace: SIGKILL to its init kills all its processes. */
  ownPidNs?: boolean;
  /** Paused through this adapter (a frozen init takes SIGKILL only once thawed). */
  paused?: boolean;
  /** Exited and deleted from the OCI runtime by {@link OciRuntime.releaseExited}: its cgroups are gone. */
  released?: boolean;
}

/** What create learns from the bundle's config.json. */
export interface BundleFacts {
  hasPoststartHooks: boolean;
  ownPidNs: boolean;
}
