/**
 * What the OCI adapter does through a container's conmon: create the
 * container (conmon runs the runtime's `create` and then monitors it), and
 * reopen its log through conmon's control fifo.
 *
 * @packageDocumentation
 */
import { constants as fsConstants, open, rm } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { CrikitError, failedPrecondition, invalidArgument } from "../errors.js";
import { execFifoRoot, inspectBundle } from "./bundle-facts.js";
import { buildConmonArgs, runConmon } from "./conmon.js";
import { pause } from "./container-control.js";
import { exists, validContainerId, type ContainerStateDir } from "./container-state.js";
import type { ContainerMeta, OciCreateContainerInput, OciRuntimeOptions } from "./oci-runtime-types.js";
import { isAlive } from "./proc.js";
import type { RuntimeCli } from "./runtime-cli.js";

/** The adapter's parts that creates and execs run with. */
export interface AdapterParts {
  readonly cli: RuntimeCli;
  readonly state: ContainerStateDir;
  readonly options: OciRuntimeOptions;
  readonly runtimePath: () => Promise<string>;
  readonly conmonPath: () => Promise<string>;
}

/** InvalidArgument for an ID the state directory cannot hold or a relative bundle or log path. */
export function checkCreateInput(input: OciCreateContainerInput): void {
  if (!validContainerId(input.id)) throw invalidArgument(`container id "${input.id}" is not valid: use letters, digits, "_", "." and "-"`, "id");
  if (!isAbsolute(input.bundle)) throw invalidArgument("bundle must be an absolute path", "bundle");
  if (!isAbsolute(input.logPath)) throw invalidArgument("log_path must resolve to an absolute path", "logPath");
}

/**
 * Creates the container in its (new) state directory `dir`: conmon runs the
 * runtime's `create`; resolves with the metadata written once the container
 * is `created`. Rolling back a failure is the caller's.
 */
export async function createUnderConmon(x: AdapterParts, input: OciCreateContainerInput, dir: string, signal: AbortSignal): Promise<ContainerMeta> {
  const o = x.options;
  const [facts, runtimePath, conmonPath] = await Promise.all([inspectBundle(input.bundle, o.logger), x.runtimePath(), x.conmonPath(), rm(x.state.exitFile(input.id), { force: true })]);
  const args = buildConmonArgs({
    id: input.id,
    ...(input.name !== undefined ? { name: input.name } : {}),
    runtimePath,
    runtimeArgs: x.cli.globalArgs,
    bundle: input.bundle,
    containerPidFile: join(dir, "pid"),
    conmonPidFile: join(dir, "conmon.pid"),
    logPath: input.logPath,
    exitDir: x.state.exitsDir,
    socketDir: x.state.socketsDir,
    persistDir: dir,
    ...(input.terminal !== undefined ? { terminal: input.terminal } : {}),
    ...(input.stdin !== undefined ? { stdin: input.stdin } : {}),
    ...(input.leaveStdinOpen !== undefined ? { leaveStdinOpen: input.leaveStdinOpen } : {}),
    ...(input.logSizeMax !== undefined ? { logSizeMax: input.logSizeMax } : {}),
    ...(o.systemdCgroup !== undefined ? { systemdCgroup: o.systemdCgroup } : {}),
    ...(o.noPivotRoot === true ? { noPivot: true } : {}),
    ...(o.noNewKeyring === true ? { noNewKeyring: true } : {}),
    ...(o.conmonLogLevel !== undefined ? { logLevel: o.conmonLogLevel } : {}),
  });
  const { pid } = await runConmon(conmonPath, args, { timeoutMs: input.startTimeoutMs ?? o.startTimeoutMs ?? 60_000, signal, cwd: dir });
  const conmonPid = await x.state.conmonPid(input.id);
  const meta: ContainerMeta = {
    id: input.id,
    bundle: input.bundle,
    logPath: input.logPath,
    createdAt: new Date().toISOString(),
    pid,
    conmonPid: conmonPid ?? 0,
    labels: { ...(input.labels ?? {}) },
    ownPidNs: facts.ownPidNs,
  };
  if (execFifoRoot(runtimePath, o.runtimeRoot) !== undefined && !facts.hasPoststartHooks) meta.fifoStart = true;
  await x.state.writeMeta(meta);
  return meta;
}

/**
 * Asks conmon to reopen the container's log file (after the caller renamed
 * it for rotation): writes the "reopen logs" message (type 2) to conmon's
 * control fifo `BUNDLE/ctl`, then waits until the log file exists again.
 */
export async function reopenConmonLog(meta: ContainerMeta, signal: AbortSignal): Promise<void> {
  const id = meta.id;
  if (!(await isAlive(meta.conmonPid))) throw failedPrecondition(`container "${id}" has no running monitor to reopen its log`);
  let fh;
  try {
    fh = await open(join(meta.bundle, "ctl"), fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw failedPrecondition(`container "${id}" has no running monitor to reopen its log`, e);
  }
  try {
    await fh.write("2 0 0\n");
  } finally {
    await fh.close();
  }
  const until = Date.now() + 2000;
  while (!(await exists(meta.logPath))) {
    signal.throwIfAborted();
    if (Date.now() > until) throw new CrikitError("DeadlineExceeded", `conmon did not reopen the log of container "${id}"`);
    await pause(5, signal);
  }
}
