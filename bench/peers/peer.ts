/**
 * What the workloads see of a daemon under test: its CRI client, its pid,
 * how to find its per-container monitors, how to drop an image with its
 * content, and how to stop it and remove everything it created.
 */
import type { CriClient } from "../../test/helpers/cri-client.js";

/** The two kinds of daemon compared. */
export type PeerKind = "crikitd" | "containerd";

/** A running daemon under test. */
export interface Peer {
  /** Label in tables, e.g. "crikitd infra-less" or "containerd 1.6". */
  readonly label: string;
  readonly kind: PeerKind;
  readonly socket: string;
  readonly pid: number;
  readonly client: CriClient;
  /** The temp directory holding the daemon's root, state and logs. */
  readonly dir: string;
  /** cgroup parent the workloads put their pods under. */
  readonly cgroupParent: string;
  /** pids of the per-container monitors (conmon, containerd-shim-runc-v2) now alive. */
  monitorPids(): Promise<number[]>;
  /** Remove an image through the CRI (and let the daemon's GC drop its blobs and snapshots). */
  dropImage(ref: string): Promise<void>;
  /** Bytes of image content and unpacked layers on disk, to check that a drop really emptied the cache. */
  cacheBytes(): Promise<number>;
  /** Remove all pods through the CRI, stop the daemon by pid, remove what it created. Returns problems. */
  stop(): Promise<string[]>;
}
