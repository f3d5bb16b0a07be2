/**
 * What the OCI adapter decides with the runtime CLI and the state
 * directory together: a container's status, stop (signal, grace period,
 * SIGKILL), quiet kill and delete, and the rollback of a failed create.
 *
 * Status: the exit file decides `exited`. A started container whose init is
 * still the live child of its conmon is running (or paused through us)
 * without asking the runtime, which costs a process per call. A container
 * with no exit file that the runtime no longer knows (or reports stopped
 * while its conmon is gone) has vanished: exited with code 255 and reason
 * `Unknown`, at the time first noticed.
 *
 * @packageDocumentation
 */
import { constants as osConstants } from "node:os";
import { setTimeout as delay } from "node:timers/promises";
import { CrikitError } from "../errors.js";
import type { ContainerStateDir } from "./container-state.js";
import { isLiveChildOf, signalChildOf } from "./fast-paths.js";
import type { Logger } from "../logger.js";
import type { ContainerMeta, OciContainerStatus, OciRecoveryResult } from "./oci-runtime-types.js";
import { isAlive, killQuietly, processesWithArgs } from "./proc.js";
import type { RuntimeCli } from "./runtime-cli.js";
import { isRuntimeCommandError } from "./runtime-command-error.js";

/** Status, stop, kill and delete of containers (see the file header). */
export class ContainerControl {
  readonly #cli: RuntimeCli;
  readonly #state: ContainerStateDir;

  constructor(cli: RuntimeCli, state: ContainerStateDir) {
    this.#cli = cli;
    this.#state = state;
  }

