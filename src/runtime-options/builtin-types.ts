/**
 * The built-in runtime option types, with containerd's names, field numbers
 * and type URLs.
 *
 * | runtime_type                                  | option message (type URL)            |
 * | --------------------------------------------- | ------------------------------------ |
 * | `io.containerd.runc.v1`, `io.containerd.runc.v2` | `containerd.runc.v1.Options`      |
 * | `io.containerd.runtime.v1.linux` (legacy)     | `containerd.linux.runc.RuncOptions`  |
 * | anything else                                 | `runtimeoptions.v1.Options`          |
 *
 * Sources (facts only): containerd `runtime/v2/runc/options/oci.proto`
 * (and its successor `api/types/runc/options/oci.proto`),
 * `runtime/linux/runctypes/runc.proto`, and
 * `api/types/runtimeoptions/v1/api.proto`. Type URLs are the bare message
 * full names, as containerd's typeurl package writes them for protobuf
 * messages (no `type.googleapis.com/` prefix).
 *
 * `criu_path` (field 8 of the runc options) was removed in containerd 2.0,
 * where the number is reserved; it is kept here because runc v1 shims and
 * containerd 1.x still read it, and newer shims ignore it. The legacy
 * `RuncOptions` has no `ShimDebug`: containerd reads that from its
 * `[plugins.linux]` section, not from the runtime's options.
 *
 * @packageDocumentation
 */
import type { Message } from "@bufbuild/protobuf";
import type { GenMessage } from "@bufbuild/protobuf/codegenv2";
import { flatMessageDesc } from "./descriptor-builder.js";

/**
 * Runtime types with a built-in option type.
 *
 * @public
 */
export const RuntimeType = {
  /** The runc shim v1 (containerd 1.x). */
  RuncV1: "io.containerd.runc.v1",
  /** The runc shim v2. */
  RuncV2: "io.containerd.runc.v2",
  /** The legacy containerd 1.0 Linux runtime. */
  LinuxV1: "io.containerd.runtime.v1.linux",
} as const;

/**
 * Type URLs of the built-in option messages.
 *
 * @public
 */
export const RuntimeOptionsTypeUrl = {
  Runc: "containerd.runc.v1.Options",
  LegacyRunc: "containerd.linux.runc.RuncOptions",
  Generic: "runtimeoptions.v1.Options",
} as const;

/**
 * Options of the runc shim (`containerd.runc.v1.Options`).
 *
 * @public
 */
export type RuncOptions = Message<"containerd.runc.v1.Options"> & {
  /** Disable pivot_root when creating a container (field 1, TOML `NoPivotRoot`). */
  noPivotRoot: boolean;
  /** Do not create a new session keyring (field 2, `NoNewKeyring`). */
  noNewKeyring: boolean;
  /** Cgroup to place the shim in (field 3, `ShimCgroup`). */
  shimCgroup: string;
  /** Uid owning the I/O pipes (field 4, `IoUid`). */
  ioUid: number;
  /** Gid owning the I/O pipes (field 5, `IoGid`). */
  ioGid: number;
  /** The runc binary (field 6, `BinaryName`). */
  binaryName: string;
  /** runc's state root (field 7, `Root`). */
  root: string;
  /** The criu binary (field 8, `CriuPath`; reserved since containerd 2.0). */
  criuPath: string;
  /** Use the systemd cgroup driver (field 9, `SystemdCgroup`). */
  systemdCgroup: boolean;
  /** Checkpoint image directory (field 10, `CriuImagePath`). */
  criuImagePath: string;
  /** Checkpoint work directory (field 11, `CriuWorkPath`). */
  criuWorkPath: string;
};

/**
 * Options of the legacy Linux runtime (`containerd.linux.runc.RuncOptions`).
 *
 * @public
 */
export type LegacyRuncOptions = Message<"containerd.linux.runc.RuncOptions"> & {
  /** The runc binary (field 1, TOML `Runtime`). */
  runtime: string;
  /** runc's state root (field 2, `RuntimeRoot`). */
  runtimeRoot: string;
  /** The criu binary (field 3, `CriuPath`). */
  criuPath: string;
  /** Use the systemd cgroup driver (field 4, `SystemdCgroup`). */
  systemdCgroup: boolean;
};

/**
 * Options passed to any other runtime (`runtimeoptions.v1.Options`).
 *
 * @public
 */
export type GenericRuntimeOptions = Message<"runtimeoptions.v1.Options"> & {
  /** The type of the content of the config file (field 1, TOML `TypeUrl`). */
  typeUrl: string;
  /** Path of the runtime's own config file (field 2, `ConfigPath`). */
  configPath: string;
  /** The whole options section as TOML, when there is no config path (field 3). */
  configBody: Uint8Array;
};

/**
 * Descriptor of {@link RuncOptions}.
 *
 * @public
 */
export const RuncOptionsSchema = flatMessageDesc("containerd.runc.v1", "Options", [
  { name: "no_pivot_root", number: 1, type: "bool" },
  { name: "no_new_keyring", number: 2, type: "bool" },
  { name: "shim_cgroup", number: 3, type: "string" },
  { name: "io_uid", number: 4, type: "uint32" },
  { name: "io_gid", number: 5, type: "uint32" },
  { name: "binary_name", number: 6, type: "string" },
  { name: "root", number: 7, type: "string" },
  { name: "criu_path", number: 8, type: "string" },
  { name: "systemd_cgroup", number: 9, type: "bool" },
  { name: "criu_image_path", number: 10, type: "string" },
  { name: "criu_work_path", number: 11, type: "string" },
]) as unknown as GenMessage<RuncOptions>;

/**
 * Descriptor of {@link LegacyRuncOptions}.
 *
 * @public
 */
export const LegacyRuncOptionsSchema = flatMessageDesc("containerd.linux.runc", "RuncOptions", [
  { name: "runtime", number: 1, type: "string" },
  { name: "runtime_root", number: 2, type: "string" },
  { name: "criu_path", number: 3, type: "string" },
  { name: "systemd_cgroup", number: 4, type: "bool" },
]) as unknown as GenMessage<LegacyRuncOptions>;

/**
 * Descriptor of {@link GenericRuntimeOptions}.
 *
 * @public
 */
export const GenericRuntimeOptionsSchema = flatMessageDesc("runtimeoptions.v1", "Options", [
  { name: "type_url", number: 1, type: "string" },
  { name: "config_path", number: 2, type: "string" },
  { name: "config_body", number: 3, type: "bytes" },
]) as unknown as GenMessage<GenericRuntimeOptions>;
