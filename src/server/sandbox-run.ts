/**
 * RunPodSandbox, step by step (each step pushes its undo):
 *
 * validate (metadata, run_as_group without a user, a hostname of at most
 * 64 bytes, an absolute log directory, runtime handler) → claim a late
 * result or reserve the name → the intent written (see `intents.ts`) → netns (unless host network) → CNI ADD
 * (unless host network), the sandbox through its handler's controller
 * (`infra`: catatonit holds PID/IPC/UTS; `pinned`: bind-mounted IPC/UTS
 * namespaces, no process) and the pod's shm tmpfs (unless host IPC), at
 * the same time → hostname, hosts, resolv.conf in the sandbox dir → log
 * directory → record written → intent deleted → READY. On failure the undo steps run newest
 * first under their own time limit and the name is released.
 *
 * Mode `auto` picks `pinned` (infra-less) unless the pod shares one PID
 * namespace (`namespace_options.pid == POD`), where catatonit must reap.
 *
 * @packageDocumentation
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { ContainerEventType, NamespaceMode, RunPodSandboxRequestSchema, type PodSandboxConfig, type RunPodSandboxRequest, type RunPodSandboxResponseSchema } from "../cri.js";
import { invalidArgument } from "../errors.js";
import { makeSandboxName, validateSandboxMetadata } from "../naming/index.js";
import { mountPodShm, unmountPodShm, type SandboxHandle, type SandboxMode } from "../sandbox/index.js";
import { buildHostnameFile, buildHostsFile, buildResolvConf, cgroupsPath, legacySecurityProfile, podHostname } from "../spec/index.js";
import { newSandboxStatus, type SandboxRuntimeFacts } from "../stores/index.js";
import { observed } from "./hooks.js";
import { claimOrCreate, fingerprint } from "./late-create.js";
import { publish } from "./object-status.js";
import { saveSandbox } from "./record-codec.js";
import { removeSandboxNow } from "./sandbox-stop-remove.js";
import { crashPoint } from "../crash-points.js";
import { createUnderIntent, type SandboxCreateIntent } from "./intents.js";
import { checkReady, handlerOf, resolveHandler, workSignal, type CallContext, type ServiceContext } from "./service-context.js";
import { allOrFirstFailure, errMessage, Undo } from "./undo.js";
import { reserveName } from "./user-errors.js";

/** Checks what RunPodSandbox refuses before anything is made. */
function validate(cfg: PodSandboxConfig): void {
  validateSandboxMetadata(cfg.metadata);
  const sc = cfg.linux?.securityContext;
  if (sc?.runAsGroup !== undefined && sc.runAsUser === undefined) {
    throw invalidArgument("config.linux.security_context.run_as_group is set without run_as_user", "config.linux.security_context.run_as_group");
  }
  if (Buffer.byteLength(cfg.hostname) > 64) {
    throw invalidArgument(
      `config.hostname is ${Buffer.byteLength(cfg.hostname)} bytes long; Linux allows at most 64: shorten it, or leave it empty to use the node's hostname`,
      "config.hostname",
    );
  }
  // The pod-level profiles are not applied (the infra process has a fixed, minimal one); the forms are checked alike.
  legacySecurityProfile(sc?.seccompProfilePath ?? "", "config.linux.security_context.seccomp_profile_path");
  if (cfg.logDirectory !== "" && !cfg.logDirectory.startsWith("/")) {
    throw invalidArgument(`config.log_directory ${JSON.stringify(cfg.logDirectory)} must be an absolute path (or empty: no pod log directory)`, "config.log_directory");
  }
}

/** RunPodSandbox (see the file header). */
export async function runPodSandbox(c: ServiceContext, req: RunPodSandboxRequest, call: CallContext = {}): Promise<MessageInitShape<typeof RunPodSandboxResponseSchema>> {
  checkReady(c);
  const cfg = req.config;
  if (cfg === undefined) throw invalidArgument("config is missing", "config");
  validate(cfg);
  const handler = resolveHandler(c, req.runtimeHandler);
  const name = makeSandboxName(cfg.metadata as NonNullable<typeof cfg.metadata>);
  const late = { key: `sandbox:${name}`, fp: fingerprint(toJson(RunPodSandboxRequestSchema, req)) };
  const id = await claimOrCreate(c, call, {
    ...late,
    late: c.lateSandboxes,
    work: () => runSandbox(c, name, cfg, req.runtimeHandler, handler, late),
    cleanup: (sid) => removeSandboxNow(c, sid, AbortSignal.timeout(c.rollbackTimeoutMs)),
  });
  return { podSandboxId: id };
}

