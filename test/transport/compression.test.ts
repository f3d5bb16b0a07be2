import { describe, it } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { ExecSyncRequestSchema } from "../../src/cri.js";
import { startHarness } from "./test-service.js";

/**
 * One raw gRPC call over HTTP/2 that accepts gzip, returning the response's
 * grpc-encoding header and the compressed flag of its first message frame.
 */
async function rawExecSync(socketPath: string, bytes: number): Promise<{ encoding: string | undefined; compressedFlag: number }> {
  const session = http2.connect("http://localhost", { createConnection: () => net.connect(socketPath) });
  try {
    const msg = toBinary(ExecSyncRequestSchema, create(ExecSyncRequestSchema, { containerId: "x", cmd: [String(bytes)] }));
    const frame = Buffer.alloc(5 + msg.length);
    frame.writeUInt32BE(msg.length, 1);
    frame.set(msg, 5);
    const req = session.request({
      ":method": "POST",
      ":path": "/runtime.v1.RuntimeService/ExecSync",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-accept-encoding": "gzip",
    });
    req.end(frame);
    const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
    });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    assert.ok(body.length >= 5, "a message frame came back");
    const enc = headers["grpc-encoding"];
    return { encoding: typeof enc === "string" ? enc : undefined, compressedFlag: body[0] ?? -1 };
  } finally {
    session.close();
  }
}

describe("response compression", () => {
  it("sends large responses uncompressed by default, even to a client that accepts gzip", async (t) => {
    const { server } = await startHarness(t);
    const r = await rawExecSync(server.socketPath, 200_000);
    // gRPC marks compression per message: the frame's flag byte says whether
    // this one is compressed (the grpc-encoding header only names the codec)
    assert.equal(r.compressedFlag, 0);
  });

  it("gzips responses over compressMinBytes when configured", async (t) => {
    const { server } = await startHarness(t, { compressMinBytes: 1024 });
    const r = await rawExecSync(server.socketPath, 200_000);
    assert.equal(r.encoding, "gzip");
    assert.equal(r.compressedFlag, 1);
  });
});
