/**
 * The container store: metadata fixed at CreateContainer, a status that
 * records the container's life, and the CRI state derived from it
 * (containerd's `internal/cri/store/container`).
 *
 * ## State diagram
 *
 * The state is never stored; {@link containerState} derives it from the
 * status timestamps and the `unknown` flag:
 *
 * ```text
 *       add (createdAt set)
 *               |
 *               v
 *         +-----------+   start: startedAt set    +-----------+
 *         |  CREATED  | ------------------------> |  RUNNING  |
 *         +-----------+                           +-----------+
 *               |                                       |
 *               | start failed: finishedAt set          | exited or stopped: finishedAt set
 *               |                                       v
 *               |                                 +-----------+
 *               +-------------------------------> |  EXITED   |
 *                                                 +-----------+
 *
 *   any state --(unknown = true)--> UNKNOWN --(unknown = false)--> state from the timestamps
 *   delete: from any state (the server refuses to remove a RUNNING container)
 * ```
 *
 * The store enforces the arrows: `createdAt` never changes, `startedAt`
 * and `finishedAt` never change once set, and `startedAt` cannot be set once
 * `finishedAt` is (an exited container is never started again; CRI creates a
 * new container with the next attempt instead). A refused update throws
 * `FailedPrecondition` and changes nothing.
 *
 * ## Units
 *
 * Timestamps are `bigint` nanoseconds since the Unix epoch, `0n` meaning
 * "not yet": the CRI fields (`created_at`, `started_at`, `finished_at`) are
 * int64 nanoseconds, which protobuf-es types as `bigint`, and a JavaScript
 * `number` cannot hold today's time in nanoseconds exactly (it passed 2^53 in
 * 1970). The status therefore copies into a CRI `ContainerStatus` without
 * conversion or rounding.
 *
 * @packageDocumentation
 */
import type { ContainerConfig, ContainerResources } from "../cri.js";
import { CrikitError, invalidArgument } from "../errors.js";
import { Store } from "./store.js";
import type { ParkedResult } from "./sandbox-store.js";
import type { StoreRecord } from "./store.js";

/**
 * What a container is; fixed when it is created.
 *
 * @public
 */
export interface ContainerMetadata {
  /** The unique name from `makeContainerName`. */
  readonly name: string;
  /** The ID of the pod sandbox the container belongs to. */
  readonly sandboxId: string;
  /**
   * The CRI config it was created from (metadata, image, labels,
   * annotations, mounts, ... as CRI Container and ContainerStatus report them).
   */
  readonly config: ContainerConfig;
  /** The resolved image ID (`sha256:...`), CRI `image_ref`. */
  readonly imageRef: string;
  /** The absolute path of the container log, or `""` for none. */
  readonly logPath: string;
  /** How it runs (the service's facts; absent for a container added by hand). */
  readonly runtime?: ContainerRuntimeFacts | undefined;
}

/**
 * How a container runs: fixed at CreateContainer.
 *
 * @public
 */
export interface ContainerRuntimeFacts {
  /** The handler that runs it (its pod's). */
  readonly handler: string;
  /** Its bundle: `config.json` and `rootfs/`. */
  readonly bundle: string;
  /** Its writable layer's directory (`upper`, `work`, `volumes`). */
  readonly rwDir: string;
  /** The file its output goes to. */
  readonly logFile: string;
  /** The image's name ContainerStatus reports. */
  readonly imageName: string;
  /** The repo digest ContainerStatus reports as image_ref (else the ID). */
  readonly imageRepoDigest?: string | undefined;
  /** Its stop signal's name. */
  readonly stopSignal: string;
  /** The user its process runs as. */
  readonly user?: { readonly uid: number; readonly gid: number; readonly additionalGids: readonly number[] } | undefined;
  /** Its main process's host pid at create (0 for none, and for a container its runtime creates at start: see `ContainerStatus.pid`). */
  readonly pid: number;
}

/**
 * A container's status: what CRI `ContainerStatus` needs beyond the metadata.
 * Timestamps are nanoseconds since the epoch, `0n` for "not yet".
 *
 * @public
 */
