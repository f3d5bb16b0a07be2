/**
 * What a step costs when nobody observes it, and when a tracer provider
 * records it: `runStep` around an already-resolved async function, against
 * the bare call, with no SDK registered (the API's no-op spans, no channel
 * subscriber), then with the SDK's TracerProvider and an in-memory exporter
 * registered (a recorded span per step). A pod start takes 2 to 6 steps.
 */
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { summarize, type BenchRow } from "./harness.js";
import { runStep } from "../src/telemetry/index.js";

export const title = "telemetry";

async function nsPerAsyncOp(name: string, op: () => Promise<unknown>, batches: number, per: number, note?: string): Promise<BenchRow> {
  for (let i = 0; i < per; i++) await op();
  const samples: number[] = [];
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) await op();
    samples.push(((performance.now() - t0) * 1e6) / per);
  }
  return summarize(name, "ns/op", samples, note);
}

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const [batches, per] = quick ? [5, 2_000] : [30, 10_000];
  const fn = async (): Promise<number> => 1;
  const rows: BenchRow[] = [];
  rows.push(await nsPerAsyncOp("bare async call", fn, batches, per));
  rows.push(await nsPerAsyncOp("runStep, tracing off (no SDK, no subscriber)", () => runStep("oci.start", { "crikit.container_id": "c" }, fn), batches, per));
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  try {
    rows.push(
      await nsPerAsyncOp("runStep, tracing on (SDK, span recorded)", async () => {
        await runStep("oci.start", { "crikit.container_id": "c" }, fn);
        if (exporter.getFinishedSpans().length > 1000) exporter.reset();
      }, batches, per),
    );
  } finally {
    await provider.shutdown();
    trace.disable();
    context.disable();
  }
  return rows;
}
