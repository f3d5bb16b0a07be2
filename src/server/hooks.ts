/**
 * Running the lifecycle hooks: the service-wide ones, then the handler's.
 *
 * @packageDocumentation
 */
import type { LifecycleEvent, LifecycleHooks } from "../runtime/index.js";
import type { OciSpec } from "../spec/index.js";
import type { ContainerSpecContext } from "../runtime/index.js";
import { errMessage } from "./undo.js";
import type { ServiceContext } from "./service-context.js";

function hooksOf(c: ServiceContext, handler: string): LifecycleHooks[] {
  const own = c.handlers.get(handler)?.hooks;
  return [c.hooks, own].filter((h): h is LifecycleHooks => h !== undefined);
}

/** Lets every hook adjust a container's spec; what a hook throws fails the create. */
export async function adjustContainerSpec(c: ServiceContext, spec: OciSpec, context: ContainerSpecContext): Promise<void> {
  for (const h of hooksOf(c, context.handler)) await h.adjustContainerSpec?.(spec, context);
}

/** Tells every hook a step's outcome; what a hook throws is logged. */
export async function observe(c: ServiceContext, event: LifecycleEvent): Promise<void> {
  for (const h of hooksOf(c, event.handler)) {
    if (h.observe === undefined) continue;
    try {
      await h.observe(event);
    } catch (err) {
      c.log.warn({ step: event.step, err: errMessage(err) }, "lifecycle hook failed");
    }
  }
}

/** Runs a step and reports its outcome to the hooks. */
export async function observed<T>(c: ServiceContext, event: Omit<LifecycleEvent, "ok" | "error">, step: () => Promise<T>): Promise<T> {
  if (c.hooks?.observe === undefined && c.handlers.get(event.handler)?.hooks?.observe === undefined) return step();
  try {
    const out = await step();
    await observe(c, { ...event, ok: true });
    return out;
  } catch (error) {
    await observe(c, { ...event, ok: false, error });
    throw error;
  }
}
