/**
 * The on-disk records of sandboxes and containers, and their codec to and
 * from the stores. One JSON file per object (`RecordDir`, written
 * atomically); the CRI configs in protobuf JSON; what the service knows of
 * how the object runs under `extra`, as earlier versions wrote it.
 *
 * @packageDocumentation
 */
import { create, fromJson, toJson, type JsonValue } from "@bufbuild/protobuf";
import { ContainerConfigSchema, ContainerStatusSchema, PodSandboxConfigSchema, type ContainerConfig, type PodSandboxConfig } from "../cri.js";
import type {
  ContainerMetadata,
  ContainerRuntimeFacts,
  ContainerStatus,
  ParkedResult,
  SandboxMetadata,
  SandboxRuntimeFacts,
  SandboxStatus,
} from "../stores/index.js";
import type { ServiceContext } from "./service-context.js";
import type { WriteOptions } from "./records.js";

/**
 * Where records are kept: `RecordDir` is one.
 *
 * @public
 */
export interface RecordStore<T> {
  /** Writes (replaces) a record; durably unless `options.durable` is false (see {@link WriteOptions}). */
  put(id: string, record: T, options?: WriteOptions): Promise<void>;
  /** Deletes a record; a missing one is fine. */
  delete(id: string): Promise<void>;
  /** Every readable record, by ID. */
  loadAll(onCorrupt?: (id: string, err: unknown) => void): Promise<Map<string, T>>;
}

/** On-disk sandbox record. @public */
export interface SandboxFileRecord {
  /** The sandbox's ID. */
  id: string;
  /** Its unique name. */
  name: string;
  /** Its RunPodSandbox config, protobuf JSON. */
  config: JsonValue;
  /** The handler the request named (`""`: the default). */
  runtimeHandler: string;
  /** Its runtime facts and the mutable bits of its status. */
  extra: SandboxRuntimeFacts & { networkDown: boolean; parked?: ParkedResult | undefined; podResources?: JsonValue | undefined };
  /** Its status. */
  status: Omit<SandboxStatus, "networkDown" | "parked" | "podResources">;
}

/** On-disk container record. @public */
export interface ContainerFileRecord {
  /** The container's ID. */
  id: string;
  /** Its unique name. */
  name: string;
  /** Its pod's ID. */
  sandboxId: string;
  /** Its CreateContainer config, protobuf JSON. */
  config: JsonValue;
  /** Its image's ID. */
  imageRef: string;
  /** Its CRI log path (`""`: none). */
  logPath: string;
  /** Its runtime facts and parked mark. */
  extra: ContainerRuntimeFacts & { parked?: ParkedResult | undefined };
  /** Its status; resources in protobuf JSON. */
  status: Omit<ContainerStatus, "resources" | "parked" | "starting" | "removing"> & { resources?: JsonValue; starting?: boolean; removing?: boolean };
}

/** Writes the sandbox's record from the store (nothing when it is gone or has no runtime facts). */
export async function saveSandbox(c: ServiceContext, id: string): Promise<void> {
  const r = c.sandboxes.find(id);
  if (r === undefined || r.id !== id || r.metadata.runtime === undefined) return;
  const { networkDown, parked, podResources, ...status } = r.status;
  await c.records.sandboxes.put(id, {
    id,
    name: r.metadata.name,
    config: toJson(PodSandboxConfigSchema, r.metadata.config as PodSandboxConfig),
    runtimeHandler: r.metadata.runtimeHandler,
    extra: {
      ...r.metadata.runtime,
      networkDown: networkDown ?? false,
      ...(parked !== undefined ? { parked } : {}),
      ...(podResources !== undefined ? { podResources: podResources as JsonValue } : {}),
    },
    status,
  });
}

/** Writes the container's record from the store. */
export async function saveContainer(c: ServiceContext, id: string): Promise<void> {
  const r = c.containers.find(id);
  if (r === undefined || r.id !== id || r.metadata.runtime === undefined) return;
  const { resources, parked, starting: _s, removing: _r, ...rest } = r.status;
  const res = resources ? (toJson(ContainerStatusSchema, create(ContainerStatusSchema, { resources })) as Record<string, JsonValue>)["resources"] : undefined;
  await c.records.containers.put(id, {
    id,
    name: r.metadata.name,
    sandboxId: r.metadata.sandboxId,
    config: toJson(ContainerConfigSchema, r.metadata.config as ContainerConfig),
    imageRef: r.metadata.imageRef,
    logPath: r.metadata.logPath,
    extra: { ...r.metadata.runtime, ...(parked !== undefined ? { parked } : {}) },
    status: { ...rest, ...(res !== undefined ? { resources: res } : {}) },
  });
}

/** A sandbox record as store metadata and status. */
export function decodeSandbox(r: SandboxFileRecord): { metadata: SandboxMetadata; status: SandboxStatus } {
  const { networkDown, parked, podResources, ...runtime } = r.extra;
  return {
    metadata: { name: r.name, config: fromJson(PodSandboxConfigSchema, r.config), runtimeHandler: r.runtimeHandler, runtime },
    status: {
      ...r.status,
      networkDown,
      ...(parked !== undefined ? { parked } : {}),
      ...(podResources !== undefined ? { podResources: podResources as SandboxStatus["podResources"] } : {}),
    },
  };
}

/** A container record as store metadata and status (not starting, not being removed). */
export function decodeContainer(r: ContainerFileRecord): { metadata: ContainerMetadata; status: ContainerStatus } {
  const { parked, ...runtime } = r.extra;
  const { resources, ...rest } = r.status;
  return {
    metadata: { name: r.name, sandboxId: r.sandboxId, config: fromJson(ContainerConfigSchema, r.config), imageRef: r.imageRef, logPath: r.logPath, runtime },
    status: {
      ...rest,
      ...(resources !== undefined ? { resources: fromJson(ContainerStatusSchema, { resources } as JsonValue).resources } : {}),
      ...(parked !== undefined ? { parked } : {}),
      starting: false,
      removing: false,
    },
  };
}
