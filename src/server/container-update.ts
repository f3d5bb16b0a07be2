/**
 * UpdateContainerResources (applied synchronously through the pod's
 * runtime, and kept in the bundle's spec so the status and a restart
 * report what applies now; a container its runtime has not created yet
 * gets them from that spec at start) and ReopenContainerLog.
 *
 * @packageDocumentation
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ReopenContainerLogRequest, ReopenContainerLogResponseSchema, UpdateContainerResourcesRequest, UpdateContainerResourcesResponseSchema } from "../cri.js";
import { failedPrecondition } from "../errors.js";
import { parseExactJson, resourcesToOci, stringifyExactJson, type OciSpec } from "../spec/index.js";
import { resourcesFromSpec } from "../status/index.js";
import { containerState } from "../stores/index.js";
import { observed } from "./hooks.js";
import { saveContainer } from "./record-codec.js";
import { findContainer, handlerOf, sig, type CallContext, type ServiceContext } from "./service-context.js";

/** UpdateContainerResources (see the file header). */
export async function updateContainerResources(
  c: ServiceContext,
  req: UpdateContainerResourcesRequest,
  call: CallContext = {},
): Promise<MessageInitShape<typeof UpdateContainerResourcesResponseSchema>> {
  const found = findContainer(c, req.containerId);
  const handler = found.metadata.runtime?.handler ?? "";
  await observed(c, { step: "UpdateContainerResources", sandboxId: found.metadata.sandboxId, containerId: found.id, handler }, () =>
    c.containers.locks.run(found.id, async () => {
      const cur = c.containers.get(found.id);
      if (containerState(cur.status) === "EXITED") throw failedPrecondition(`container ${JSON.stringify(cur.id)} has exited`);
      const x = cur.metadata.runtime;
      if (x === undefined) throw failedPrecondition(`container ${JSON.stringify(cur.id)} has no runtime`);
      const swap = { swapController: c.env.swapController };
      // A container awaiting its runtime gets the new resources from its config.json at start.
      if (cur.status.awaitingRuntime !== true) await handlerOf(c, x.handler).runtime.updateResources(cur.id, resourcesToOci(req.linux, {}, swap) as Record<string, unknown>, sig(call.signal));
      const specPath = join(x.bundle, "config.json");
      const spec = parseExactJson(await readFile(specPath, "utf8")) as OciSpec;
      spec.linux = { ...(spec.linux ?? {}), resources: resourcesToOci(req.linux, spec.linux?.resources ?? {}, swap) };
      await writeFile(specPath, stringifyExactJson(spec));
      const resources = resourcesFromSpec(spec);
      c.containers.update(cur.id, (s) => ({ ...s, resources }));
      await saveContainer(c, cur.id);
    }),
  );
  return {};
}

/** ReopenContainerLog: the container must run; its runtime reopens its log file. */
export async function reopenContainerLog(c: ServiceContext, req: ReopenContainerLogRequest, call: CallContext = {}): Promise<MessageInitShape<typeof ReopenContainerLogResponseSchema>> {
  const r = findContainer(c, req.containerId);
  if (containerState(r.status) !== "RUNNING") throw failedPrecondition(`container ${JSON.stringify(r.id)} is not running`);
  await handlerOf(c, r.metadata.runtime?.handler ?? "").runtime.reopenLog(r.id, sig(call.signal));
  return {};
}
