/**
 * crikitd end to end with its Prometheus endpoint and tracing on: the test
 * runs an OTLP/HTTP receiver on loopback (it decodes the exporter's JSON),
 * points `[tracing] endpoint` at it and `[metrics] address` at a free
 * loopback port, then pulls an image and starts a pod and a container with
 * a `traceparent` of its own on each call.
 *
 * - `curl` of the endpoint shows the gRPC call counters and latency
 *   histograms, the pod-start histogram, the step histograms and the process
 *   metrics; the exposition parses with a Prometheus text-format parser;
 * - the receiver gets each CRI call as a SERVER span under the client's
 *   trace and span IDs, with the steps (image pull, fetch and unpack, CNI
 *   ADD, runc create and start) as its children.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { execa } from "execa";
import parsePrometheusTextFormat, { type PromFamily } from "parse-prometheus-text-format";
import { containerConfig, eventually, podConfig, setupE2e, type E2eEnv } from "./harness.js";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: Array<{ key: string; value: Record<string, unknown> }>;
}

/** An OTLP/HTTP receiver for JSON trace exports on loopback. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; requests: number }> {
  const state = { spans: [] as OtlpSpan[], requests: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      state.requests++;
      if (req.method !== "POST" || req.url !== "/v1/traces" || !(req.headers["content-type"] ?? "").includes("json")) {
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: OtlpSpan[] }> }> };
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) state.spans.push(...(ss.spans ?? []));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address();
  const port = a !== null && typeof a === "object" ? a.port : 0;
  return Object.assign(state, { server, url: `http://127.0.0.1:${port}/v1/traces` });
}

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const a = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return a !== null && typeof a === "object" ? a.port : 0;
}

const hex = (n: number): string => randomBytes(n).toString("hex");

describe("crikitd metrics endpoint and tracing end to end", { timeout: 300_000 }, () => {
  let env: E2eEnv;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let metricsUrl = "";
  let podId = "";
  /** One trace per call: its trace ID and the client's span ID. */
  const traces: Record<string, { traceId: string; spanId: string }> = {};
  const traced = (rpc: string): { metadata: Record<string, string> } => {
    const t = { traceId: hex(16), spanId: hex(8) };
    traces[rpc] = t;
    return { metadata: { traceparent: `00-${t.traceId}-${t.spanId}-01` } };
  };

  before(async () => {
    receiver = await startReceiver();
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    env = await setupE2e({ logLevel: "info", extraToml: `\n[metrics]\naddress = "127.0.0.1:${port}"\n\n[tracing]\nendpoint = "${receiver.url}"\n` });
    await env.client.unary("PullImage", { image: { image: env.image } }, traced("PullImage"));
    const pod = podConfig(env, "observed");
    podId = (await env.client.unary("RunPodSandbox", { config: pod }, traced("RunPodSandbox")))["pod_sandbox_id"];
    const ctr = (await env.client.unary("CreateContainer", { pod_sandbox_id: podId, config: containerConfig(env, "sleeper", ["/bin/sleep", "600"]), sandbox_config: pod }, traced("CreateContainer")))["container_id"];
    await env.client.unary("StartContainer", { container_id: ctr }, traced("StartContainer"));
    // A call refused by the service: counted with its code.
    await env.client.unary("ContainerStatus", { container_id: "f".repeat(64) }).catch(() => undefined);
  });

  after(async () => {
    if (env) {
      if (podId !== "") await env.client.unary("RemovePodSandbox", { pod_sandbox_id: podId }).catch(() => undefined);
      await env.cleanup();
    }
    await new Promise<void>((resolve) => receiver?.server.close(() => resolve()));
  });

  it("serves the call counters, the latency histograms and the pod-start histogram on /metrics (curl)", async () => {
    const curl = await execa("curl", ["-sS", "--fail", metricsUrl]);
    const families = new Map<string, PromFamily>(parsePrometheusTextFormat(curl.stdout).map((f) => [f.name, f]));
    const sample = (name: string, labels: Record<string, string>) =>
      families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));

    assert.equal(families.get("grpc_server_started_total")?.type, "COUNTER");
    const run = { grpc_service: "runtime.v1.RuntimeService", grpc_method: "RunPodSandbox", grpc_type: "unary" };
    assert.equal(Number(sample("grpc_server_started_total", run)?.value), 1);
    assert.equal(Number(sample("grpc_server_handled_total", { ...run, grpc_code: "OK" })?.value), 1);
    assert.equal(Number(sample("grpc_server_handled_total", { grpc_method: "ContainerStatus", grpc_code: "NotFound" })?.value), 1, "a failed call is counted with its code");
    assert.ok(Number(sample("grpc_server_started_total", { grpc_method: "Version" })?.value) >= 1, "the harness's readiness probes");
    // The parser folds the series of a labelled histogram into one (it ignores
    // their labels): it gives the families' types; the series are read from the lines.
    assert.equal(families.get("grpc_server_handling_seconds")?.type, "HISTOGRAM");
    const line = (re: RegExp): number => Number(curl.stdout.split("\n").find((l) => re.test(l))?.split(" ").pop());
    assert.equal(line(/^grpc_server_handling_seconds_count\{.*grpc_method="RunPodSandbox"/), 1);
    assert.ok(line(/^grpc_server_handling_seconds_sum\{.*grpc_method="RunPodSandbox"/) > 0);
    assert.equal(line(/^grpc_server_handling_seconds_bucket\{le="\+Inf".*grpc_method="RunPodSandbox"/), 1);

    const podStart = families.get("crikit_pod_start_duration_seconds");
    assert.equal(podStart?.type, "HISTOGRAM");
    assert.equal(Number(podStart?.metrics[0]?.count), 1, "one pod started");
    assert.ok(Number(podStart?.metrics[0]?.sum) > 0);

    assert.equal(families.get("crikit_step_duration_seconds")?.type, "HISTOGRAM");
    for (const step of ["image.pull", "image.fetch", "image.unpack", "cni.add", "oci.create", "oci.start"]) {
      assert.ok(line(new RegExp(`^crikit_step_duration_seconds_count\\{step="${step.replace(".", "\\.")}",outcome="ok"\\}`)) >= 1, `step ${step} observed`);
    }
    assert.ok(Number(sample("crikit_image_pulled_bytes_total", {})?.value) > 100_000, "the busybox layer was downloaded");
    assert.ok(line(/^crikit_cni_plugin_duration_seconds_count\{command="ADD",plugin="bridge",outcome="ok"\}/) >= 1);
    assert.ok(Number(sample("process_resident_memory_bytes", {})?.value) > 0, "process metrics");
    assert.ok(families.has("nodejs_eventloop_lag_seconds"));

    const notFound = await execa("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", metricsUrl.replace("/metrics", "/other")], { reject: false });
    assert.equal(notFound.stdout, "404");
  });

  it("exports each CRI call as a span under the client's trace, with its steps as children", async () => {
    const want: Record<string, string[]> = {
      PullImage: ["crikit.image.pull"],
      RunPodSandbox: ["crikit.cni.add"],
      // The runtime creates a container at its first start: CreateContainer has no runtime step.
      CreateContainer: [],
      StartContainer: ["crikit.oci.create", "crikit.oci.start"],
    };
    const inTrace = (rpc: string): OtlpSpan[] => receiver.spans.filter((s) => s.traceId === traces[rpc]?.traceId);
    await eventually(
      async () => Object.keys(want).every((rpc) => inTrace(rpc).some((s) => s.name.endsWith(`/${rpc}`)) && want[rpc]?.every((n) => inTrace(rpc).some((s) => s.name === n))),
      20_000,
      "the spans to be exported",
    );
    for (const [rpc, steps] of Object.entries(want)) {
      const spans = inTrace(rpc);
      const service = rpc === "PullImage" ? "runtime.v1.ImageService" : "runtime.v1.RuntimeService";
      const call = spans.find((s) => s.name === `${service}/${rpc}`);
      assert.ok(call, `${rpc}: a span for the call in the client's trace (got ${spans.map((s) => s.name).join(", ")})`);
      assert.equal(call.parentSpanId, traces[rpc]?.spanId, `${rpc}: the call's span is a child of the client's span`);
      assert.equal(call.kind, 2, "SERVER");
      assert.ok(call.attributes?.some((a) => a.key === "rpc.method" && a.value["stringValue"] === rpc));
      for (const step of steps) {
        const s = spans.find((x) => x.name === step);
        assert.equal(s?.parentSpanId, call.spanId, `${rpc}: ${step} is a child of the call's span`);
      }
    }
    const pull = inTrace("PullImage");
    const pullSpan = pull.find((s) => s.name === "crikit.image.pull");
    assert.ok(pull.some((s) => s.name === "crikit.image.fetch" && s.parentSpanId === pullSpan?.spanId), "blob downloads under the pull");
    assert.ok(pull.some((s) => s.name === "crikit.image.unpack" && s.parentSpanId === pullSpan?.spanId), "layer unpacking under the pull");
    assert.ok(!receiver.spans.some((s) => s.name.endsWith("/ContainerStatus") && Object.values(traces).some((t) => t.traceId === s.traceId)), "an untraced call starts a trace of its own");
  });
});