export interface ContainerStatus {
  /** When the container was created. Set when it is added. */
  readonly createdAt: bigint;
  /** When its process started; `0n` before. */
  readonly startedAt: bigint;
  /** When its process exited (or failed to start); `0n` before. */
  readonly finishedAt: bigint;
  /** The exit code; meaningful once `finishedAt` is set. */
  readonly exitCode: number;
  /** A brief CamelCase reason for the state (`Completed`, `Error`, `OOMKilled`, ...). */
  readonly reason: string;
  /** A human-readable message about the state. */
  readonly message: string;
  /** The host PID of the container's process, `0` if none. */
  readonly pid: number;
  /** The resources as last applied, for `ContainerStatus.resources`. */
  readonly resources?: ContainerResources | undefined;
  /** The state could not be determined (for instance after a failed recovery). */
  readonly unknown: boolean;
  /** StartContainer is in progress; set and cleared by the server. */
  readonly starting: boolean;
  /** RemoveContainer is in progress; a container being removed must not start. */
  readonly removing: boolean;
  /**
   * The container exists only as its record, bundle and mounted rootfs: its
   * runtime has not been asked to create it yet (the service does that at
   * StartContainer, as containerd creates its task there). Absent or false:
   * the runtime holds it (records written before this field hold it too).
   */
  readonly awaitingRuntime?: boolean | undefined;
  /** Set while it is a parked late result: hidden from List and Status. */
  readonly parked?: ParkedResult | undefined;
}

/**
 * A container's CRI state, as {@link containerState} derives it.
 *
 * @public
 */
export type DerivedContainerState = "CREATED" | "RUNNING" | "EXITED" | "UNKNOWN";

/**
 * A stored container.
 *
 * @public
 */
export type ContainerRecord = StoreRecord<ContainerMetadata, ContainerStatus>;

/**
 * The state of a container with this status; see the diagram in the file
 * header.
 *
 * @public
 */
export function containerState(status: ContainerStatus): DerivedContainerState {
  if (status.unknown) return "UNKNOWN";
  if (status.finishedAt !== 0n) return "EXITED";
  if (status.startedAt !== 0n) return "RUNNING";
  if (status.createdAt !== 0n) return "CREATED";
  return "UNKNOWN";
}

/**
 * A new container's status: created at `createdAt` (nanoseconds), nothing
 * else set, unless `init` says otherwise (as on recovery).
 *
 * @public
 */
export function newContainerStatus(createdAt: bigint, init: Partial<ContainerStatus> = {}): ContainerStatus {
  return {
    createdAt,
    startedAt: 0n,
    finishedAt: 0n,
    exitCode: 0,
    reason: "",
    message: "",
    pid: 0,
    unknown: false,
    starting: false,
    removing: false,
    ...init,
  };
}

const TIMESTAMPS = ["createdAt", "startedAt", "finishedAt"] as const;

function refuse(id: string, message: string, field: string): CrikitError {
  return new CrikitError("FailedPrecondition", `container ${JSON.stringify(id)}: ${message}`, { details: { id, field } });
}

function checkTimestamp(value: unknown, field: string): void {
  if (typeof value !== "bigint" || value < 0n) {
    throw invalidArgument(`container status.${field} must be a non-negative bigint of nanoseconds`, `status.${field}`);
  }
}

/**
 * The store of containers: a {@link Store} that checks the state diagram
 * and lists containers by sandbox.
 *
 * @public
 */
export class ContainerStore extends Store<ContainerMetadata, ContainerStatus> {
  constructor() {
    super({
      noun: "container",
      createdAt: (r) => r.status.createdAt,
      groupKey: (m) => m.sandboxId,
      validate: (r) => {
        if (typeof r.metadata.name !== "string" || r.metadata.name === "") throw invalidArgument("container metadata.name is empty", "metadata.name");
        if (typeof r.metadata.sandboxId !== "string" || r.metadata.sandboxId === "") {
          throw invalidArgument("container metadata.sandboxId is empty", "metadata.sandboxId");
        }
        for (const f of TIMESTAMPS) checkTimestamp(r.status[f], f);
        if (r.status.createdAt === 0n) throw invalidArgument("container status.createdAt is not set", "status.createdAt");
      },
      checkTransition: (prev, next) => {
        const id = prev.id;
        const was = prev.status;
        for (const f of TIMESTAMPS) checkTimestamp(next[f], f);
        if (next.createdAt !== was.createdAt) throw refuse(id, "createdAt cannot change", "createdAt");
        if (was.startedAt !== 0n && next.startedAt !== was.startedAt) throw refuse(id, "startedAt is already set", "startedAt");
        if (was.finishedAt !== 0n && next.finishedAt !== was.finishedAt) throw refuse(id, "finishedAt is already set", "finishedAt");
        if (was.startedAt === 0n && next.startedAt !== 0n && was.finishedAt !== 0n) {
          throw refuse(id, "the container has exited and cannot start again", "startedAt");
        }
      },
    });
  }

  /** The containers of one pod sandbox, ordered by creation time. */
  listBySandbox(sandboxId: string): ContainerRecord[] {
    return this.listByGroup(sandboxId);
  }
}
