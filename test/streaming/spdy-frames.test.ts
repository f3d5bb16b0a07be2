/**
 * SPDY/3.1 frames, byte by byte against the draft's layouts (section 2.2
 * and 2.6), and the header-block compression (2.6.10).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { deflateSync, inflateSync, constants as zlibConstants } from "node:zlib";
import {
  HeaderCompressor,
  HeaderDecompressor,
  SpdyFrameReader,
  SpdyProtocolError,
  decodeHeaderBlock,
  encodeFrame,
  encodeHeaderBlock,
  type SpdyFrame,
} from "../../src/streaming/spdy-frames.js";
import { SPDY3_DICTIONARY } from "../../src/streaming/spdy-dictionary.js";

const hex = (b: Buffer): string => b.toString("hex");

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

test("a DATA frame is C=0, the 31-bit stream ID, flags, a 24-bit length and the payload", () => {
  const b = encodeFrame({ type: "data", streamId: 5, fin: true, data: Buffer.from("hi") });
  assert.equal(hex(b), "00000005" + "01" + "000002" + "6869");
});

test("control frames carry C=1, version 3, their type, flags and length", () => {
  const cases: Array<{ desc: string; frame: SpdyFrame; bytes: string }> = [
    {
      desc: "SYN_STREAM: stream ID, associated ID, priority in the top 3 bits, slot, then the block",
      frame: { type: "syn_stream", streamId: 1, associatedId: 0, priority: 7, fin: false, unidirectional: true, block: Buffer.from("ab") },
      bytes: "8003" + "0001" + "02" + "00000c" + "00000001" + "00000000" + "e0" + "00" + "6162",
    },
    { desc: "SYN_REPLY with FIN", frame: { type: "syn_reply", streamId: 3, fin: true, block: Buffer.alloc(0) }, bytes: "8003000201000004" + "00000003" },
    { desc: "RST_STREAM CANCEL", frame: { type: "rst_stream", streamId: 7, status: 5 }, bytes: "8003000300000008" + "00000007" + "00000005" },
    {
      desc: "SETTINGS with one entry (flags, 24-bit ID, value)",
      frame: { type: "settings", clear: false, entries: [{ flags: 1, id: 7, value: 65536 }] },
      bytes: "800300040000000c" + "00000001" + "01000007" + "00010000",
    },
    { desc: "PING", frame: { type: "ping", id: 2 }, bytes: "8003000600000004" + "00000002" },
    { desc: "GOAWAY with status", frame: { type: "goaway", lastGoodStreamId: 9, status: 1 }, bytes: "8003000700000008" + "00000009" + "00000001" },
    { desc: "HEADERS", frame: { type: "headers", streamId: 1, fin: false, block: Buffer.from([0xff]) }, bytes: "8003000800000005" + "00000001" + "ff" },
    { desc: "WINDOW_UPDATE", frame: { type: "window_update", streamId: 0, delta: 32768 }, bytes: "8003000900000008" + "00000000" + "00008000" },
  ];
  for (const c of cases) {
    const b = encodeFrame(c.frame);
    assert.equal(hex(b), c.bytes, c.desc);
    assert.deepEqual(new SpdyFrameReader().push(b), [c.frame], c.desc);
  }
});

test("the reader reassembles frames fed one byte at a time and keeps a partial frame", () => {
  const frames: SpdyFrame[] = [
    { type: "ping", id: 1 },
    { type: "data", streamId: 1, fin: false, data: Buffer.from("hello") },
    { type: "data", streamId: 1, fin: true, data: Buffer.alloc(0) },
  ];
  const bytes = Buffer.concat(frames.map(encodeFrame));
  const r = new SpdyFrameReader();
  const got: SpdyFrame[] = [];
  for (let i = 0; i < bytes.length; i++) got.push(...r.push(bytes.subarray(i, i + 1)));
  assert.deepEqual(got, frames);
  assert.equal(r.pending, 0);
  assert.deepEqual(r.push(bytes.subarray(0, 5)), []);
  assert.equal(r.pending, 5);
});

test("a control frame of another SPDY version is a protocol error; unknown types pass as unknown", () => {
  const v2 = Buffer.from("8002000600000004" + "00000001", "hex");
  assert.throws(() => new SpdyFrameReader().push(v2), SpdyProtocolError);
  const unknown = Buffer.from("8003000a01000001" + "aa", "hex");
  assert.deepEqual(new SpdyFrameReader().push(unknown), [{ type: "unknown", controlType: 10, flags: 1, data: Buffer.from([0xaa]) }]);
  assert.throws(() => new SpdyFrameReader().push(Buffer.from("8003000300000004" + "00000001", "hex")), /shorter/);
});

test("a header block is a 32-bit count, then 32-bit length-prefixed names and values", () => {
  const b = encodeHeaderBlock({ streamtype: "stdout", port: "80" });
  assert.equal(hex(b), "00000002" + "0000000a" + hex(Buffer.from("streamtype")) + "00000006" + hex(Buffer.from("stdout")) + "00000004" + hex(Buffer.from("port")) + "00000002" + hex(Buffer.from("80")));
  assert.deepEqual({ ...decodeHeaderBlock(b) }, { streamtype: "stdout", port: "80" });
  assert.deepEqual({ ...decodeHeaderBlock(encodeHeaderBlock({ a: "x\0y" })) }, { a: "x\0y" }, "several values stay NUL-joined");
  assert.throws(() => decodeHeaderBlock(b.subarray(0, b.length - 1)), /truncated/);
  const upper = Buffer.from("00000001" + "00000001" + "41" + "00000000", "hex");
  assert.throws(() => decodeHeaderBlock(upper), /not lowercase/);
});

test("the dictionary is the draft's: 1423 bytes, Adler-32 0xe3c6a7c2, and compressed blocks name it", async () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2);
  const c = new HeaderCompressor();
  const first = await c.compress({ streamtype: "error" });
  // zlib header with FDICT, then the dictionary's Adler-32.
  assert.equal(first[0], 0x78);
  assert.equal(first[1]! & 0x20, 0x20);
  assert.equal(first.readUInt32BE(2), 0xe3c6a7c2);
  // Every block ends with a sync flush (an empty stored block).
  assert.equal(hex(first.subarray(-4)), "0000ffff");
  c.close();
});

test("header blocks share one compression context per direction and round-trip", async () => {
  const c = new HeaderCompressor();
  const d = new HeaderDecompressor();
  const blocks = [{ streamtype: "error" }, { streamtype: "stdout" }, { streamtype: "data", port: "8080", requestid: "0" }, {}];
  const compressed: Buffer[] = [];
  for (const h of blocks) compressed.push(await c.compress(h));
  // Later blocks refer back to earlier ones: they cannot be inflated alone.
  assert.throws(() => inflateSync(compressed[1]!, { dictionary: SPDY3_DICTIONARY, finishFlush: zlibConstants.Z_SYNC_FLUSH }));
  for (const [i, h] of blocks.entries()) assert.deepEqual({ ...(await d.decompress(compressed[i]!)) }, h);
  c.close();
  d.close();
});

test("a block compressed by plain zlib with the dictionary decompresses", async () => {
  const raw = encodeHeaderBlock({ streamtype: "resize" });
  const block = deflateSync(raw, { dictionary: SPDY3_DICTIONARY, finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const d = new HeaderDecompressor();
  assert.deepEqual({ ...(await d.decompress(block)) }, { streamtype: "resize" });
  await assert.rejects(d.decompress(Buffer.from("garbage")), SpdyProtocolError);
  d.close();
});
