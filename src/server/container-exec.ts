/**
 * ExecSync: a command in a running container through its pod's runtime;
 * `timeout` seconds (0: none); output capped at 16 MiB per stream.
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecSyncRequest, ExecSyncResponseSchema } from "../cri.js";
import { failedPrecondition, invalidArgument } from "../errors.js";
import { containerState } from "../stores/index.js";
import { checkReady, findContainer, handlerOf, sig, type CallContext, type ServiceContext } from "./service-context.js";

const MAX_EXEC_OUTPUT = 16 * 1024 * 1024;

/** ExecSync (see the file header). */
export async function execSync(c: ServiceContext, req: ExecSyncRequest, call: CallContext = {}): Promise<MessageInitShape<typeof ExecSyncResponseSchema>> {
  checkReady(c);
  const r = findContainer(c, req.containerId);
  if (req.cmd.length === 0) throw invalidArgument("cmd is empty", "cmd");
  if (containerState(r.status) !== "RUNNING") throw failedPrecondition(`container ${JSON.stringify(r.id)} is not running`);
  const rt = handlerOf(c, r.metadata.runtime?.handler ?? "").runtime;
  const res = await rt.execSync(r.id, req.cmd, { timeoutMs: Number(req.timeout) * 1000, maxOutputBytes: MAX_EXEC_OUTPUT }, sig(call.signal));
  return { stdout: res.stdout, stderr: res.stderr, exitCode: res.exitCode };
}
