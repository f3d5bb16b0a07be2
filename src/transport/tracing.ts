/**
 * An interceptor that gives every CRI call a span, continuing the W3C trace
 * context (`traceparent`, `tracestate`) the client sent in the gRPC
 * metadata, through `@opentelemetry/api` only. The handler runs with the
 * span active, so the steps it takes (see `crikit`'s `runStep`) become its
 * children.
 *
 * The propagator and tracer provider are the application's: with none
 * registered the interceptor starts non-recording spans and extracts
 * nothing. Pass it in `CriServerOptions.interceptors` only when tracing is
 * on, and calls pay nothing for it otherwise.
 *
 * Span: name `<service>/<method>` (`runtime.v1.RuntimeService/RunPodSandbox`),
 * kind SERVER, attributes `rpc.system` (`grpc`), `rpc.service`,
 * `rpc.method`, `rpc.grpc.status_code`; status ERROR with the message for a
 * failed call. A streaming call's span lasts until its stream ends.
 *
 * @packageDocumentation
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type TextMapGetter } from "@opentelemetry/api";
import type { Interceptor } from "@connectrpc/connect";
import { withCallOutcome } from "./call-outcome.js";
import { grpcCodeOf } from "./codes.js";

const getter: TextMapGetter<Headers> = {
  keys: (h) => [...h.keys()],
  get: (h, key) => h.get(key) ?? undefined,
};

/**
 * Options of {@link createTracingInterceptor}.
 *
 * @public
 */
export interface TracingInterceptorOptions {
  /** The tracer's name. @defaultValue `"crikit/transport"` */
  tracerName?: string;
}

/**
 * The tracing interceptor (see the file header).
 *
 * @public
 */
export function createTracingInterceptor(options: TracingInterceptorOptions = {}): Interceptor {
  const tracer = trace.getTracer(options.tracerName ?? "crikit/transport");
  return (next) => (req) => {
    const parent = propagation.extract(ROOT_CONTEXT, req.header, getter);
    const service = req.service.typeName;
    const method = req.method.name;
    const span = tracer.startSpan(
      `${service}/${method}`,
      { kind: SpanKind.SERVER, attributes: { "rpc.system": "grpc", "rpc.service": service, "rpc.method": method } },
      parent,
    );
    return context.with(trace.setSpan(parent, span), () =>
      withCallOutcome(next, req, (err) => {
        const code: number = err === undefined ? 0 : grpcCodeOf(err);
        span.setAttribute("rpc.grpc.status_code", code);
        if (err !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        span.end();
      }),
    );
  };
}
