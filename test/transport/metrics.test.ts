import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ReadinessGate, TransportMetrics } from "../../src/transport/index.js";

describe("TransportMetrics", () => {
  it("fills cumulative histogram buckets and counts errors by code", () => {
    const m = new TransportMetrics({ buckets: [0.01, 0.1, 1], constLabels: { runtime: "t" } });
    m.recordStart("svc", "A", "unary");
    m.recordEnd("svc", "A", "unary", "OK", 0.005);
    m.recordStart("svc", "A", "unary");
    m.recordEnd("svc", "A", "unary", "NotFound", 0.5);
    m.recordStart("svc", "A", "unary");
    m.recordEnd("svc", "A", "unary", "OK", 5);
    const a = m.snapshot().rpcs["svc/A"];
    assert.deepEqual(a?.latency.counts, [1, 1, 2]);
    assert.equal(a?.latency.count, 3);
    assert.equal(a?.errors, 1);
    assert.deepEqual(a?.handled, { OK: 2, NotFound: 1 });
    const text = m.toPrometheus();
    assert.match(text, /^grpc_server_handling_seconds_bucket\{runtime="t",grpc_type="unary",grpc_service="svc",grpc_method="A",le="\+Inf"\} 3$/m);
    assert.match(text, /^grpc_server_started_total\{runtime="t",grpc_type="unary",grpc_service="svc",grpc_method="A"\} 3$/m);
    assert.match(text, /^# TYPE grpc_server_handling_seconds histogram$/m);
  });

  it("returns snapshots that later calls do not change, and resets", () => {
    const m = new TransportMetrics();
    m.recordEnd("s", "B", "unary", "OK", 0.001);
    const snap = m.snapshot();
    m.recordEnd("s", "B", "unary", "OK", 0.001);
    assert.equal(snap.rpcs["s/B"]?.latency.count, 1);
    m.reset();
    assert.deepEqual(m.snapshot().rpcs, {});
  });

  it("rejects buckets that are not ascending", () => {
    assert.throws(() => new TransportMetrics({ buckets: [1, 0.5] }), RangeError);
  });
});

describe("ReadinessGate", () => {
  it("moves from not-ready to ready and to closing for good", async () => {
    const g = new ReadinessGate();
    assert.throws(() => g.check(), /runtime is not ready: recovering/);
    const waiting = g.whenReady();
    g.setReady();
    await waiting;
    assert.doesNotThrow(() => g.check());
    g.setNotReady("reloading");
    assert.throws(() => g.check(), /runtime is not ready: reloading/);
    g.setClosing();
    g.setReady();
    assert.equal(g.state, "closing");
    assert.throws(() => g.check(), /runtime is shutting down/);
  });
});
