/**
 * The pod sandbox store: metadata fixed at RunPodSandbox, a status that
 * records the sandbox's life, and the CRI state derived from it
 * (containerd's `internal/cri/store/sandbox`).
 *
 * The rules are in the TSDoc of {@link sandboxState}.
 *
 * @packageDocumentation
 */
import type { PodSandboxConfig } from "../cri.js";
import { CrikitError, invalidArgument } from "../errors.js";
import { Store } from "./store.js";
import type { StoreRecord } from "./store.js";

/**
 * What a pod sandbox is; fixed when it is created.
 *
 * @public
 */
export interface SandboxMetadata {
  /** The unique name from `makeSandboxName`. */
  readonly name: string;
  /** The CRI config it was created from (metadata, labels, annotations, linux options, ...). */
  readonly config: PodSandboxConfig;
  /** The runtime handler it runs under; `""` for the default. */
  readonly runtimeHandler: string;
  /** How it runs, once set up (the service's facts; absent for a sandbox added by hand). */
  readonly runtime?: SandboxRuntimeFacts | undefined;
}

/**
 * How a pod sandbox runs: fixed once it is set up.
 *
 * @public
 */
export interface SandboxRuntimeFacts {
  /** The handler that runs it (the default's name for `""`). */
  readonly handler: string;
  /** `infra` (a process holds the namespaces) or `pinned` (bind mounts). */
  readonly mode: string;
  /** The sandbox controller's handle: its directory and the namespace paths containers join. */
  readonly handle: {
    readonly id: string;
    readonly mode: "infra" | "pinned";
    readonly dir: string;
    readonly namespaces: { readonly ipc: string; readonly uts: string; readonly pid?: string; readonly network?: string };
    readonly infraPid?: number;
  };
  /** The pod uses the host's network. */
  readonly hostNetwork: boolean;
  /** Its pinned network namespace, `""` with the host network. */
  readonly netnsPath: string;
  /** The pod files containers bind-mount; `shmPath` is the pod's shm tmpfs (absent with host IPC). */
  readonly files: { readonly hostnamePath?: string; readonly hostsPath?: string; readonly resolvConfPath?: string; readonly shmPath?: string };
}

/**
 * A create finished after the client's deadline, kept for its retry: hidden
 * from List and Status until claimed (see the service's late results).
 *
 * @public
 */
export interface ParkedResult {
  /** The late-result key (the object's name). */
  readonly key: string;
  /** The request's fingerprint. */
  readonly fp: string;
}

/**
 * A pod sandbox's status. Timestamps are nanoseconds since the epoch, `0n`
 * for "not yet".
 *
 * @public
 */
export interface SandboxStatus {
  /** When the sandbox was created. Set when it is added. */
  readonly createdAt: bigint;
  /** When setting it up finished and it became READY; `0n` before. */
  readonly readyAt: bigint;
  /** When it was stopped (or its setup failed, or its pause process died); `0n` before. */
  readonly stoppedAt: bigint;
  /** The host PID of its pause (infra) process, `0` if it has none. */
  readonly pid: number;
  /** The path of its network namespace, `""` for the host network or none yet. */
  readonly netnsPath: string;
  /** The pod's primary IP, `""` if none. */
  readonly ip: string;
  /** The pod's other IPs (for instance the IPv6 one of a dual-stack pod). */
  readonly additionalIps: readonly string[];
  /** The state could not be determined (for instance after a failed recovery). */
  readonly unknown: boolean;
  /** Its network is torn down (always with the host network). */
  readonly networkDown?: boolean | undefined;
  /** Set while it is a parked late result: hidden from List and Status. */
  readonly parked?: ParkedResult | undefined;
  /** The pod-level overhead and resources from the last UpdatePodSandboxResources (CRI JSON). */
  readonly podResources?: { readonly overhead?: unknown; readonly resources?: unknown; readonly updatedAt: string } | undefined;
}

/**
 * A pod sandbox's CRI state, as {@link sandboxState} derives it.
 *
 * @public
 */
export type DerivedSandboxState = "READY" | "NOTREADY";

/**
 * A stored pod sandbox.
 *
 * @public
 */
export type SandboxRecord = StoreRecord<SandboxMetadata, SandboxStatus>;

