/**
 * createOciStreamingRuntime: sessions go to the adapter and namespace the
 * lookups name, lookup errors pass through, an aborted signal starts
 * nothing; CriService.streamingRuntime() answers NotFound for unknown ids.
 * (The sessions themselves run against real containers in
 * test/oci/streaming.test.ts and test/network/port-forward.test.ts.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { PassThrough, duplexPair } from "node:stream";
import { createOciStreamingRuntime, createCriService, type CriService } from "../../src/server/index.js";
import { resolveDaemonConfig } from "../../src/config/index.js";
import { failedPrecondition, hasErrorCode, notFound } from "../../src/errors.js";
import type { StreamingIO } from "../../src/streaming/runtime.js";

describe("createOciStreamingRuntime", () => {
  const calls: unknown[][] = [];
  const fakeOci = {
    async exec(id: string, cmd: readonly string[], io: StreamingIO, options: { signal?: AbortSignal | undefined }): Promise<number> {
      calls.push(["exec", id, cmd, io.tty, options.signal !== undefined]);
      return 7;
    },
    async attach(id: string, io: StreamingIO, options: { signal?: AbortSignal | undefined }): Promise<void> {
      calls.push(["attach", id, io.tty, options.signal !== undefined]);
    },
  };
  const runtime = createOciStreamingRuntime({
    lookupContainer: (id) => {
      if (id === "gone") throw notFound(`container "${id}" not found`);
      if (id === "stopped") throw failedPrecondition(`container "${id}" is not running`);
      return { runtime: fakeOci, id: `${id}-full` };
    },
    lookupSandbox: async (id) => {
      if (id === "gone") throw notFound(`pod "${id}" not found`);
      return {};
    },
  });

  it("sends exec and attach to the adapter under the full id", async () => {
    calls.length = 0;
    assert.equal(await runtime.exec("abc", ["true"], { tty: true }, new AbortController().signal), 7);
    await runtime.attach("abc", { tty: false }, new AbortController().signal);
    assert.deepEqual(calls, [
      ["exec", "abc-full", ["true"], true, true],
      ["attach", "abc-full", false, true],
    ]);
  });

  it("passes the lookups' errors on", async () => {
    const s = new AbortController().signal;
    await assert.rejects(runtime.exec("gone", ["true"], { tty: false }, s), (e: unknown) => hasErrorCode(e, "NotFound"));
    await assert.rejects(runtime.attach("stopped", { tty: false }, s), (e: unknown) => hasErrorCode(e, "FailedPrecondition"));
    await assert.rejects(runtime.portForward("gone", 80, new PassThrough(), s), (e: unknown) => hasErrorCode(e, "NotFound"));
  });

  it("starts nothing once the signal has aborted", async () => {
    calls.length = 0;
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(runtime.exec("abc", ["true"], { tty: false }, ac.signal));
    assert.deepEqual(calls, []);
  });

  it("forwards a host-network pod's port on the host's loopback", async () => {
    const server = createServer((s) => s.end("pong"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const [stream, client] = duplexPair();
    let text = "";
    client.on("data", (b: Buffer) => (text += b.toString()));
    const done = runtime.portForward("host-pod", port, stream, new AbortController().signal);
    client.end();
    await done;
    server.close();
    assert.equal(text, "pong");
  });
});

describe("CriService.streamingRuntime", () => {
  let dir = "";
  let service: CriService;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-service-stream-"));
    const config = resolveDaemonConfig({ root: join(dir, "root"), state: join(dir, "state"), socket: join(dir, "s.sock"), cni: { conf_dir: join(dir, "net.d") } });
    service = createCriService({ config });
    await service.recover();
  });
  after(async () => {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers NotFound for an unknown container or pod", async () => {
    const rt = service.streamingRuntime();
    const s = new AbortController().signal;
    await assert.rejects(rt.exec("nope", ["true"], { tty: false }, s), (e: unknown) => hasErrorCode(e, "NotFound"));
    await assert.rejects(rt.attach("nope", { tty: false }, s), (e: unknown) => hasErrorCode(e, "NotFound"));
    await assert.rejects(rt.portForward("nope", 80, new PassThrough(), s), (e: unknown) => hasErrorCode(e, "NotFound"));
  });
});
