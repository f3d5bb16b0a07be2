/**
 * Steps of a CRI call (a CNI ADD, a runc create, an image pull, a layer
 * unpack), observed two ways, both free when nobody listens:
 *
 * - as OpenTelemetry spans through `@opentelemetry/api` (tracer `crikit`):
 *   children of whatever span is active, the CRI call's span when the
 *   transport's tracing interceptor runs. Without a registered tracer
 *   provider the API hands out non-recording spans and does nothing else;
 * - as messages on the `crikit:step` diagnostics channel
 *   ({@link StepMessage}), published only while someone subscribes: a
 *   daemon's metrics (crikitd's Prometheus histograms) come from there.
 *
 * @packageDocumentation
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { SpanKind, SpanStatusCode, trace, type Attributes } from "@opentelemetry/api";

/**
 * Name of the channel that receives a {@link StepMessage} per finished step.
 *
 * @public
 */
export const stepChannelName = "crikit:step";

/**
 * The steps crikit reports, by name:
 *
 * - `cni.add`, `cni.del`: a pod's network set up or torn down (every plugin of the chain);
 * - `oci.create`, `oci.start`: a container created (conmon and `runc create`) and started;
 * - `image.pull`: a whole pull; `image.fetch`: one blob downloaded (attribute `bytes`);
 *   `image.unpack`: one layer unpacked.
 *
 * @public
 */
export type StepName = "cni.add" | "cni.del" | "oci.create" | "oci.start" | "image.pull" | "image.fetch" | "image.unpack";

/**
 * What `crikit:step` subscribers receive.
 *
 * @public
 */
export interface StepMessage {
  /** The step. */
  step: StepName;
  /** Attributes of the step (also on its span). */
  attributes: Readonly<Record<string, string | number>>;
  /** Its duration in milliseconds. */
  durationMs: number;
  /** The error, when it failed. */
  error?: unknown;
}

const channel = diagnosticsChannel.channel(stepChannelName);
const tracer = trace.getTracer("crikit");

/**
 * Runs `fn` as the step `step` (see the file header).
 *
 * @public
 */
export function runStep<T>(step: StepName, attributes: Readonly<Record<string, string | number>>, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(`crikit.${step}`, { kind: SpanKind.INTERNAL, attributes: attributes as Attributes }, async (span) => {
    const publish = channel.hasSubscribers;
    const started = publish ? performance.now() : 0;
    try {
      const r = await fn();
      if (publish) channel.publish({ step, attributes, durationMs: performance.now() - started } satisfies StepMessage);
      return r;
    } catch (err) {
      if (span.isRecording()) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        if (err instanceof Error) span.recordException(err);
      }
      if (publish) channel.publish({ step, attributes, durationMs: performance.now() - started, error: err } satisfies StepMessage);
      throw err;
    } finally {
      span.end();
    }
  });
}
