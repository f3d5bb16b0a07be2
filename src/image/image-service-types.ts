/**
 * The options and results of `ImageService`, and the spec-relevant parts of
 * an image config.
 *
 * @packageDocumentation
 */
import type { ImageRecord } from "./image-records.js";
import type { ImageConfigFile, Platform } from "./media-types.js";
import type { ImageLogger, PullProgress, RegistryAuth, RegistryClient, RegistryClientOptions } from "./registry-client.js";

/**
 * Options of {@link ImageService}.
 *
 * @public
 */
export interface ImageServiceOptions {
  /** Root directory for content, snapshots and records. */
  root: string;
  /**
   * The registry client, or options to build one.
   * @defaultValue a client with default options
   */
  registry?: RegistryClient | RegistryClientOptions;
  /**
   * The platform to select from multi-platform images.
   * @defaultValue {@link hostPlatform}()
   */
  platform?: Platform;
  /**
   * Time limit of one pull in ms; 0 for none.
   * @defaultValue `0`
   */
  pullTimeoutMs?: number;
  /**
   * References (or IDs) of images that are pinned when pulled (the sandbox image).
   * @defaultValue `[]`
   */
  pinnedImages?: string[];
  /**
   * Image IDs that containers use; their snapshots are never collected.
   * @defaultValue none
   */
  inUse?: () => Iterable<string>;
  /**
   * How long an {@link ImageService.fsInfo} measurement is reused, in ms (0: measure every time).
   * @defaultValue `5000`
   */
  fsInfoCacheMs?: number;
  /**
   * Parallel layer downloads per pull.
   * @defaultValue `3`
   */
  maxConcurrentDownloads?: number;
  /**
   * Unpack layers in a worker thread (same checks, off the caller's event
   * loop; the worker ends after 10 s idle). `false` unpacks on the main thread.
   * @defaultValue `true`
   */
  unpackInWorker?: boolean;
  /** Logger; silent by default. */
  logger?: ImageLogger;
}

/**
 * Options of {@link ImageService.pull}.
 *
 * @public
 */
export interface PullOptions {
  /**
   * Registry credentials (the CRI `PullImageRequest.auth`); anonymous when
   * omitted. A call that joins a running pull of the same reference uses
   * that pull's credentials.
   */
  auth?: RegistryAuth;
  /**
   * Cancels the pull (together with `pullTimeoutMs`). A call that joins a
   * running pull of the same reference waits on that pull's signal.
   */
  signal?: AbortSignal;
  /** Called as blobs download. */
  onProgress?: (p: PullProgress) => void;
  /** Pin the image. */
  pinned?: boolean;
}

/**
 * What {@link ImageService.pull} returns.
 *
 * @public
 */
export interface PullResult {
  /** The image ID (config digest); the CRI `image_ref`. */
  imageRef: string;
  /** The stored record of the pulled image. */
  image: ImageRecord;
}

/**
 * The parts of the image config that container spec generation uses.
 *
 * @public
 */
export interface ImageSpecConfig {
  /** The image's `User` (`name`, `uid`, with optional `:group`), or "" when it sets none. */
  user: string;
  /** The image's `Env` entries, `NAME=value`; `[]` when it sets none. */
  env: string[];
  /** The image's `Entrypoint`; `[]` when it sets none. */
  entrypoint: string[];
  /** The image's `Cmd`; `[]` when it sets none. */
  cmd: string[];
  /** The image's `WorkingDir`, or "" when it sets none. */
  workingDir: string;
  /** Volume paths. */
  volumes: string[];
  /** The image's `Labels`; `{}` when it sets none. */
  labels: Record<string, string>;
  /** For instance `SIGTERM`, or "" when the image sets none. */
  stopSignal: string;
  /** Exposed ports as `port/proto` (`80/tcp`), sorted; `[]` when none. */
  exposedPorts: string[];
}

/**
 * Image filesystem usage, as CRI `ImageFsInfo` wants it.
 *
 * @public
 */
export interface ImageFsUsage {
  /** The directory that holds the images. */
  mountpoint: string;
  /** Bytes used by content, snapshots and records (`du -B1`); the CRI `used_bytes`. */
  usedBytes: number;
  /** Inodes used by content, snapshots and records (`du --inodes`); the CRI `inodes_used`. */
  inodesUsed: number;
  /** ms since the epoch. */
  timestamp: number;
}

/**
 * The spec-relevant parts of an image config, with empty defaults.
 *
 * @public
 */
export function imageSpecConfig(config: ImageConfigFile): ImageSpecConfig {
  const c = config.config ?? {};
  return {
    user: c.User ?? "",
    env: c.Env ?? [],
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    workingDir: c.WorkingDir ?? "",
    volumes: Object.keys(c.Volumes ?? {}).sort(),
    labels: c.Labels ?? {},
    stopSignal: c.StopSignal ?? "",
    exposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
  };
}
