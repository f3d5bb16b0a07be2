/**
 * The tracing interceptor with the OpenTelemetry SDK registered in process
 * (an in-memory exporter): a call's span continues the client's
 * `traceparent`, a step taken by the handler is its child, a failed call
 * carries its gRPC code.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { context, propagation, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { RuntimeService } from "../../src/cri.js";
import { runStep } from "../../src/index.js";
import { notFound } from "../../src/errors.js";
import { createCriRoutes, createErrorInterceptor, createTracingInterceptor } from "../../src/transport/index.js";

describe("createTracingInterceptor", () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  after(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  const transport = createRouterTransport(
    createCriRoutes({
      runtime: {
        version: async () => runStep("oci.start", { "crikit.container_id": "c1" }, async () => ({ version: "0.1.0", runtimeName: "t", runtimeVersion: "1", runtimeApiVersion: "v1" })),
        containerStatus: () => {
          throw notFound("container \"x\" not found");
        },
      },
    }),
    { router: { interceptors: [createErrorInterceptor(), createTracingInterceptor()] } },
  );
  const rt = createClient(RuntimeService, transport);

  it("continues the client's trace and makes the handler's steps children of the call's span", async () => {
    exporter.reset();
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const parent = "00f067aa0ba902b7";
    await rt.version({}, { headers: { traceparent: `00-${traceId}-${parent}-01` } });
    const spans = exporter.getFinishedSpans();
    const call = spans.find((s) => s.name === "runtime.v1.RuntimeService/Version");
    const step = spans.find((s) => s.name === "crikit.oci.start");
    assert.equal(call?.spanContext().traceId, traceId);
    assert.equal(call?.parentSpanContext?.spanId, parent);
    assert.equal(call?.kind, SpanKind.SERVER);
    assert.equal(call?.attributes["rpc.grpc.status_code"], 0);
    assert.equal(step?.spanContext().traceId, traceId);
    assert.equal(step?.parentSpanContext?.spanId, call?.spanContext().spanId);
    assert.equal(step?.attributes["crikit.container_id"], "c1");
  });

  it("starts a trace of its own without a traceparent, and marks a failed call with its code", async () => {
    exporter.reset();
    await assert.rejects(rt.containerStatus({ containerId: "x" }), (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, "runtime.v1.RuntimeService/ContainerStatus");
    assert.equal(span?.parentSpanContext, undefined);
    assert.equal(span?.attributes["rpc.grpc.status_code"], Code.NotFound);
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
  });
});
