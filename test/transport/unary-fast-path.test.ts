/**
 * The unary fast path answers byte for byte as connect's full path: the same
 * service behind two servers, one with `unaryFastPath: false`, each request
 * sent raw over node:http2, and the status, headers (without `date`), DATA
 * bytes and trailers compared. Also what only the fast path does itself:
 * request IDs, handler signals on completion, metadata set by handlers and
 * interceptors.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { toBinary, create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { ContainerStatusRequestSchema, ExecSyncRequestSchema, VersionRequestSchema } from "../../src/cri.js";
import { CriServer, requestIdKey } from "../../src/transport/index.js";
import type { RuntimeServiceImpl } from "../../src/transport/index.js";
import { createTestService, tempDir } from "./test-service.js";
import type { TestContext } from "node:test";
import net from "node:net";

interface Answer {
  status: number | undefined;
  headers: Record<string, unknown>;
  data: string;
  trailers: Record<string, unknown>;
  rst: number;
}

/** Send one raw gRPC request and collect everything the server answers. */
function send(socketPath: string, path: string, body: Buffer, extra: http2.OutgoingHttpHeaders = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect("http://localhost", { createConnection: () => netConnect(socketPath) });
    session.on("error", reject);
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...extra });
    const out: Answer = { status: undefined, headers: {}, data: "", trailers: {}, rst: 0 };
    const chunks: Buffer[] = [];
    req.on("response", (h) => {
      out.status = h[":status"];
      for (const [k, v] of Object.entries(h)) if (k !== "date" && k !== ":status") out.headers[k] = v;
    });
    req.on("trailers", (h) => {
      for (const [k, v] of Object.entries(h)) out.trailers[k] = v;
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", () => {});
    req.on("close", () => {
      out.data = Buffer.concat(chunks).toString("hex");
      out.rst = req.rstCode ?? 0;
      session.close();
      resolve(out);
    });
    req.end(body);
  });
}

function netConnect(path: string): net.Socket {
  return net.connect(path);
}

function frame(msg: Uint8Array, flags = 0): Buffer {
  const b = Buffer.alloc(5 + msg.length);
  b[0] = flags;
  b.writeUInt32BE(msg.length, 1);
  b.set(msg, 5);
  return b;
}

const version = frame(toBinary(VersionRequestSchema, create(VersionRequestSchema, { version: "v1" })));
const status = (id: string) => frame(toBinary(ContainerStatusRequestSchema, create(ContainerStatusRequestSchema, { containerId: id })));