/**
 * The state of a sandbox with this status.
 *
 * ## State diagram
 *
 * CRI knows two sandbox states, READY and NOTREADY. {@link sandboxState}
 * derives them from the status timestamps and the `unknown` flag:
 *
 * ```text
 *     add (createdAt set)
 *             |
 *             v
 *   +--------------------+   set up: readyAt set    +---------+
 *   | NOTREADY (setting  | -----------------------> |  READY  |
 *   | up: namespaces,    |                          +---------+
 *   | network, pause)    |                               |
 *   +--------------------+                               | stopped or its pause process died:
 *             |                                          | stoppedAt set
 *             | setup failed: stoppedAt set              v
 *             |                                  +--------------------+
 *             +--------------------------------> | NOTREADY (stopped) |
 *                                                +--------------------+
 *
 *   any state --(unknown = true)--> NOTREADY --(unknown = false)--> state from the timestamps
 *   delete: from any state (the server stops a sandbox before it removes it)
 * ```
 *
 * The store enforces the arrows: `createdAt` never changes, `readyAt` and
 * `stoppedAt` never change once set, and a stopped sandbox never becomes
 * ready again (the kubelet creates a new sandbox with the next attempt). A
 * refused update throws `FailedPrecondition` and changes nothing.
 * containerd keeps an explicit state field (INIT, READY, NOTREADY, UNKNOWN)
 * instead; deriving it from timestamps, as containerd does for containers,
 * keeps one source of truth and makes the diagram checkable.
 *
 * Timestamps are `bigint` nanoseconds since the epoch, `0n` meaning "not
 * yet", as in the container store (CRI `created_at` is int64 nanoseconds).
 *
 * @public
 */
export function sandboxState(status: SandboxStatus): DerivedSandboxState {
  return !status.unknown && status.readyAt !== 0n && status.stoppedAt === 0n ? "READY" : "NOTREADY";
}

/**
 * A new sandbox's status: created at `createdAt` (nanoseconds), nothing else
 * set, unless `init` says otherwise (as on recovery).
 *
 * @public
 */
export function newSandboxStatus(createdAt: bigint, init: Partial<SandboxStatus> = {}): SandboxStatus {
  return { createdAt, readyAt: 0n, stoppedAt: 0n, pid: 0, netnsPath: "", ip: "", additionalIps: [], unknown: false, ...init };
}

const TIMESTAMPS = ["createdAt", "readyAt", "stoppedAt"] as const;

function refuse(id: string, message: string, field: string): CrikitError {
  return new CrikitError("FailedPrecondition", `sandbox ${JSON.stringify(id)}: ${message}`, { details: { id, field } });
}

function checkTimestamp(value: unknown, field: string): void {
  if (typeof value !== "bigint" || value < 0n) {
    throw invalidArgument(`sandbox status.${field} must be a non-negative bigint of nanoseconds`, `status.${field}`);
  }
}

/**
 * The store of pod sandboxes: a {@link Store} that checks the state diagram.
 * Containers by sandbox come from `ContainerStore.listBySandbox`.
 *
 * @public
 */
export class SandboxStore extends Store<SandboxMetadata, SandboxStatus> {
  constructor() {
    super({
      noun: "sandbox",
      createdAt: (r) => r.status.createdAt,
      validate: (r) => {
        if (typeof r.metadata.name !== "string" || r.metadata.name === "") throw invalidArgument("sandbox metadata.name is empty", "metadata.name");
        for (const f of TIMESTAMPS) checkTimestamp(r.status[f], f);
        if (r.status.createdAt === 0n) throw invalidArgument("sandbox status.createdAt is not set", "status.createdAt");
      },
      checkTransition: (prev, next) => {
        const id = prev.id;
        const was = prev.status;
        for (const f of TIMESTAMPS) checkTimestamp(next[f], f);
        if (next.createdAt !== was.createdAt) throw refuse(id, "createdAt cannot change", "createdAt");
        if (was.readyAt !== 0n && next.readyAt !== was.readyAt) throw refuse(id, "readyAt is already set", "readyAt");
        if (was.stoppedAt !== 0n && next.stoppedAt !== was.stoppedAt) throw refuse(id, "stoppedAt is already set", "stoppedAt");
        if (was.readyAt === 0n && next.readyAt !== 0n && was.stoppedAt !== 0n) {
          throw refuse(id, "the sandbox is stopped and cannot become ready again", "readyAt");
        }
      },
    });
  }
}
