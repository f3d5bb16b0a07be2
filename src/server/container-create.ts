/**
 * CreateContainer, step by step (each step pushes its undo): validate
 * (metadata, a ready pod, run_as_group without a user, CDI devices, a PID
 * namespace target, the image pulled, a runtime handler that is the pod's)
 * → claim a late result or reserve the name → the intent written (see
 * `intents.ts`) → bundle and writable layer →
 * rootfs mounted from the image → spec generated, adjusted by the hooks,
 * written → the runtime's optional check → record written, the container
 * awaiting its runtime → intent
 * deleted. The runtime creates it at StartContainer (`runtime-create.ts`),
 * as containerd creates its task there: a create runs no process of the
 * runtime's, and a container that never starts never costs one.
 *
 * @packageDocumentation
 */
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { create, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import {
  ContainerEventType,
  CreateContainerRequestSchema,
  NamespaceMode,
  type ContainerConfig,
  type CreateContainerRequest,
  type CreateContainerResponseSchema,
  type PodSandboxConfig,
} from "../cri.js";
import { invalidArgument, notFound, type CrikitError } from "../errors.js";
import type { ImageRecord } from "../image/index.js";
import { makeContainerName, validateContainerMetadata } from "../naming/index.js";
import { stringifyExactJson, validateTargetContainer, type ImageConfigInput } from "../spec/index.js";
import { resourcesFromSpec } from "../status/index.js";
import { newContainerStatus, sandboxState, type ContainerRuntimeFacts, type SandboxRecord } from "../stores/index.js";
import { criContainerState, containerImageNames, signalName } from "./cri-convert.js";
import { containerSpec } from "./container-spec.js";
import { removeContainerNow } from "./container-remove.js";
import { adjustContainerSpec, observed } from "./hooks.js";
import { claimOrCreate, fingerprint } from "./late-create.js";
import { publish } from "./object-status.js";
import { saveContainer } from "./record-codec.js";
import { crashPoint } from "../crash-points.js";
import { createInput } from "./runtime-create.js";
import { createUnderIntent, type ContainerCreateIntent } from "./intents.js";
import { checkReady, findSandbox, handlerOf, visible, workSignal, type CallContext, type ServiceContext } from "./service-context.js";
import { errMessage, Undo } from "./undo.js";
import { reserveName, sandboxNotReady } from "./user-errors.js";

/** Checks what CreateContainer refuses before anything is made. */
function validate(c: ServiceContext, sb: SandboxRecord, cfg: ContainerConfig): void {
  validateContainerMetadata(cfg.metadata);
  if (sandboxState(sb.status) !== "READY") throw sandboxNotReady(sb.id);
  const sc = cfg.linux?.securityContext;
  if (sc?.runAsGroup !== undefined && sc.runAsUser === undefined && (sc.runAsUsername ?? "") === "") {
    throw invalidArgument("config.linux.security_context.run_as_group is set without run_as_user or run_as_username", "config.linux.security_context.run_as_group");
  }
  if (cfg.CDIDevices.length > 0) {
    throw invalidArgument(
      `config.CDI_devices names ${cfg.CDIDevices.map((d) => JSON.stringify(d.name)).join(", ")}, but crikit does not resolve CDI devices: pass the device nodes in config.devices instead`,
      "config.CDI_devices",
    );
  }
  const ns = sc?.namespaceOptions;
  if (ns?.pid === NamespaceMode.TARGET) {
    const field = "config.linux.security_context.namespace_options.target_id";
    if (ns.targetId === "") throw invalidArgument(`namespace_options.pid is TARGET but ${field} is empty: set it to the ID of a running container of the same pod`, field);
    targetContainer(c, sb.id, ns.targetId);
  }
  // A pod's containers all run under the pod's handler: a pod never mixes handlers.
  const wanted = cfg.image?.runtimeHandler ?? "";
  const own = sb.metadata.runtime?.handler ?? "";
  if (wanted !== "" && wanted !== own) {
    throw invalidArgument(
      `config.image.runtime_handler ${JSON.stringify(wanted)} is not the pod's runtime handler ${JSON.stringify(own)}: a pod's containers all run under its handler; leave it empty, or run the container in a pod of handler ${JSON.stringify(wanted)}`,
      "config.image.runtime_handler",
    );
  }
}

/** The running container of pod `sandboxId` whose PID namespace a TARGET container joins; throws what to do otherwise. */
export function targetContainer(c: ServiceContext, sandboxId: string, targetId: string): { id: string; pid: number } {
  const t = c.containers.find(targetId);
  const found =
    t === undefined || !visible(t) ? undefined : { id: t.id, sandboxId: t.metadata.sandboxId, state: criContainerState(t), pid: t.status.pid > 0 ? t.status.pid : (t.metadata.runtime?.pid ?? 0) };
  const ok = validateTargetContainer(sandboxId, found, targetId);
  return { id: ok.id, pid: ok.pid ?? 0 };
}

/** CreateContainer (see the file header). */
export async function createContainer(c: ServiceContext, req: CreateContainerRequest, call: CallContext = {}): Promise<MessageInitShape<typeof CreateContainerResponseSchema>> {
  checkReady(c);
  const sb = findSandbox(c, req.podSandboxId);
  const cfg = req.config;
  if (cfg === undefined) throw invalidArgument("config is missing", "config");
  validate(c, sb, cfg);
  const imageRef = cfg.image?.image ?? "";
  if (imageRef === "") throw invalidArgument("config.image.image is empty", "config.image.image");
  const image = await c.images.status(imageRef);
  if (image === undefined) throw notFound(`image ${JSON.stringify(imageRef)} not found; pull it first`);
  const name = makeContainerName(cfg.metadata as NonNullable<typeof cfg.metadata>, sb.metadata.config.metadata as NonNullable<PodSandboxConfig["metadata"]>);
  const late = { key: `container:${name}`, fp: fingerprint(toJson(CreateContainerRequestSchema, create(CreateContainerRequestSchema, { podSandboxId: sb.id, config: cfg }))) };
  const id = await claimOrCreate(c, call, {
    ...late,
    late: c.lateContainers,
    work: () => createNow(c, name, sb, cfg, image, late),
    cleanup: (cid) => removeContainerNow(c, cid, AbortSignal.timeout(c.rollbackTimeoutMs)),
  });
  return { containerId: id };
}

async function createNow(c: ServiceContext, name: string, sb: SandboxRecord, cfg: ContainerConfig, image: ImageRecord, late: { key: string; fp: string }): Promise<string> {
  const x = sb.metadata.runtime;
  if (x === undefined) throw notFound(`pod sandbox ${JSON.stringify(sb.id)} not found`);
  const id = c.ids.newId();
  reserveName(c.containerNames, name, id, "container");
  const undo = new Undo();
  undo.push("release name", async () => c.containerNames.release(name));
  const log = { id, name, sandboxId: sb.id };
  try {
    return await observed(c, { step: "CreateContainer", sandboxId: sb.id, containerId: id, handler: x.handler }, async () => {
      // The bundle, rootfs mount point, writable layer and runtime container all derive from the ID: one intent covers every step.
      const intent: ContainerCreateIntent = { op: "CreateContainer", id, ...late, handler: x.handler, bundle: c.dirs.containerStateDir(id), rwDir: c.dirs.containerRootDir(id) };
      return await createUnderIntent(c, intent, undo, () => build(c, id, name, sb, cfg, image, undo));
    });
  } catch (err) {
    c.log.warn({ ...log, err: errMessage(err) }, "CreateContainer failed; rolling back");
    await undo.run(c.rollbackTimeoutMs, c.log, log);
    throw err;
  }
}

async function build(c: ServiceContext, id: string, name: string, sb: SandboxRecord, cfg: ContainerConfig, image: ImageRecord, undo: Undo): Promise<string> {
  const x = sb.metadata.runtime as NonNullable<SandboxRecord["metadata"]["runtime"]>;
  const h = handlerOf(c, x.handler);
  const signal = workSignal(c);
  const bundle = c.dirs.containerStateDir(id);
  const rwDir = c.dirs.containerRootDir(id);
  const rootfs = join(bundle, "rootfs");
  await mkdir(rootfs, { recursive: true });
  undo.push("remove bundle", () => rm(bundle, { recursive: true, force: true }));
  await mkdir(join(rwDir, "upper"), { recursive: true });
  await mkdir(join(rwDir, "work"), { recursive: true });
  undo.push("remove writable layer", () => rm(rwDir, { recursive: true, force: true }));
  await c.images.mountRootfs(image.id, rootfs, { upperDir: join(rwDir, "upper"), workDir: join(rwDir, "work"), signal });
  undo.push("unmount rootfs", (s) => c.images.unmountRootfs(rootfs, { signal: s }));
  crashPoint("CreateContainer.after-rootfs-mount");
  const ns = cfg.linux?.securityContext?.namespaceOptions;
  const targetPid = ns?.pid === NamespaceMode.TARGET && ns.targetId !== "" ? targetContainer(c, sb.id, ns.targetId).pid : undefined;
  const sbCfg = sb.metadata.config as PodSandboxConfig;
  const names = containerImageNames(cfg.image?.image ?? "", cfg.image?.userSpecifiedImage ?? "", image);
  const spec = containerSpec(c, {
    id,
    sandbox: sb,
    config: cfg,
    rootfs,
    rwDir,
    imageConfig: (image.config.config ?? {}) as ImageConfigInput,
    imageName: names.image,
    targetPid,
    handler: h,
  });
  await adjustContainerSpec(c, spec, { id, sandboxId: sb.id, handler: x.handler, config: cfg, sandboxConfig: sbCfg });
  await writeFile(join(bundle, "config.json"), stringifyExactJson(spec));
  crashPoint("CreateContainer.after-spec");
  const logPath = sbCfg.logDirectory !== "" && cfg.logPath !== "" ? join(sbCfg.logDirectory, cfg.logPath) : "";
  const logFile = logPath !== "" ? logPath : join(bundle, "container.log");
  await prepareLogFile(logFile, cfg.logPath);
  const u = spec.process?.user;
  const runtime: ContainerRuntimeFacts = {
    handler: x.handler,
    bundle,
    rwDir,
    logFile,
    imageName: names.image,
    imageRepoDigest: names.imageRef,
    stopSignal: signalName(cfg.stopSignal) ?? (image.config.config?.StopSignal || "SIGTERM"),
    user: u ? { uid: u.uid ?? 0, gid: u.gid ?? 0, additionalGids: [...(u.additionalGids ?? [])] } : undefined,
    pid: 0,
  };
  await h.runtime.check?.(createInput(id, sb.id, cfg, runtime, spec), { signal });
  const resources = resourcesFromSpec(spec);
  c.containers.add(
    id,
    { name, sandboxId: sb.id, config: cfg, imageRef: image.id, logPath, runtime },
    newContainerStatus(c.clock.nowNs(), { awaitingRuntime: true, ...(resources ? { resources } : {}) }),
  );
  undo.push("forget container", async () => {
    c.containers.delete(id);
    await c.records.containers.delete(id);
  });
  await saveContainer(c, id);
  crashPoint("CreateContainer.after-record");
  c.log.info({ id, name, sandboxId: sb.id }, "container created");
  publish(c, id, ContainerEventType.CONTAINER_CREATED_EVENT, sb.id);
  return id;
}

/**
 * Makes the log file's directory; a log path that names a directory, or
 * runs through a file, is the request's fault: InvalidArgument, not the
 * Unknown of conmon failing to open it.
 */
async function prepareLogFile(logFile: string, requested: string): Promise<void> {
  const refuse = (why: string): CrikitError =>
    invalidArgument(`config.log_path ${JSON.stringify(requested)} ${why} (${logFile}); accepted: a file path inside the pod's log_directory`, "config.log_path");
  try {
    await mkdir(dirname(logFile), { recursive: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTDIR" || code === "EEXIST") throw refuse("runs through a file");
    if (code === "ENAMETOOLONG") throw refuse("is too long for the file system");
    throw err;
  }
  if ((await stat(logFile).catch(() => undefined))?.isDirectory()) throw refuse("names a directory");
}