/** The sandbox mode of a pod (see the file header). */
function sandboxMode(c: ServiceContext, cfg: PodSandboxConfig): SandboxMode {
  const m = c.config.sandbox_mode;
  if (m === "infra") return "infra";
  if (m === "infra-less") return "pinned";
  return (cfg.linux?.securityContext?.namespaceOptions?.pid ?? NamespaceMode.POD) === NamespaceMode.POD ? "infra" : "pinned";
}

async function runSandbox(c: ServiceContext, name: string, cfg: PodSandboxConfig, requestedHandler: string, handler: string, late: { key: string; fp: string }): Promise<string> {
  const id = c.ids.newId();
  reserveName(c.sandboxNames, name, id, "pod sandbox");
  const undo = new Undo();
  undo.push("release name", async () => c.sandboxNames.release(name));
  const mode = sandboxMode(c, cfg);
  const log = { id, name, mode, handler };
  const hostNetwork = cfg.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;
  // Every name the steps give the host derives from the ID: one intent, written before the first, covers them all.
  const intent: SandboxCreateIntent = { op: "RunPodSandbox", id, ...late, handler, mode, dir: c.dirs.sandboxStateDir(id), netnsName: hostNetwork ? "" : `crikit-${id.slice(0, 32)}` };
  try {
    return await observed(c, { step: "RunPodSandbox", sandboxId: id, handler }, async () => {
      return await createUnderIntent(c, intent, undo, () => setUp(c, intent, name, cfg, requestedHandler, undo));
    });
  } catch (err) {
    c.log.warn({ ...log, err: errMessage(err) }, "RunPodSandbox failed; rolling back");
    await undo.run(c.rollbackTimeoutMs, c.log, log);
    throw err;
  }
}

