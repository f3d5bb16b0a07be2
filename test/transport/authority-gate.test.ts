/**
 * The authority gate frame by frame: a raw HTTP/2 client written here sends
 * the bytes grpc-go sends (its preface, SETTINGS, HEADERS with the socket
 * path as `:authority`, HPACK with indexing) to a real `node:http2` server
 * with the gate installed, and reads the frames it gets back. Then the real
 * clients: grpc-js with each kind of authority, and crictl (grpc-go).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import grpc from "@grpc/grpc-js";
import { installAuthorityGate, isAcceptedAuthority } from "../../src/transport/authority-gate.js";
import { HpackDecoder, encodeLiteralHeaderBlock } from "../../src/transport/hpack.js";
import type { HeaderField } from "../../src/transport/hpack.js";
import { startHarness } from "./test-service.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const crictl = join(import.meta.dirname, "../../../shared/bin/crictl");

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}
const SETTINGS = frame(4, 0, 0);
const SETTINGS_ACK = frame(4, 1, 0);

interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A raw client: writes bytes, collects the server's frames. */
class RawClient {
  readonly frames: Frame[] = [];
  readonly socket: net.Socket;
  #buf = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  closed = false;
  constructor(path: string) {
    this.socket = net.connect(path);
    this.socket.on("data", (c: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, c]);
      while (this.#buf.length >= 9) {
        const len = this.#buf.readUIntBE(0, 3);
        if (this.#buf.length < 9 + len) break;
        this.frames.push({ type: this.#buf[3] ?? 0, flags: this.#buf[4] ?? 0, stream: this.#buf.readUInt32BE(5) & 0x7fffffff, payload: this.#buf.subarray(9, 9 + len) });
        this.#buf = this.#buf.subarray(9 + len);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    this.socket.on("close", () => {
      this.closed = true;
      for (const w of this.#waiters.splice(0)) w();
    });
    this.socket.on("error", () => {});
  }
  write(...bufs: Buffer[]): void {
    this.socket.write(Buffer.concat(bufs));
  }
  async waitFor(pred: (f: Frame[]) => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!pred(this.frames)) {
      if (this.closed) throw new Error(`connection closed while waiting for ${what}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(this.frames.map((f) => [f.type, f.flags, f.stream]))}`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  /** The :status of each response, in stream order, decoded with one decoder for the connection. */
  statuses(): Array<[number, string]> {
    const d = new HpackDecoder();
    return this.frames.filter((f) => f.type === 1).map((f) => [f.stream, d.decode(f.payload).find(([n]) => n === ":status")?.[1] ?? "?"]);
  }
  close(): void {
    this.socket.destroy();
  }
}

/** The handshake of a client that waits for the server's preface (grpc-go): preface, SETTINGS, then the ACK of ours. */
async function handshake(c: RawClient): Promise<void> {
  c.write(PREFACE, SETTINGS);
  await c.waitFor((f) => f.some((x) => x.type === 4 && x.flags === 0), "the server's SETTINGS");
  c.write(SETTINGS_ACK);
}

function request(authority: string, path = "/echo", extra: HeaderField[] = []): HeaderField[] {
  return [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", authority], ["content-type", "application/grpc"], ...extra];
}

describe("authority gate, frame by frame", () => {
  let dir: string;
  let sock: string;
  let server: http2.Http2Server;
  const seen: Array<{ authority: string | undefined; path: string | undefined; big?: number }> = [];
  const handovers: Array<[string, string | undefined]> = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-gate-"));
    sock = join(dir, "h2.sock");
    server = http2.createServer();
    installAuthorityGate(server, "connection", { limboTimeoutMs: 200, onHandover: (how, a) => handovers.push([how, a]) });
    server.on("stream", (stream, headers) => {
      const big = headers["x-big"];
      seen.push({ authority: headers[":authority"], path: headers[":path"], ...(typeof big === "string" ? { big: big.length } : {}) });
      stream.respond({ ":status": 200 }, { endStream: true });
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  it("accepts which characters nghttp2 accepts", () => {
    for (const ok of ["localhost", "localhost:10010", "127.0.0.1:5000", "[::1]:80", "a%2Fb", ""]) assert.equal(isAcceptedAuthority(ok), true, ok);
    for (const bad of ["/run/crikit/crikit.sock", "user@host", "a b", "x?y", "h#f", "é"]) assert.equal(isAcceptedAuthority(bad), false, bad);
  });

  it("sends its SETTINGS after the preface, waits for the ACK and the first call, then rewrites a path authority", async () => {
    seen.length = 0;
    handovers.length = 0;
    const c = new RawClient(sock);
    c.write(PREFACE, SETTINGS);
    // The server's preface: our empty SETTINGS, before any call (grpc-go waits for it).
    await c.waitFor((f) => f.some((x) => x.type === 4 && x.flags === 0), "the server's SETTINGS");
    assert.equal(handovers.length, 0, "still in limbo");
    // grpc-go's request: Huffman and incremental indexing (an independent encoder's bytes).
    const first = Buffer.from(
      "8386449962cb6a49a92afdc2bedb6a49a92ee2d9dcc42b1c4b620c7abf419162cb6a60961ba992c12c375325741c9d7f5f8b1d75d0620d263d4c4d65647a8a9acac8b4c7602bb615c14082497f864d833505b11f",
      "hex",
    );
    c.write(frame(1, 0x5, 1, first)); // END_STREAM | END_HEADERS
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(handovers.length, 0, "no handover before the ACK of our SETTINGS");
    c.write(SETTINGS_ACK);
    // The same request again: seven dynamic-table references.
    c.write(frame(1, 0x5, 3, Buffer.from("8386c2c1c0bfbe", "hex")));
    await c.waitFor(() => c.statuses().length === 2, "two responses");
    assert.deepEqual(c.statuses(), [[1, "200"], [3, "200"]]);
    assert.deepEqual(handovers, [["rewritten", "/run/crikit/crikit.sock"]]);
    assert.deepEqual(seen, [
      { authority: "localhost", path: "/runtime.v1.RuntimeService/Version" },
      { authority: "localhost", path: "/runtime.v1.RuntimeService/Version" },
    ]);
    // No GOAWAY: the ACK of our SETTINGS never reached node:http2.
    assert.equal(c.frames.some((f) => f.type === 7), false);
    c.close();
  });

  it("splits a large rewritten block into CONTINUATION frames and drops padding and keeps priority", async () => {
    seen.length = 0;
    const c = new RawClient(sock);
    await handshake(c);
    // A padded HEADERS frame with priority fields, then a block sent as HEADERS + CONTINUATION.
    const block = encodeLiteralHeaderBlock(request("/a/b.sock"));
    const padded = Buffer.concat([Buffer.from([4]), Buffer.from([0, 0, 0, 0, 15]), block, Buffer.alloc(4)]);
    c.write(frame(1, 0x8 | 0x20 | 0x5, 1, padded));
    const big = encodeLiteralHeaderBlock(request("/a/b.sock", "/big", [["x-big", "z".repeat(40_000)]]));
    c.write(frame(1, 0x1, 3, big.subarray(0, 100)), frame(9, 0, 3, big.subarray(100, 20_000)), frame(9, 0x4, 3, big.subarray(20_000)));
    await c.waitFor(() => c.statuses().length === 2, "two responses");
    assert.deepEqual(seen, [
      { authority: "localhost", path: "/echo" },
      { authority: "localhost", path: "/big", big: 40_000 },
    ]);
    c.close();
  });

  it("decides at once on a call sent with the preface (grpc-js), without a SETTINGS of its own", async () => {
    seen.length = 0;
    handovers.length = 0;
    const c = new RawClient(sock);
    c.write(PREFACE, SETTINGS, frame(1, 0x5, 1, encodeLiteralHeaderBlock(request("localhost:1234"))));
    await c.waitFor(() => c.statuses().length === 1, "a response");
    assert.deepEqual(handovers, [["native", "localhost:1234"]]);
    assert.deepEqual(seen, [{ authority: "localhost:1234", path: "/echo" }]);
    // One SETTINGS frame came: node:http2's own; the gate sent none.
    assert.equal(c.frames.filter((x) => x.type === 4 && x.flags === 0).length, 1);
    c.write(SETTINGS_ACK);
    c.close();
  });

  it("rewrites a call sent with the preface, and answers a PING sent before it", async () => {
    seen.length = 0;
    const c = new RawClient(sock);
    const data = Buffer.from("12345678");
    c.write(PREFACE, SETTINGS, frame(6, 0, 0, data), frame(1, 0x5, 1, encodeLiteralHeaderBlock(request("/x"))));
    await c.waitFor((f) => f.some((x) => x.type === 6 && x.flags === 1), "the PING ACK");
    assert.deepEqual(c.frames.find((x) => x.type === 6)?.payload, data);
    await c.waitFor(() => c.statuses().length === 1, "a response");
    assert.deepEqual(seen, [{ authority: "localhost", path: "/echo" }]);
    c.close();
  });

  it("answers a PING sent in limbo once the connection is handed over", async () => {
    const c = new RawClient(sock);
    const data = Buffer.from("abcdefgh");
    await handshake(c);
    c.write(frame(6, 0, 0, data), frame(1, 0x5, 1, encodeLiteralHeaderBlock(request("/x"))));
    await c.waitFor((f) => f.some((x) => x.type === 6 && x.flags === 1), "the PING ACK");
    assert.deepEqual(c.frames.find((x) => x.type === 6 && x.flags === 1)?.payload, data);
    c.close();
  });

  it("hands over through the rewriter when no call comes within the limbo time", async () => {
    seen.length = 0;
    handovers.length = 0;
    const c = new RawClient(sock);
    await handshake(c);
    await new Promise((r) => setTimeout(r, 400));
    assert.deepEqual(handovers, [["rewritten", undefined]]);
    c.write(frame(1, 0x5, 1, encodeLiteralHeaderBlock(request("/late"))));
    await c.waitFor(() => c.statuses().length === 1, "a response");
    assert.deepEqual(seen, [{ authority: "localhost", path: "/echo" }]);
    c.close();
  });

  it("hands what is not HTTP/2 to node:http2 at once, which closes it", async () => {
    handovers.length = 0;
    const c = new RawClient(sock);
    c.write(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    await c.waitFor(() => c.closed, "the connection to close");
    assert.deepEqual(handovers, [["untouched", undefined]]);
  });
});

describe("authority gate with real clients against CriServer", () => {
  it("serves grpc-js with the socket path, an empty and a host authority", async (t) => {
    const { socketPath } = await startHarness(t);
    for (const authority of [socketPath, "", "localhost"]) {
      const client = new grpc.Client(`unix://${socketPath}`, grpc.credentials.createInsecure(), { "grpc.default_authority": authority });
      const reply = await new Promise<Buffer>((resolve, reject) =>
        client.makeUnaryRequest(
          "/runtime.v1.RuntimeService/Version",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.alloc(0),
          (err, value) => (err ? reject(err) : resolve(value as Buffer)),
        ),
      );
      client.close();
      assert.match(reply.toString("latin1"), /crikit-test/, `authority ${JSON.stringify(authority)}`);
    }
  });

  it("serves crictl v1.26.1, whose grpc-go sends the socket path", async (t) => {
    assert.ok(existsSync(crictl), `crictl is expected at ${crictl} (scripts/setup.sh explains where it comes from)`);
    const { socketPath } = await startHarness(t);
    const run = promisify(execFile);
    const endpoint = `unix://${socketPath}`;
    const version = await run(crictl, ["--runtime-endpoint", endpoint, "--image-endpoint", endpoint, "version"]);
    assert.match(version.stdout, /RuntimeName:\s+crikit-test/);
    assert.match(version.stdout, /RuntimeApiVersion:\s+v1/);
    const info = await run(crictl, ["--runtime-endpoint", endpoint, "info"]);
    assert.equal(JSON.parse(info.stdout).status.conditions[0].type, "RuntimeReady");
  });
});
