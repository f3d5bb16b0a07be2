/**
 * crikitd's Prometheus endpoint and OpenTelemetry tracing, each off unless
 * configured (`[metrics] address`, `[tracing] endpoint`).
 *
 * ## Metrics (prom-client, served at `http://<address>/metrics`)
 *
 * - gRPC server, in go-grpc-prometheus's names and labels:
 *   `grpc_server_started_total`, `grpc_server_handled_total` (with
 *   `grpc_code`), `grpc_server_handling_seconds` (histogram), each with
 *   `grpc_type`, `grpc_service`, `grpc_method`; fed by the transport's
 *   `crikit:transport:call-start` and `call-end` diagnostics channels, so
 *   they count every call, those refused while not ready included;
 * - the runtime's steps (`crikit:step`): `crikit_step_duration_seconds`
 *   (histogram by `step` and `outcome`: `cni.add`, `cni.del`, `oci.create`,
 *   `oci.start`, `image.pull`, `image.fetch`, `image.unpack`),
 *   `crikit_image_pulled_bytes_total` (blobs downloaded),
 *   `crikit_cni_plugin_duration_seconds` (histogram by `command`, `plugin`,
 *   `outcome`, from `crikit:network:plugin`);
 * - `crikit_pod_start_duration_seconds`: histogram of the RunPodSandbox
 *   calls that succeeded (from the call to a READY sandbox);
 * - the process: prom-client's default metrics (`process_cpu_seconds_total`,
 *   `process_resident_memory_bytes`, `nodejs_eventloop_lag_seconds`, ...).
 *
 * The registry is crikitd's own, not prom-client's global one; prom-client
 * is loaded only when the endpoint is on.
 *
 * prom-client and the OpenTelemetry SDK packages are optional dependencies
 * of crikit: npm installs them with it, and an install that left them out
 * (`--omit=optional`) fails at start-up, when `[metrics]` or `[tracing]` is
 * on, with an error that names the package to install.
 *
 * ## Tracing
 *
 * A tracer provider (`@opentelemetry/sdk-trace`) with a batch processor and
 * the OTLP/HTTP exporter (`@opentelemetry/exporter-trace-otlp-http`, JSON),
 * the W3C trace-context propagator and an AsyncLocalStorage context
 * manager, registered globally; the transport's tracing interceptor then
 * gives each CRI call a span under the client's `traceparent`, and crikit's
 * steps become its children. Traces started here are sampled at
 * `sampling_ratio`; a client's decision is kept. Off, none of this is
 * loaded and no interceptor is added.
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { createServer, type Server } from "node:http";
import type { Interceptor } from "@connectrpc/connect";
import type { Registry } from "prom-client";
import { parseHostPort, type DaemonConfig } from "crikit/config";
import { stepChannelName, type StepMessage } from "crikit/telemetry";
import { callEndChannelName, callStartChannelName, createTracingInterceptor, type CallEndMessage, type CallStartMessage } from "crikit/transport";

/** go-grpc-prometheus's default histogram buckets (Prometheus's DefBuckets), in seconds. */
const GRPC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Step and pod-start buckets, in seconds: runc and CNI calls take tens of ms, pulls seconds. */
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** What crikitd keeps of its observability set-up. */
export interface Observability {
  /** Interceptors to add to the CRI server (the tracing one, when tracing is on). */
  interceptors: Interceptor[];
  /** The Prometheus endpoint's URL, when it is on. */
  metricsUrl?: string;
  /** Stops the endpoint, unsubscribes, flushes and shuts down the tracer provider. */
  close(): Promise<void>;
}

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * `load()`, an import of optional dependency `pkg`; when `pkg` is not
 * installed, an error that says which config section needs it and what to
 * install.
 */
async function optionalImport<T>(pkg: string, section: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown };
    if (e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes(`'${pkg}'`)) {
      throw new Error(`${section} needs the optional dependency ${pkg}, which is not installed: run \`npm install ${pkg}\` beside crikit, or turn ${section} off`, { cause: err });
    }
    throw err;
  }
}