async function setUp(c: ServiceContext, intent: SandboxCreateIntent, name: string, cfg: PodSandboxConfig, requestedHandler: string, undo: Undo): Promise<string> {
  const { id, handler, mode, dir } = intent;
  const signal = workSignal(c);
  const h = handlerOf(c, handler);
  const ns = cfg.linux?.securityContext?.namespaceOptions;
  const hostNetwork = intent.netnsName === "";
  // The netns is created first (the pod network and the sandbox are set up
  // in it); the shm does not wait for it.
  const netns = hostNetwork
    ? Promise.resolve("")
    : c.network.createNetns(intent.netnsName, { signal }).then((path) => {
        undo.push("remove netns", (s) => c.network.removeNetns(path, { signal: s }));
        crashPoint("RunPodSandbox.after-netns");
        return path;
      });
  const meta = cfg.metadata as NonNullable<typeof cfg.metadata>;
  // No hostname in the config (crictl's minimal pod.json): the node's, as
  // containerd and CRI-O do; never the pod name, which may pass 64 bytes.
  const nodeHostname = c.env.nodeHostname();
  const hostname = hostNetwork ? nodeHostname : podHostname(cfg, nodeHostname);
  undo.push("remove sandbox dir", () => rm(dir, { recursive: true, force: true }));
  const dirs = Promise.all([mkdir(dir, { recursive: true }), cfg.logDirectory !== "" ? mkdir(cfg.logDirectory, { recursive: true }) : undefined]);
  const dns = cfg.dnsConfig ? { servers: cfg.dnsConfig.servers, searches: cfg.dnsConfig.searches, options: cfg.dnsConfig.options } : undefined;
  // The pod network (CNI ADD into the pinned netns), the sandbox and the shm
  // do not depend on each other: set them up at the same time.
  const inNetns = Promise.all([netns, dirs]).then(([path]) => path);
  const network = hostNetwork
    ? Promise.resolve<readonly string[]>([])
    : (async () => {
        const netnsPath = await inNetns;
        const portMappings = cfg.portMappings.map((p) => ({ protocol: p.protocol, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp }));
        const req = { id, name: meta.name, namespace: meta.namespace, uid: meta.uid, netnsPath, portMappings, annotations: cfg.annotations, ...(dns ? { dns } : {}) };
        const setup = await c.network.setUpPod(req, { signal });
        undo.push("CNI teardown", (sg) => c.network.tearDownPod({ id, netnsPath }, { signal: sg }));
        crashPoint("RunPodSandbox.after-cni-add");
        return setup.ips;
      })();
  const sandbox = (async () => {
    const netnsPath = await inNetns;
    const handle = await h.sandboxes.start(
      {
        id,
        dir,
        mode,
        ...(hostNetwork ? { netns: "host" } : { netns: netnsPath, hostname }),
        ...(cfg.linux?.cgroupParent ? { cgroupParent: cfg.linux.cgroupParent, cgroupsPath: cgroupsPath(h.cgroupDriver, cfg.linux.cgroupParent, id) } : {}),
        catatonitPath: c.config.pause_binary,
        // The infra container's spec: the pod's config and the host facts, as for its containers.
        spec: {
          config: cfg,
          cgroupDriver: h.cgroupDriver,
          restrictOomScoreAdj: c.config.restrict_oom_score_adj,
          currentOomScoreAdj: c.env.oomScoreAdj,
          hostCapabilities: c.env.hostCapabilities,
          host: c.env.host,
          nodeHostname,
          podAnnotationPatterns: h.podAnnotations,
        },
      },
      { signal },
    );
    undo.push("remove sandbox", async (sg) => {
      await h.sandboxes.stop(handle, { signal: sg }).catch(() => undefined);
      // The shm lives in the sandbox dir that the controller's remove deletes.
      await unmountPodShm(join(dir, "shm"), { signal: sg });
      await h.sandboxes.remove(handle, { signal: sg });
    });
    crashPoint("RunPodSandbox.after-sandbox-start");
    return handle;
  })();
  // The pod's /dev/shm, shared by its containers (containerd's and CRI-O's
  // behaviour); a pod in the host IPC namespace uses the host's.
  const shmPath = ns?.ipc === NamespaceMode.NODE ? undefined : join(dir, "shm");
  const shm =
    shmPath === undefined
      ? Promise.resolve()
      : dirs.then(() => mountPodShm(shmPath, c.config.shm_size, { signal })).finally(() => undo.push("unmount shm", (sg) => unmountPodShm(shmPath, { signal: sg })));
  const [ips, handle, , netnsPath] = await allOrFirstFailure<[readonly string[], SandboxHandle, void, string]>([network, sandbox, shm, netns]);
  const filesDir = join(dir, "files");
  await mkdir(filesDir, { recursive: true });
  const files = { ...(shmPath !== undefined ? { shmPath } : {}), hostnamePath: join(filesDir, "hostname"), hostsPath: join(filesDir, "hosts"), resolvConfPath: join(filesDir, "resolv.conf") };
  const resolv = buildResolvConf(dns);
  await Promise.all([
    writeFile(files.hostnamePath, buildHostnameFile(hostname)),
    hostNetwork
      ? readFile("/etc/hosts").catch(() => buildHostsFile()).then((t) => writeFile(files.hostsPath, t))
      : writeFile(files.hostsPath, buildHostsFile({ hostname, podIps: ips })),
    (resolv !== undefined ? Promise.resolve(resolv) : readFile("/etc/resolv.conf").catch(() => "")).then((t) => writeFile(files.resolvConfPath, t)),
  ]);
  crashPoint("RunPodSandbox.after-files");
  const now = c.clock.nowNs();
  // The mode the controller reports (a handler may decide otherwise than asked: wasi's is always pinned).
  const runtime: SandboxRuntimeFacts = { handler, mode: handle.mode, handle, hostNetwork, netnsPath, files };
  c.sandboxes.add(
    id,
    { name, config: cfg, runtimeHandler: requestedHandler, runtime },
    newSandboxStatus(now, { readyAt: now, pid: handle.infraPid ?? 0, netnsPath, ip: ips[0] ?? "", additionalIps: ips.slice(1), networkDown: hostNetwork }),
  );
  undo.push("forget sandbox", async () => {
    c.sandboxes.delete(id);
    await c.records.sandboxes.delete(id);
  });
  await saveSandbox(c, id);
  crashPoint("RunPodSandbox.after-record");
  c.log.info({ id, name, mode: handle.mode, handler, ip: ips[0] ?? "" }, "pod sandbox ready");
  publish(c, id, ContainerEventType.CONTAINER_CREATED_EVENT, id);
  publish(c, id, ContainerEventType.CONTAINER_STARTED_EVENT, id);
  return id;
}
