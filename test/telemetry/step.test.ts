import { describe, it } from "node:test";
import assert from "node:assert/strict";
import diagnosticsChannel from "node:diagnostics_channel";
import { trace } from "@opentelemetry/api";
import { runStep, stepChannelName, type StepMessage } from "../../src/index.js";

describe("runStep", () => {
  it("publishes each finished step, failed ones with their error, only while subscribed", async () => {
    const got: StepMessage[] = [];
    const fn = (m: unknown): void => void got.push(m as StepMessage);
    await runStep("oci.start", { "crikit.container_id": "c0" }, async () => 0);
    diagnosticsChannel.subscribe(stepChannelName, fn);
    try {
      assert.equal(await runStep("oci.create", { "crikit.container_id": "c1" }, async () => 42), 42);
      const boom = new Error("runc failed");
      await assert.rejects(runStep("cni.add", { "crikit.sandbox_id": "p1" }, async () => Promise.reject(boom)), boom);
    } finally {
      diagnosticsChannel.unsubscribe(stepChannelName, fn);
    }
    assert.deepEqual(got.map((m) => [m.step, m.attributes, m.error]), [
      ["oci.create", { "crikit.container_id": "c1" }, undefined],
      ["cni.add", { "crikit.sandbox_id": "p1" }, got[1]?.error],
    ]);
    assert.equal((got[1]?.error as Error).message, "runc failed");
    assert.ok(got.every((m) => m.durationMs >= 0));
  });

  it("runs with a non-recording span when no tracer provider is registered", async () => {
    const recording = await runStep("image.pull", {}, async () => trace.getActiveSpan()?.isRecording());
    assert.equal(recording ?? false, false);
  });
});
