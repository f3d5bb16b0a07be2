import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createCriClient } from "../../src/client/index.js";
import { notFound } from "../../src/errors.js";
import { CriServer } from "../../src/transport/index.js";

describe("the CRI server's default logger", () => {
  it("prints an unexpected handler exception to stderr with the RPC, request ID and stack, and stays quiet on CrikitErrors", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-logger-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const socketPath = join(dir, "cri.sock");
    const server = new CriServer({
      socketPath,
      ready: true,
      runtime: {
        version: () => {
          throw new TypeError("cannot read properties of undefined (reading 'name')");
        },
        containerStatus: () => {
          throw notFound("container \"abc\" not found", "container_id");
        },
      },
    });
    const written: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      await server.listen();
      await using client = createCriClient(socketPath);
      await assert.rejects(client.runtime.version({}, { headers: { "x-request-id": "req-42" } }), (e: unknown) => e instanceof ConnectError && e.code === Code.Unknown && /internal error \(request id req-42\)/.test(e.rawMessage));
      await assert.rejects(client.runtime.containerStatus({ containerId: "abc" }), (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound);
    } finally {
      process.stderr.write = write;
      await server.close();
    }
    const out = written.join("");
    assert.match(out, /^crikit: Version failed: internal error \(request id req-42\); the runtime's log has the details \{"rpc":"Version".*"requestId":"req-42".*"code":"Unknown"\}\nTypeError/);
    assert.match(out, /"requestId":"req-42"/);
    assert.match(out, /TypeError: cannot read properties of undefined \(reading 'name'\)\n\s+at (Object\.)?version \(.*default-logger\.test\.ts/);
    assert.doesNotMatch(out, /ContainerStatus/);
  });
});
