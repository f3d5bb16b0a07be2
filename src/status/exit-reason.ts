/**
 * Exit reasons and the "unknown" statuses.
 *
 * `ContainerStatus.reason` is a short CamelCase word; the kubelet shows it as
 * the container's terminated reason and must see `OOMKilled` after a cgroup
 * OOM kill (cri-api api.proto). The words and codes follow containerd's CRI
 * plugin and CRI-O, which agree:
 *
 * | situation                         | reason       | exit code          |
 * | --------------------------------- | ------------ | ------------------ |
 * | start failed (runtime error)      | `StartError` | 128 (as Docker)    |
 * | killed by the OOM killer          | `OOMKilled`  | the process's code |
 * | exited with code 0                | `Completed`  | 0                  |
 * | exited with a non-zero code       | `Error`      | the process's code |
 * | state lost (for instance recovery)| `Unknown`    | 255                |
 *
 * Precedence: a failed start wins over everything, then an OOM kill (a
 * process killed by the OOM killer may still report code 0 through its
 * shell), then the exit code.
 *
 * A sandbox whose state could not be recovered is `Unknown` inside the
 * runtime and reported to the kubelet as `SANDBOX_NOTREADY`, as containerd
 * does; the kubelet then stops and recreates it.
 *
 * @packageDocumentation
 */
import { ContainerState, PodSandboxState } from "../cri-enums.js";

/**
 * The exit reasons a runtime reports in `ContainerStatus.reason`.
 *
 * @public
 */
export const ExitReason = {
  /** The container exited with code 0. */
  Completed: "Completed",
  /** The container exited with a non-zero code. */
  Error: "Error",
  /** The OOM killer killed a process of the container. */
  OOMKilled: "OOMKilled",
  /** The runtime failed to start the container. */
  StartError: "StartError",
  /** The runtime lost track of the container. */
  Unknown: "Unknown",
} as const;

/**
 * One of the {@link (ExitReason:variable)} values.
 *
 * @public
 */
export type ExitReason = (typeof ExitReason)[keyof typeof ExitReason];

/**
 * Exit codes the runtime reports on its own, not taken from a process.
 *
 * @public
 */
export const SpecialExitCode = {
  /** Reported when start failed; 128 is Docker's value, kept by containerd. */
  StartError: 128,
  /** Reported when the exit status is unknown (containerd's value). */
  Unknown: 255,
} as const;

/**
 * What is known about how a container ended.
 *
 * @public
 */
export interface ExitFacts {
  /** The process's exit code (for a signal, 128 plus the signal number). */
  readonly exitCode: number;
  /** Whether the OOM killer killed a process of the container. @defaultValue false */
  readonly oomKilled?: boolean | undefined;
  /** Whether the runtime failed to start the container. @defaultValue false */
  readonly startFailed?: boolean | undefined;
}

/**
 * The exit reason for a finished container.
 *
 * @example
 * ```ts
 * exitReason({ exitCode: 137, oomKilled: true }); // "OOMKilled"
 * exitReason({ exitCode: 0 });                    // "Completed"
 * ```
 *
 * @public
 */
export function exitReason(facts: ExitFacts): ExitReason {
  if (facts.startFailed === true) return ExitReason.StartError;
  if (facts.oomKilled === true) return ExitReason.OOMKilled;
  return facts.exitCode === 0 ? ExitReason.Completed : ExitReason.Error;
}

/**
 * The status fields of a container whose state is unknown.
 *
 * @public
 */
export interface UnknownContainerStatus {
  /** Always `CONTAINER_UNKNOWN`. */
  readonly state: typeof ContainerState.CONTAINER_UNKNOWN;
  /** Always 255 (`SpecialExitCode.Unknown`). */
  readonly exitCode: typeof SpecialExitCode.Unknown;
  /** Always `Unknown`. */
  readonly reason: typeof ExitReason.Unknown;
  /** Always 0: the creation time is not known (CRI `ContainerStatus.created_at`, nanoseconds). */
  readonly createdAt: 0n;
  /** Always 0: the start time is not known (CRI `ContainerStatus.started_at`, nanoseconds). */
  readonly startedAt: 0n;
  /** Always 0: the finish time is not known (CRI `ContainerStatus.finished_at`, nanoseconds). */
  readonly finishedAt: 0n;
}

/**
 * The status reported for a container whose state the runtime lost, for
 * example one found on disk after a restart with no live process and no exit
 * record: state `CONTAINER_UNKNOWN`, exit code 255, reason `Unknown`, zero
 * timestamps (containerd's `unknownContainerStatus`).
 *
 * @public
 */
export function unknownContainerStatus(): UnknownContainerStatus {
  return {
    state: ContainerState.CONTAINER_UNKNOWN,
    exitCode: SpecialExitCode.Unknown,
    reason: ExitReason.Unknown,
    createdAt: 0n,
    startedAt: 0n,
    finishedAt: 0n,
  };
}

/**
 * The runtime's own sandbox states. The CRI has only READY and NOTREADY;
 * `Unknown` marks a sandbox whose state could not be recovered.
 *
 * @public
 */
export const SandboxState = {
  Ready: "Ready",
  NotReady: "NotReady",
  Unknown: "Unknown",
} as const;

/**
 * One of the {@link (SandboxState:variable)} values.
 *
 * @public
 */
export type SandboxState = (typeof SandboxState)[keyof typeof SandboxState];

/**
 * The state of a sandbox whose state is unknown.
 *
 * @public
 */
export const unknownSandboxState: typeof SandboxState.Unknown = SandboxState.Unknown;

/**
 * The CRI `PodSandboxState` for a runtime sandbox state: only `Ready` is
 * `SANDBOX_READY`; `NotReady` and `Unknown` are `SANDBOX_NOTREADY`.
 *
 * @public
 */
export function toCriSandboxState(state: SandboxState): PodSandboxState {
  return state === SandboxState.Ready ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
}
