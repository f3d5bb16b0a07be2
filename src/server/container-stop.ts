/**
 * StopContainer: the stop signal, then SIGKILL after `timeout` seconds;
 * stopping an exited container succeeds; an unknown ID is NotFound
 * (containerd). A container that never started is killed where its
 * runtime left it, or, never asked of its runtime, marked exited as if
 * killed (137).
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StopContainerRequest, StopContainerResponseSchema } from "../cri.js";
import { isCrikitError } from "../errors.js";
import type { RuntimeContainerStatus } from "../runtime/index.js";
import { ExitReason } from "../status/index.js";
import { containerState } from "../stores/index.js";
import { exitFacts, markExited, refreshExit } from "./exit-handling.js";
import { observed } from "./hooks.js";
import { findContainer, handlerOf, sig, type CallContext, type ServiceContext } from "./service-context.js";

/** StopContainer (see the file header). */
export async function stopContainer(c: ServiceContext, req: StopContainerRequest, call: CallContext = {}): Promise<MessageInitShape<typeof StopContainerResponseSchema>> {
  const r = findContainer(c, req.containerId);
  const timeoutMs = Number(req.timeout) * 1000;
  await observed(c, { step: "StopContainer", sandboxId: r.metadata.sandboxId, containerId: r.id, handler: r.metadata.runtime?.handler ?? "" }, () =>
    c.containers.locks.run(r.id, () => stopContainerNow(c, r.id, timeoutMs, call.signal)),
  );
  return {};
}

function ignoreNotFound(err: unknown): undefined {
  if (!(isCrikitError(err) && err.code === "NotFound")) throw err;
  return undefined;
}

/** Stops a container (see the file header). Call under the container's lock. */
export async function stopContainerNow(c: ServiceContext, id: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const r = c.containers.find(id);
  const x = r?.metadata.runtime;
  if (r === undefined || x === undefined) return;
  const state = containerState(r.status);
  if (state === "EXITED") return;
  const rt = handlerOf(c, x.handler).runtime;
  if (state === "CREATED" && r.status.awaitingRuntime === true) {
    // Never asked of its runtime: no process to signal; it ends as one killed before it ran would.
    await markExited(c, id, { finishedAt: c.clock.nowNs(), exitCode: 128 + 9, reason: ExitReason.Error, message: "stopped before it was started" });
    return;
  }
  if (state === "CREATED") {
    // Never started: kill what the runtime's create left (runc's init waits in exec.fifo).
    await rt.stop(id, { timeoutMs: 0 }, sig(signal)).catch(ignoreNotFound);
    await refreshExit(c, id);
    return;
  }
  const st: RuntimeContainerStatus | undefined = await rt.stop(id, { timeoutMs: Math.max(0, timeoutMs), stopSignal: x.stopSignal }, sig(signal)).catch(ignoreNotFound);
  await markExited(c, id, exitFacts(c, st, ""));
}