  /** The container's status (see the file header). */
  async status(meta: ContainerMeta, signal: AbortSignal | undefined): Promise<OciContainerStatus> {
    const base: OciContainerStatus = {
      id: meta.id,
      state: "created",
      pid: meta.pid,
      bundle: meta.bundle,
      logPath: meta.logPath,
      createdAt: new Date(meta.createdAt),
      labels: meta.labels,
    };
    if (meta.startedAt !== undefined) base.startedAt = new Date(meta.startedAt);
    const exited = await this.#state.readExit(meta.id);
    if (exited) return { ...base, ...exited, state: "exited" };
    if (meta.startedAt !== undefined && (await isLiveChildOf(meta.pid, meta.conmonPid))) {
      return { ...base, state: meta.paused === true ? "paused" : "running" };
    }
    let rs;
    try {
      rs = await this.#cli.state(meta.id, { signal });
    } catch (e) {
      if (!(isRuntimeCommandError(e) && e.kind === "NotFound")) throw e;
      rs = undefined;
    }
    if (rs && rs.status !== "stopped") {
      return { ...base, state: rs.status === "running" ? "running" : rs.status === "paused" ? "paused" : "created", pid: rs.pid || meta.pid };
    }
    // Stopped per the runtime, or unknown to it: conmon may still be writing the exit file.
    if (await isAlive(meta.conmonPid)) {
      if (await this.#state.waitExit(meta.id, 2000, signal)) {
        const ex = await this.#state.readExit(meta.id);
        if (ex) return { ...base, ...ex, state: "exited" };
      }
    }
    // conmon may have written the exit file and exited since the first look.
    const late = await this.#state.readExit(meta.id);
    if (late) return { ...base, ...late, state: "exited" };
    return { ...base, ...(await this.#state.vanished(meta.id)), state: "exited" };
  }

  /**
   * Signal, grace period, SIGKILL. The exit file decides; a container the
   * runtime does not know (or no longer runs) is left to `status` to report.
   */
  async stop(meta: ContainerMeta, timeoutMs: number, stopSignal: string, signal: AbortSignal): Promise<void> {
    const id = meta.id;
    if (await this.#state.readExit(id)) return;
    if (timeoutMs > 0) {
      if ((await this.#signalInit(meta, stopSignal, false, signal)) === "gone") return this.#settle(meta, signal);
      if (await this.#state.waitExit(id, timeoutMs, signal)) return;
    }
    if ((await this.#signalInit(meta, "SIGKILL", true, signal)) === "gone") return this.#settle(meta, signal);
    if (await this.#state.waitExit(id, 2000, signal)) return;
    // A paused (frozen) container takes SIGKILL only once thawed.
    await this.#cli.resume(id, { signal }).catch(() => undefined);
    if (await this.#state.waitExit(id, 8000, signal)) return;
    const st = await this.status(meta, signal);
    if (st.state !== "exited") throw new CrikitError("DeadlineExceeded", `container "${id}" did not exit after SIGKILL`, { details: { id } });
  }

  /** The runtime says the container is not running: let conmon finish its exit file (or record it as vanished). */
  async #settle(meta: ContainerMeta, signal: AbortSignal): Promise<void> {
    await this.status(meta, signal);
  }

  /**
   * Signal the container. Directly (no runtime process) when the init is
   * still conmon's child and either only the init is meant or the container
   * has its own PID namespace (SIGKILL to a PID namespace's init kills the
   * namespace) and was not paused through us; otherwise `runtime kill`.
   */
  async #signalInit(meta: ContainerMeta, sig: string, all: boolean, signal: AbortSignal | undefined): Promise<"sent" | "gone"> {
    const name = (/^\d+$/.test(sig) ? undefined : sig.startsWith("SIG") ? sig : `SIG${sig}`) as NodeJS.Signals | undefined;
    const direct = name !== undefined && name in osConstants.signals && meta.paused !== true && (!all || (name === "SIGKILL" && meta.ownPidNs === true));
    if (direct && (await signalChildOf(meta.pid, meta.conmonPid, name)) === "sent") return "sent";
    return this.#killQuiet(meta.id, sig, all, signal);
  }

  /** Send a signal; "gone" when the runtime says the container is not running or unknown. */
  async #killQuiet(id: string, sig: string, all: boolean, signal: AbortSignal | undefined): Promise<"sent" | "gone"> {
    try {
      await this.#cli.kill(id, sig, { all }, { signal });
      return "sent";
    } catch (e) {
      if (isRuntimeCommandError(e) && (e.kind === "NotRunning" || e.kind === "NotFound")) return "gone";
      if (all && isRuntimeCommandError(e)) {
        // Some runtimes refuse --all for a container with its own PID namespace.
        return this.#killQuiet(id, sig, false, signal);
      }
      throw e;
    }
  }

  /** `runtime delete --force`; an unknown container is no error. */
  async deleteQuiet(id: string, signal: AbortSignal | undefined): Promise<void> {
    try {
      await this.#cli.delete(id, { force: true }, { signal });
    } catch (e) {
      if (isRuntimeCommandError(e) && e.kind === "NotFound") return;
      throw e;
    }
  }

  /**
   * Undo a create that failed or timed out. conmon may still be running the
   * runtime's `create`, which would then finish after us: kill the monitor,
   * then keep deleting until no process for this id (conmon, the runtime)
   * is left and the runtime no longer knows the id. Bounded by 10 s.
   */
  async cleanupFailedCreate(id: string, bundle: string): Promise<void> {
    const signal = AbortSignal.timeout(10_000);
    const argv = ["-c", id];
    for (;;) {
      const conmonPid = await this.#state.conmonPid(id);
      if (conmonPid !== undefined) killQuietly(conmonPid, "SIGKILL");
      for (const pid of await processesWithArgs(argv)) killQuietly(pid, "SIGKILL");
      await this.#killQuiet(id, "SIGKILL", true, signal).catch(() => undefined);
      await this.deleteQuiet(id, signal).catch(() => undefined);
      const busy = (await processesWithArgs(argv)).length > 0 || (await processesWithArgs(["create", id])).length > 0;
      const known = await this.#cli.state(id, { signal }).then(
        () => true,
        () => false,
      );
      if ((!busy && !known) || signal.aborted) break;
      if (!(await pause(20, signal))) break;
    }
    await this.#state.remove(id, bundle);
  }

  /**
   * Every container of the state directory with its status (and whether
   * its conmon lives), plus the runtime's containers without state here
   * (orphans). State without metadata (an interrupted create) is removed.
   */
  async recoverAll(signal: AbortSignal, log: Logger | undefined): Promise<OciRecoveryResult> {
    const containers: OciRecoveryResult["containers"] = [];
    const known = new Set<string>();
    for (const id of await this.#state.list()) {
      let meta: ContainerMeta;
      try {
        meta = await this.#state.readMeta(id);
      } catch {
        log?.warn({ id }, "state without metadata (create was interrupted); removing it");
        await this.deleteQuiet(id, signal);
        await this.#state.remove(id, undefined);
        continue;
      }
      known.add(id);
      const st = await this.status(meta, signal);
      containers.push({ ...st, monitorAlive: await isAlive(meta.conmonPid) });
    }
    const orphans = (await this.#cli.list({ signal })).map((s) => s.id).filter((id) => !known.has(id));
    return { containers, orphans };
  }
}

/** Waits until `pid` is gone; false when `timeoutMs` passes (or `signal` aborts) first. */
export async function waitGone(pid: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (await isAlive(pid)) {
    if (Date.now() > until || !(await pause(5, signal))) return false;
  }
  return true;
}

/** Sleeps `ms`; false (at once) when `signal` aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
