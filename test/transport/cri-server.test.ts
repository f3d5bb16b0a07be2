import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { stat } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import grpc from "@grpc/grpc-js";
import { ContainerStatusRequestSchema } from "../../src/cri.js";
import { CriServer } from "../../src/transport/index.js";
import { GrpcStatus, createCriClient, isServiceError } from "../helpers/cri-client.js";
import type { CriClient } from "../helpers/cri-client.js";
import { createTestService, recordingLogger, startHarness, tempDir } from "./test-service.js";

/** Run `p`, expect a grpc-js ServiceError, and return it. */
async function rejection(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    await p;
  } catch (e) {
    assert.ok(isServiceError(e), `expected a gRPC ServiceError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the call to fail");
}

const noStack = (msg: string) => assert.doesNotMatch(msg, /\n\s+at |\.ts:\d+|\.js:\d+/, `message has a stack trace: ${msg}`);

describe("CriServer over a unix socket with a grpc-js client", () => {
  it("answers Version", async (t) => {
    const { client } = await startHarness(t);
    const v = await client.unary("Version", { version: "v1" });
    assert.equal(v["runtime_name"], "crikit-test");
    assert.equal(v["runtime_api_version"], "v1");
    const images = await client.unary("ListImages", {});
    assert.deepEqual(images["images"].map((i: { id: string }) => i.id), ["sha256:abc"]);
  });

  it("answers UNIMPLEMENTED, naming the RPC, for methods the service leaves out", async (t) => {
    const { client } = await startHarness(t);
    for (const rpc of ["Exec", "PullImage", "CheckpointContainer"]) {
      const e = await rejection(client.unary(rpc, {}));
      assert.equal(e.code, GrpcStatus.UNIMPLEMENTED, rpc);
      assert.match(e.details, new RegExp(`\\.${rpc} is not implemented`));
    }
  });

  it("answers UNIMPLEMENTED for an unknown service path", async (t) => {
    const { client } = await startHarness(t);
    const e = await rejection(
      new Promise((resolve, reject) => {
        client.runtime.makeUnaryRequest(
          "/runtime.v1alpha2.RuntimeService/Version",
          (x: Buffer) => x,
          (x: Buffer) => x,
          Buffer.alloc(0),
          (err, v) => (err ? reject(err) : resolve(v)),
        );
      }),
    );
    assert.equal(e.code, GrpcStatus.UNIMPLEMENTED, e.details);
    assert.match(e.details, /runtime\.v1alpha2\.RuntimeService\/Version/);
  });

  it("talks to a grpc-go client: ctr (containerd's CLI) completes the handshake and reads the status", async (t) => {
    const { socketPath } = await startHarness(t);
    const { execFile } = await import("node:child_process");
    const out = await new Promise<{ code: number | string | undefined; stderr: string }>((resolve) => {
      execFile("ctr", ["--address", socketPath, "--timeout", "10s", "version"], (err, _stdout, stderr) =>
        resolve({ code: (err as { code?: number | string } | null)?.code, stderr }),
      );
    });
    assert.notEqual(out.code, "ENOENT", "ctr (Debian package containerd) is needed for this grpc-go client test");
    assert.match(out.stderr, /rpc error: code = Unimplemented desc = unknown service or method "\/containerd\.services\.version\.v1\.Version\/Version"/);
  });

  describe("maps handler errors to gRPC statuses without leaking internals", () => {
    const cases: Array<{ desc: string; id: string; code: number; message: RegExp; absent?: RegExp }> = [
      { desc: "a CrikitError keeps its code and message", id: "missing", code: GrpcStatus.NOT_FOUND, message: /^container "missing" not found$/ },
      {
        desc: "a message with reserved, percent and non-ASCII characters arrives unchanged",
        id: "unicode",
        code: GrpcStatus.INVALID_ARGUMENT,
        message: /^label "ключ" is 100% invalid: a\/b\?c=d, see #1$/,
      },
      {
        desc: "a Node ENOENT becomes NOT_FOUND without the path",
        id: "enoent",
        code: GrpcStatus.NOT_FOUND,
        message: /^ContainerStatus failed: no such file or directory \(ENOENT\)$/,
        absent: /secret-state|nonexistent/,
      },
      {
        desc: "a plain Error becomes UNKNOWN with a generic message and the request id",
        id: "plain",
        code: GrpcStatus.UNKNOWN,
        message: /^ContainerStatus failed: internal error \(request id req-42\); the runtime's log has the details$/,
        absent: /boom|secret|\/var\/lib/,
      },
    ];
    for (const c of cases) {
      it(c.desc, async (t) => {
        const { client } = await startHarness(t);
        const e = await rejection(client.unary("ContainerStatus", { container_id: c.id }, { metadata: { "x-request-id": "req-42" } }));
        assert.equal(e.code, c.code);
        assert.match(e.details, c.message);
        if (c.absent) assert.doesNotMatch(e.details, c.absent);
        noStack(e.details);
      });
    }
  });

  it("logs failures with their internal cause, and reads at debug, changes at info", async (t) => {
    const logger = recordingLogger();
    const { client } = await startHarness(t, { logger });
    await client.unary("Version", {});
    await client.unary("StartContainer", { container_id: "x" });
    await rejection(client.unary("ContainerStatus", { container_id: "plain" }, { metadata: { "x-request-id": "req-7" } }));
    const version = logger.lines.find((l) => l.obj["rpc"] === "Version");
    const start = logger.lines.find((l) => l.obj["rpc"] === "StartContainer");
    const failed = logger.lines.find((l) => l.obj["rpc"] === "ContainerStatus");
    assert.equal(version?.level, "debug");
    assert.equal(start?.level, "info");
    assert.equal(typeof start?.obj["requestId"], "string");
    assert.ok((start?.obj["requestId"] as string).length > 0);
    assert.equal(failed?.level, "error");
    assert.equal(failed?.obj["requestId"], "req-7");
    assert.equal(failed?.obj["code"], "Unknown");
    assert.match(String((failed?.obj["err"] as Error).message), /secret internal detail/);
  });

  it("accepts a pino logger as is", async (t) => {
    const { pino } = await import("pino");
    const { Writable } = await import("node:stream");
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split("\n")) if (l.trim() !== "") lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: "debug" }, sink);
    const { client } = await startHarness(t, { logger });
    await client.unary("StartContainer", { container_id: "x" }, { metadata: { "x-request-id": "pino-1" } });
    await rejection(client.unary("ContainerStatus", { container_id: "plain" }));
    await new Promise((r) => setImmediate(r));
    const start = lines.find((l) => l["rpc"] === "StartContainer");
    assert.equal(start?.["level"], 30);
    assert.equal(start?.["requestId"], "pino-1");
    assert.equal(start?.["msg"], "StartContainer ok");
    const failed = lines.find((l) => l["rpc"] === "ContainerStatus");
    assert.equal(failed?.["level"], 50);
    assert.match(String((failed?.["err"] as { stack?: string } | undefined)?.stack), /secret internal detail/);
  });

  it("counts calls, errors by code and latency in the metrics registry", async (t) => {
    const { client, server } = await startHarness(t);
    await client.unary("Version", {});
    await client.unary("Version", {});
    await rejection(client.unary("ContainerStatus", { container_id: "missing" }));
    await client.collect("GetContainerEvents", {});
    const snap = server.metrics.snapshot();
    const version = snap.rpcs["runtime.v1.RuntimeService/Version"];
    assert.equal(version?.started, 2);
    assert.deepEqual(version?.handled, { OK: 2 });
    assert.equal(version?.latency.count, 2);
    const status = snap.rpcs["runtime.v1.RuntimeService/ContainerStatus"];
    assert.deepEqual(status?.handled, { NotFound: 1 });
    assert.equal(status?.errors, 1);
    assert.equal(snap.rpcs["runtime.v1.RuntimeService/GetContainerEvents"]?.type, "server_stream");
    const text = server.metrics.toPrometheus();
    assert.match(
      text,
      /^grpc_server_handled_total\{grpc_type="unary",grpc_service="runtime\.v1\.RuntimeService",grpc_method="ContainerStatus",grpc_code="NotFound"\} 1$/m,
    );
    assert.match(text, /^grpc_server_handling_seconds_count\{grpc_type="unary",grpc_service="runtime\.v1\.RuntimeService",grpc_method="Version"\} 2$/m);
  });

  it("publishes each finished call on the crikit:transport:call-end diagnostics channel", async (t) => {
    const { subscribe, unsubscribe } = await import("node:diagnostics_channel");
    const { callEndChannelName } = await import("../../src/transport/index.js");
    const got: Array<Record<string, unknown>> = [];
    const onMessage = (m: unknown) => got.push(m as Record<string, unknown>);
    subscribe(callEndChannelName, onMessage);
    t.after(() => unsubscribe(callEndChannelName, onMessage));
    const { client } = await startHarness(t);
    await client.unary("Version", {}, { metadata: { "x-request-id": "diag-1" } });
    await rejection(client.unary("ContainerStatus", { container_id: "missing" }));
    assert.deepEqual(
      got.map((m) => [m["rpc"], m["code"]]),
      [
        ["Version", "OK"],
        ["ContainerStatus", "NotFound"],
      ],
    );
    assert.equal(got[0]?.["requestId"], "diag-1");
  });

  describe("readiness gate", () => {
    it("answers UNAVAILABLE to unary and streaming calls until setReady()", async (t) => {
      const { client, server } = await startHarness(t, { ready: false });
      assert.equal(server.isReady, false);
      const e = await rejection(client.unary("Version", {}));
      assert.equal(e.code, GrpcStatus.UNAVAILABLE);
      assert.equal(e.details, "runtime is not ready: recovering");
      const s = await rejection(client.collect("GetContainerEvents", {}));
      assert.equal(s.code, GrpcStatus.UNAVAILABLE);
      assert.equal(s.details, "runtime is not ready: recovering");
      server.setReady();
      assert.equal(server.isReady, true);
      assert.equal((await client.unary("Version", {}))["runtime_name"], "crikit-test");
      assert.equal((await client.collect("GetContainerEvents", {})).length, 5);
    });

    it("opens when the ready promise resolves", async (t) => {
      let finish!: () => void;
      const recovered = new Promise<void>((r) => (finish = r));
      const { client, server } = await startHarness(t, { ready: recovered });
      assert.equal((await rejection(client.unary("Version", {}))).code, GrpcStatus.UNAVAILABLE);
      finish();
      await server.whenReady();
      assert.equal((await client.unary("Version", {}))["version"], "0.1.0");
    });

    it("calls a ready function only once the socket is bound, and opens when its promise resolves", async (t) => {
      let called = 0;
      let finish!: () => void;
      const recovered = new Promise<void>((r) => (finish = r));
      const { client, server } = await startHarness(t, {
        ready: () => {
          called++;
          return recovered;
        },
      });
      assert.equal(called, 1, "called by listen()");
      assert.equal((await rejection(client.unary("Version", {}))).details, "runtime is not ready: recovering");
      finish();
      await server.whenReady();
      assert.equal((await client.unary("Version", {}))["version"], "0.1.0");
      assert.equal(called, 1);
    });

    it("stays closed with a clear reason when the ready promise rejects", async (t) => {
      const logger = recordingLogger();
      const failed = Promise.reject(new Error("state dir unreadable"));
      failed.catch(() => {});
      const { client } = await startHarness(t, { ready: failed, logger });
      await new Promise((r) => setImmediate(r));
      const e = await rejection(client.unary("Version", {}));
      assert.equal(e.code, GrpcStatus.UNAVAILABLE);
      assert.equal(e.details, "runtime is not ready: recovery failed; see the runtime's log");
      assert.ok(logger.lines.some((l) => l.level === "error" && /recovery failed/.test(l.msg ?? "")));
    });
  });

  describe("message size limits", () => {
    it("allows messages up to 16 MiB and fails a larger response with RESOURCE_EXHAUSTED", async (t) => {
      const logger = recordingLogger();
      const { client, server } = await startHarness(t, { logger });
      const ok = await client.unary("ExecSync", { container_id: "x", cmd: [String(16 * 1024 * 1024 - 64)] });
      assert.equal(ok["stdout"].length, 16 * 1024 * 1024 - 64);
      const e = await rejection(client.unary("ExecSync", { container_id: "x", cmd: [String(16 * 1024 * 1024 + 1)] }));
      assert.equal(e.code, GrpcStatus.RESOURCE_EXHAUSTED);
      noStack(e.details);
      // The handler succeeded; the failure on the wire still reaches the metrics and the log.
      const m = server.metrics.snapshot().rpcs["runtime.v1.RuntimeService/ExecSync"];
      assert.deepEqual(m?.handled, { OK: 1, ResourceExhausted: 1 });
      assert.equal(m?.errors, 1);
      assert.ok(logger.lines.some((l) => l.level === "warn" && l.obj["rpc"] === "ExecSync" && l.obj["code"] === "ResourceExhausted"));
    });

    it("honours a configured limit for responses and requests", async (t) => {
      const { client } = await startHarness(t, { maxMessageBytes: 1024 * 1024 });
      await client.unary("ExecSync", { container_id: "x", cmd: [String(512 * 1024)] });
      const big = await rejection(client.unary("ExecSync", { container_id: "x", cmd: [String(2 * 1024 * 1024)] }));
      assert.equal(big.code, GrpcStatus.RESOURCE_EXHAUSTED);
      const req = await rejection(client.unary("ExecSync", { container_id: "x", cmd: ["1", "y".repeat(2 * 1024 * 1024)] }));
      assert.equal(req.code, GrpcStatus.RESOURCE_EXHAUSTED);
    });
  });

  describe("cancellation and deadlines", () => {
    it("aborts the handler's signal when the client's deadline passes", async (t) => {
      // grpc-js resets the stream when its own timer fires, which may reach
      // the server before the server's timer (started when the headers
      // arrived) fires: the handler sees DeadlineExceeded or Canceled.
      const { client, seen } = await startHarness(t);
      const e = await rejection(client.unary("ContainerStatus", { container_id: "wait" }, { timeoutMs: 200 }));
      assert.equal(e.code, GrpcStatus.DEADLINE_EXCEEDED);
      for (let i = 0; i < 50 && seen.abortReasons.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(seen.abortReasons.length, 1);
      const reason = seen.abortReasons[0];
      assert.ok(reason instanceof ConnectError, `reason is ${String(reason)}`);
      assert.ok([GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED].includes(Number(reason.code)), `code ${reason.code}`);
    });

    it("aborts the handler's signal with DeadlineExceeded at the grpc-timeout of a client that does not cancel", async (t) => {
      const { socketPath, seen } = await startHarness(t);
      const body = toBinary(ContainerStatusRequestSchema, create(ContainerStatusRequestSchema, { containerId: "wait" }));
      const framed = Buffer.alloc(5 + body.length);
      framed.writeUInt32BE(body.length, 1);
      framed.set(body, 5);
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const session = http2.connect("http://localhost", { createConnection: () => net.connect(socketPath) });
        session.on("error", reject);
        const req = session.request({ ":method": "POST", ":path": "/runtime.v1.RuntimeService/ContainerStatus", "content-type": "application/grpc", te: "trailers", "grpc-timeout": "200m" });
        let got: http2.IncomingHttpHeaders = {};
        req.on("response", (h) => {
          if (h["grpc-status"] !== undefined) got = h; // trailers-only answer
        });
        req.on("trailers", (h) => {
          got = h;
        });
        req.on("data", () => undefined);
        req.on("error", reject);
        req.on("close", () => {
          session.close();
          resolve(got);
        });
        req.end(framed);
      });
      assert.equal(trailers["grpc-status"], String(GrpcStatus.DEADLINE_EXCEEDED));
      assert.equal(seen.abortReasons.length, 1);
      const reason = seen.abortReasons[0];
      assert.ok(reason instanceof ConnectError, `reason is ${String(reason)}`);
      assert.equal(reason.code, GrpcStatus.DEADLINE_EXCEEDED);
    });

    it("aborts the handler's signal when the client cancels", async (t) => {
      const { client, seen } = await startHarness(t);
      const ac = new AbortController();
      const call = client.unary("ContainerStatus", { container_id: "wait" }, { signal: ac.signal });
      await new Promise((r) => setTimeout(r, 100));
      ac.abort();
      assert.equal((await rejection(call)).code, GrpcStatus.CANCELLED);
      for (let i = 0; i < 50 && seen.abortReasons.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(seen.abortReasons.length, 1);
    });
  });

  describe("server streaming", () => {
    it("delivers GetContainerEvents in order", async (t) => {
      const { client } = await startHarness(t, { events: 20 });
      const events = await client.collect("GetContainerEvents", {});
      assert.deepEqual(
        events.map((e) => e["container_id"]),
        Array.from({ length: 20 }, (_, i) => `c${i}`),
      );
      assert.equal(events[0]?.["container_event_type"], "CONTAINER_STARTED_EVENT");
      assert.equal(events[19]?.["created_at"], "19");
    });

    it("converts an error thrown mid-stream after the messages already sent", async (t) => {
      const { client } = await startHarness(t);
      const got: string[] = [];
      const e = await rejection(
        (async () => {
          for await (const m of client.stream("StreamContainers", { filter: { id: "fail" } })) got.push(m["containers"][0].id);
        })(),
      );
      assert.deepEqual(got, ["first"]);
      assert.equal(e.code, GrpcStatus.NOT_FOUND);
      assert.equal(e.details, 'container "fail" not found');
    });
  });

  describe("graceful close", () => {
    it("lets an in-flight call finish, refuses new calls, removes the socket", async (t) => {
      const { client, server, socketPath, seen } = await startHarness(t, { slowMs: 400 });
      const slow = client.unary("ContainerStatus", { container_id: "slow" });
      await new Promise((r) => setTimeout(r, 100));
      const closed = server.close();
      assert.equal(server.close(), closed, "close() is idempotent");
      const refused = await rejection(client.unary("Version", {}));
      assert.equal(refused.code, GrpcStatus.UNAVAILABLE);
      await slow;
      assert.equal(seen.slowFinished, 1);
      await closed;
      await assert.rejects(stat(socketPath), { code: "ENOENT" });
      const fresh = createCriClient(socketPath);
      t.after(() => fresh.close());
      assert.equal((await rejection(fresh.unary("Version", {}, { timeoutMs: 1000 }))).code, GrpcStatus.UNAVAILABLE);
    });

    it("aborts calls still running when the drain timeout passes", async (t) => {
      const { client, server, seen } = await startHarness(t);
      const stuck = rejection(client.unary("ContainerStatus", { container_id: "wait" }));
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      await server.close({ timeoutMs: 200 });
      assert.ok(performance.now() - t0 < 2000, "close() is bounded by the drain timeout");
      const e = await stuck;
      assert.equal(e.code, GrpcStatus.UNAVAILABLE);
      assert.equal(seen.abortReasons.length, 1);
    });

    it("ends long-lived server streams at once with UNAVAILABLE", async (t) => {
      const { client, server } = await startHarness(t);
      const got: string[] = [];
      const streaming = rejection(
        (async () => {
          for await (const m of client.stream("StreamPodSandboxes", {})) got.push(m["pod_sandboxes"][0].id);
        })(),
      );
      await new Promise((r) => setTimeout(r, 100));
      const t0 = performance.now();
      await server.close({ timeoutMs: 5000 });
      assert.ok(performance.now() - t0 < 2000, "the stream did not hold close() up");
      const e = await streaming;
      assert.deepEqual(got, ["p0"]);
      assert.equal(e.code, GrpcStatus.UNAVAILABLE);
      assert.equal(e.details, "runtime is shutting down");
    });

    it("destroy() cuts a close() short, and both are idempotent, also through asyncDispose", async (t) => {
      const { client, server } = await startHarness(t);
      const stuck = rejection(client.unary("ContainerStatus", { container_id: "wait" }));
      await new Promise((r) => setTimeout(r, 100));
      const closing = server.close({ timeoutMs: 60_000 });
      const t0 = performance.now();
      await server.destroy();
      await closing;
      await server.destroy();
      await server[Symbol.asyncDispose]();
      assert.ok(performance.now() - t0 < 2000);
      assert.equal((await stuck).code, GrpcStatus.UNAVAILABLE);
      await assert.rejects(server.listen(), /closed/);
    });
  });

  describe("TCP listener", () => {
    it("refuses TCP without TLS", () => {
      const { runtime } = createTestService();
      assert.throws(
        () => new CriServer({ socketPath: "/tmp/x.sock", runtime, tcp: { port: 0 } as never }),
        (e: Error) => /requires TLS/.test(e.message) && (e as { code?: string }).code === "InvalidArgument",
      );
    });

    it("serves over TLS on loopback", async (t) => {
      const dir = await tempDir(t);
      const { execFileSync } = await import("node:child_process");
      const { readFile } = await import("node:fs/promises");
      const key = join(dir, "key.pem");
      const cert = join(dir, "cert.pem");
      try {
        execFileSync(
          "openssl",
          ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
          { stdio: "ignore" },
        );
      } catch (e) {
        assert.fail(`openssl is needed to make a test certificate: ${String(e)}`);
      }
      const certPem = await readFile(cert);
      const { server } = await startHarness(t, { tcp: { port: 0, key: await readFile(key), cert: certPem } });
      const port = server.tcpAddress?.port;
      assert.ok(port !== undefined && port > 0);
      const tls: CriClient = createCriClient(`127.0.0.1:${port}`, {
        credentials: grpc.credentials.createSsl(certPem),
        channelOptions: { "grpc.ssl_target_name_override": "localhost" },
      });
      t.after(() => tls.close());
      assert.equal((await tls.unary("Version", {}))["runtime_name"], "crikit-test");
      // A socket path as :authority (what grpc-go sends through a custom dialer) is served over TLS too.
      const pathAuthority: CriClient = createCriClient(`127.0.0.1:${port}`, {
        credentials: grpc.credentials.createSsl(certPem),
        channelOptions: { "grpc.ssl_target_name_override": "localhost", "grpc.default_authority": "/run/crikit/crikit.sock" },
      });
      t.after(() => pathAuthority.close());
      assert.equal((await pathAuthority.unary("Version", {}))["runtime_name"], "crikit-test");
      const plain = createCriClient(`127.0.0.1:${port}`);
      t.after(() => plain.close());
      assert.equal((await rejection(plain.unary("Version", {}, { timeoutMs: 2000 }))).code, GrpcStatus.UNAVAILABLE);
    });
  });
});
