/**
 * SpdySession: streams, replies, data, FIN, RST_STREAM, PING, GOAWAY and
 * window updates, a client session against a server session over a
 * duplex pair, and raw frames where a client must misbehave.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { duplexPair } from "node:stream";
import { SpdySession, type SpdyStream } from "../../src/streaming/spdy-session.js";
import { HeaderCompressor, SpdyFrameReader, encodeFrame, type SpdyFrame } from "../../src/streaming/spdy-frames.js";

function pair(onStream: (s: SpdyStream) => void): { client: SpdySession; server: SpdySession } {
  const [a, b] = duplexPair();
  const server = new SpdySession(a, {
    isServer: true,
    onStream: (s) => {
      s.on("error", () => {});
      onStream(s);
    },
  });
  const client = new SpdySession(b, { isServer: false });
  return { client, server };
}

async function readAll(s: SpdyStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

test("a client stream reaches the server with its headers and is replied to; data flows both ways and FIN ends each side", async () => {
  let serverStream: SpdyStream | undefined;
  const { client, server } = pair((s) => {
    serverStream = s;
    s.on("data", (c: Buffer) => s.write(Buffer.from(c.toString().toUpperCase())));
    s.on("end", () => s.end());
  });
  const s = client.openStream({ streamtype: "stdin", port: "80" });
  await s.replied;
  assert.equal(s.id, 1);
  assert.deepEqual({ ...serverStream!.headers }, { streamtype: "stdin", port: "80" });
  s.write("hello");
  s.end();
  assert.equal(await readAll(s), "HELLO");
  const s2 = client.openStream({ streamtype: "stdout" });
  s2.on("error", () => {});
  await s2.replied;
  assert.equal(s2.id, 3, "client stream IDs are odd and increase");
  await client.close();
  await server.done;
  assert.equal(server.closed, true);
});

test("a large write is split into DATA frames of at most 64 KiB and arrives whole; the receiver sends WINDOW_UPDATE", async () => {
  const big = Buffer.alloc(300_000, 7);
  const { client, server } = pair((s) => {
    s.end(big);
  });
  const s = client.openStream({ streamtype: "stdout" });
  s.end();
  const got = Buffer.concat(await s.toArray());
  assert.equal(got.length, big.length);
  assert.ok(got.equals(big));
  // The client delivered 300 000 bytes, so it told the server so.
  await new Promise((r) => setImmediate(r));
  assert.equal(server.peerSendsWindowUpdates, true);
  client.destroy();
  await server.done;
});

test("RST_STREAM from the peer destroys the stream; destroying a stream sends RST_STREAM", async () => {
  const streams: SpdyStream[] = [];
  const { client, server } = pair((s) => streams.push(s));
  const s = client.openStream({ streamtype: "data" });
  s.on("error", () => {});
  await s.replied;
  const errored = new Promise((r) => streams[0]!.once("close", r));
  streams[0]!.on("error", () => {});
  s.on("error", () => {});
  s.reset();
  await errored;
  assert.equal(streams[0]!.destroyed, true);
  assert.equal(server.streamCount, 0);
  const t = client.openStream({ streamtype: "data" });
  t.on("error", () => {});
  await t.replied;
  const closed = new Promise((r) => t.once("close", r));
  streams[1]!.destroy();
  await closed;
  assert.equal(client.streamCount, 0);
  client.destroy();
});

test("PING is echoed by the peer", async () => {
  const { client } = pair(() => {});
  await client.ping();
  await client.ping();
  client.destroy();
});

test("the server refuses a stream with an even ID and answers PING and an unknown frame without trouble", async () => {
  const [a, b] = duplexPair();
  const server = new SpdySession(a, { isServer: true, onStream: () => assert.fail("no stream expected") });
  const c = new HeaderCompressor();
  const block = await c.compress({ streamtype: "error" });
  const reader = new SpdyFrameReader();
  const got: SpdyFrame[] = [];
  b.on("data", (chunk: Buffer) => got.push(...reader.push(chunk)));
  b.write(encodeFrame({ type: "syn_stream", streamId: 2, associatedId: 0, priority: 0, fin: false, unidirectional: false, block }));
  b.write(encodeFrame({ type: "unknown", controlType: 42, flags: 0, data: Buffer.from("x") }));
  b.write(encodeFrame({ type: "ping", id: 1 }));
  b.write(encodeFrame({ type: "data", streamId: 9, fin: false, data: Buffer.from("x") }));
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(got, [
    { type: "rst_stream", streamId: 2, status: 1 },
    { type: "ping", id: 1 },
    { type: "rst_stream", streamId: 9, status: 2 },
  ]);
  c.close();
  server.destroy();
});

test("garbage after the upgrade is answered with GOAWAY PROTOCOL_ERROR and the session closes", async () => {
  const [a, b] = duplexPair();
  const server = new SpdySession(a, { isServer: true });
  const reader = new SpdyFrameReader();
  const got: SpdyFrame[] = [];
  b.on("data", (chunk: Buffer) => got.push(...reader.push(chunk)));
  b.write(Buffer.from("8002000100000000", "hex"));
  await server.done;
  assert.deepEqual(got, [{ type: "goaway", lastGoodStreamId: 0, status: 1 }]);
});

test("close() sends GOAWAY with the last stream the peer opened; streams the peer opens afterwards are refused", async () => {
  const { client, server } = pair(() => {});
  const s = client.openStream({ streamtype: "error" });
  s.on("error", () => {});
  await s.replied;
  const goaway = server.close();
  await goaway;
  assert.equal(server.closed, true);
  await client.done;
});

test("once the peer sends WINDOW_UPDATE, the stream and session windows bound what is sent", async () => {
  const [a, b] = duplexPair();
  const big = Buffer.alloc(100_000, 1);
  let finished = false;
  const server = new SpdySession(a, {
    isServer: true,
    onStream: (s) => {
      s.on("error", () => {});
      s.end(big, () => (finished = true));
    },
  });
  const c = new HeaderCompressor();
  const reader = new SpdyFrameReader();
  let received = 0;
  b.on("data", (chunk: Buffer) => {
    for (const f of reader.push(chunk)) if (f.type === "data") received += f.data.length;
  });
  // A peer that does flow control says so with its first WINDOW_UPDATE, before the server writes.
  b.write(encodeFrame({ type: "window_update", streamId: 0, delta: 1 }));
  b.write(encodeFrame({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, block: await c.compress({ streamtype: "stdout" }) }));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(received, 65536, "the initial stream window");
  assert.equal(finished, false);
  b.write(encodeFrame({ type: "window_update", streamId: 1, delta: 10_000 }));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(received, 65537, "the session window (64 KiB + 1) is the bound now");
  b.write(encodeFrame({ type: "window_update", streamId: 0, delta: 100_000 }));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(received, 75536, "the stream window (64 KiB + 10 000) again");
  b.write(encodeFrame({ type: "window_update", streamId: 1, delta: 100_000 }));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(received, 100_000);
  assert.equal(finished, true);
  c.close();
  server.destroy();
});