/** The Prometheus registry with crikitd's metrics, fed from crikit's diagnostics channels. */
export async function createMetricsRegistry(): Promise<{ registry: Registry; unsubscribe: () => void }> {
  // Loaded only when the endpoint is on.
  const { Counter, Histogram, Registry, collectDefaultMetrics } = await optionalImport("prom-client", "[metrics]", () => import("prom-client"));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const grpcLabels = ["grpc_type", "grpc_service", "grpc_method"] as const;
  const started = new Counter({ name: "grpc_server_started_total", help: "Total number of RPCs started on the server.", labelNames: grpcLabels, registers: [registry] });
  const handled = new Counter({
    name: "grpc_server_handled_total",
    help: "Total number of RPCs completed on the server, regardless of success or failure.",
    labelNames: [...grpcLabels, "grpc_code"],
    registers: [registry],
  });
  const handling = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
    labelNames: grpcLabels,
    buckets: GRPC_BUCKETS,
    registers: [registry],
  });
  const podStart = new Histogram({ name: "crikit_pod_start_duration_seconds", help: "Time to run a pod sandbox (RunPodSandbox calls that succeeded), in seconds.", buckets: STEP_BUCKETS, registers: [registry] });
  const steps = new Histogram({ name: "crikit_step_duration_seconds", help: "Duration of the runtime's steps (CNI ADD/DEL, OCI create/start, image pull, fetch, unpack), in seconds.", labelNames: ["step", "outcome"], buckets: STEP_BUCKETS, registers: [registry] });
  const pulledBytes = new Counter({ name: "crikit_image_pulled_bytes_total", help: "Bytes of image blobs downloaded.", registers: [registry] });
  const plugins = new Histogram({ name: "crikit_cni_plugin_duration_seconds", help: "Duration of CNI plugin calls, in seconds.", labelNames: ["command", "plugin", "outcome"], buckets: STEP_BUCKETS, registers: [registry] });

  const onStart = (m: unknown): void => {
    const s = m as CallStartMessage;
    started.inc({ grpc_type: s.type, grpc_service: s.service, grpc_method: s.rpc });
  };
  const onEnd = (m: unknown): void => {
    const e = m as CallEndMessage;
    const labels = { grpc_type: e.type, grpc_service: e.service, grpc_method: e.rpc };
    handled.inc({ ...labels, grpc_code: e.code });
    handling.observe(labels, e.durationMs / 1000);
    if (e.rpc === "RunPodSandbox" && e.code === "OK") podStart.observe(e.durationMs / 1000);
  };
  const onStep = (m: unknown): void => {
    const s = m as StepMessage;
    steps.observe({ step: s.step, outcome: s.error === undefined ? "ok" : "error" }, s.durationMs / 1000);
    if (s.step === "image.fetch" && s.error === undefined && typeof s.attributes["bytes"] === "number") pulledBytes.inc(s.attributes["bytes"]);
  };
  const onPlugin = (m: unknown): void => {
    const p = m as { command: string; plugin: string; durationMs: number; error?: unknown };
    plugins.observe({ command: p.command, plugin: p.plugin, outcome: p.error === undefined ? "ok" : "error" }, p.durationMs / 1000);
  };
  const subs: Array<[string, (m: unknown) => void]> = [
    [callStartChannelName, onStart],
    [callEndChannelName, onEnd],
    [stepChannelName, onStep],
    ["crikit:network:plugin", onPlugin],
  ];
  for (const [name, fn] of subs) diagnosticsChannel.subscribe(name, fn);
  return { registry, unsubscribe: () => subs.forEach(([name, fn]) => diagnosticsChannel.unsubscribe(name, fn)) };
}

async function serveMetrics(registry: Registry, address: string): Promise<{ server: Server; url: string }> {
  const hp = parseHostPort(address);
  if (hp === undefined) throw new Error(`metrics.address must be host:port, got ${JSON.stringify(address)}`);
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/v1/metrics")) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: the metrics are at /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(hp.port, hp.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address();
  const port = a !== null && typeof a === "object" ? a.port : hp.port;
  const host = hp.host.includes(":") ? `[${hp.host}]` : hp.host;
  return { server, url: `http://${host}:${port}/metrics` };
}

async function startTracing(t: DaemonConfig["tracing"], version: string): Promise<() => Promise<void>> {
  // Loaded only when tracing is on.
  const [{ context, propagation, trace }, sdk, { OTLPTraceExporter }, { AsyncLocalStorageContextManager }, { W3CTraceContextPropagator }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/api"),
    optionalImport("@opentelemetry/sdk-trace", "[tracing]", () => import("@opentelemetry/sdk-trace")),
    optionalImport("@opentelemetry/exporter-trace-otlp-http", "[tracing]", () => import("@opentelemetry/exporter-trace-otlp-http")),
    optionalImport("@opentelemetry/context-async-hooks", "[tracing]", () => import("@opentelemetry/context-async-hooks")),
    optionalImport("@opentelemetry/core", "[tracing]", () => import("@opentelemetry/core")),
    optionalImport("@opentelemetry/resources", "[tracing]", () => import("@opentelemetry/resources")),
  ]);
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ "service.name": t.service_name, "service.version": version }),
    sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(t.sampling_ratio) }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: t.endpoint }), scheduledDelayMillis: 1000 })],
  });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  };
}

/** Starts what the configuration turns on (see the file header). */
export async function startObservability(config: DaemonConfig, log: Logger, version: string): Promise<Observability> {
  const closers: Array<() => Promise<void> | void> = [];
  const obs: Observability = {
    interceptors: [],
    async close() {
      for (const c of closers.reverse()) await c();
      closers.length = 0;
    },
  };
  if (config.metrics.address !== "") {
    const { registry, unsubscribe } = await createMetricsRegistry();
    closers.push(unsubscribe);
    const { server, url } = await serveMetrics(registry, config.metrics.address);
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.closeIdleConnections();
    obs.metricsUrl = url;
    log.info({ url }, "Prometheus metrics endpoint listening");
  }
  if (config.tracing.endpoint !== "") {
    closers.push(await startTracing(config.tracing, version));
    obs.interceptors.push(createTracingInterceptor());
    log.info({ endpoint: config.tracing.endpoint, samplingRatio: config.tracing.sampling_ratio }, "tracing: spans are exported over OTLP/HTTP");
  }
  return obs;
}