/** Two servers with the same service and options, fast path on and off. */
async function pair(t: TestContext, runtime: RuntimeServiceImpl, more: { interceptors?: Interceptor[]; readMaxBytes?: number } = {}): Promise<[string, string]> {
  const dir = await tempDir(t);
  const sockets: string[] = [];
  for (const fast of [true, false]) {
    const socketPath = join(dir, `${String(fast)}.sock`);
    const server = new CriServer({ socketPath, runtime, ready: true, unaryFastPath: fast, logger: silent, ...more });
    await server.listen();
    t.after(() => server.close());
    sockets.push(socketPath);
  }
  return [sockets[0]!, sockets[1]!];
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function same(sockets: [string, string], path: string, body: Buffer, extra: http2.OutgoingHttpHeaders = {}): Promise<Answer> {
  // A fixed request ID: error messages name it.
  const [fast, full] = await Promise.all(sockets.map((s) => send(s, path, body, { "x-request-id": "same-id", ...extra })));
  assert.deepEqual(fast, full, `${path} answers differ`);
  return fast!;
}

const V = "/runtime.v1.RuntimeService/Version";
const CS = "/runtime.v1.RuntimeService/ContainerStatus";

describe("unary fast path", () => {
  it("answers as connect does: success, handler errors, missing methods", async (t) => {
    const { runtime } = createTestService();
    const sockets = await pair(t, runtime);
    const ok = await same(sockets, V, version);
    assert.equal(ok.trailers["grpc-status"], "0");
    assert.equal(ok.headers["content-type"], "application/grpc+proto");
    assert.notEqual(ok.data, "");
    for (const id of ["missing", "enoent", "plain", "some-id"]) await same(sockets, CS, status(id));
    // A large answer (written without copying it into the frame).
    const big = await same(sockets, "/runtime.v1.RuntimeService/ExecSync", frame(toBinary(ExecSyncRequestSchema, create(ExecSyncRequestSchema, { containerId: "c", cmd: ["100000"] }))));
    assert.ok(big.data.length > 200_000);
    const unimplemented = await same(sockets, "/runtime.v1.RuntimeService/RemovePodSandbox", frame(new Uint8Array()));
    assert.equal(unimplemented.trailers["grpc-status"], String(Code.Unimplemented));
  });

  it("leaves malformed, compressed and oversized requests to connect, with connect's answers", async (t) => {
    const { runtime } = createTestService();
    const sockets = await pair(t, runtime, { readMaxBytes: 64 });
    const cases: [string, Buffer, http2.OutgoingHttpHeaders][] = [
      ["empty body", Buffer.alloc(0), {}],
      ["truncated envelope", version.subarray(0, 3), {}],
      ["truncated message", version.subarray(0, version.length - 1), {}],
      ["two messages", Buffer.concat([version, version]), {}],
      ["compressed flag without grpc-encoding", frame(new Uint8Array([1, 2]), 1), {}],
      ["gzip", frame(gzipSync(toBinary(VersionRequestSchema, create(VersionRequestSchema, {}))), 1), { "grpc-encoding": "gzip" }],
      ["unknown encoding", version, { "grpc-encoding": "br" }],
      ["not protobuf", frame(Buffer.from([0xff, 0xff, 0xff])), {}],
      ["too large", frame(new Uint8Array(100)), {}],
      ["bad grpc-timeout", version, { "grpc-timeout": "soon" }],
      ["JSON", frame(Buffer.from("{}")), { "content-type": "application/grpc+json" }],
    ];
    for (const [what, body, extra] of cases) {
      const a = await same(sockets, V, body, extra);
      if (what !== "gzip" && what !== "JSON") assert.notEqual(a.trailers["grpc-status"] ?? a.headers["grpc-status"], "0", what);
    }
  });

  it("sends headers and trailers set by handlers and interceptors, and error metadata", async (t) => {
    const runtime: RuntimeServiceImpl = {
      version(_req, ctx) {
        ctx.responseHeader.set("x-handler", "h");
        ctx.responseTrailer.set("x-handler-trailer", "t");
        return { version: ctx.requestHeader.get("x-ask") ?? "" };
      },
      containerStatus() {
        throw new ConnectError("no such container: a/b:c é%", Code.NotFound, { "x-err": "1" });
      },
    };
    const tag: Interceptor = (next) => async (req) => {
      const res = await next(req);
      res.header.set("x-interceptor", req.contextValues.get(requestIdKey));
      return res;
    };
    const sockets = await pair(t, runtime, { interceptors: [tag] });
    const a = await same(sockets, V, version, { "x-ask": "asked", "x-request-id": "rid-1" });
    assert.equal(a.headers["x-handler"], "h");
    assert.equal(a.headers["x-interceptor"], "rid-1");
    assert.equal(a.trailers["x-handler-trailer"], "t");
    const e = await same(sockets, CS, status("x"));
    assert.equal(e.trailers["grpc-status"], String(Code.NotFound));
    assert.equal(e.trailers["grpc-message"], "no such container: a/b:c %C3%A9%25");
    assert.equal(e.trailers["x-err"], "1");
  });

  it("gives handlers a signal that aborts when the call completes, and the deadline left", async (t) => {
    const signals: AbortSignal[] = [];
    const left: (number | undefined)[] = [];
    const runtime: RuntimeServiceImpl = {
      version(_req, ctx) {
        signals.push(ctx.signal);
        left.push(ctx.timeoutMs());
        return {};
      },
    };
    const [fast] = await pair(t, runtime);
    await send(fast, V, version, { "grpc-timeout": "5S" });
    await send(fast, V, version);
    assert.equal(signals.length, 2);
    for (const s of signals) assert.equal(s.aborted, true);
    assert.ok(left[0] !== undefined && left[0] > 4000 && left[0] <= 5000, `timeoutMs() gave ${String(left[0])}`);
    assert.equal(left[1], undefined);
  });
});
