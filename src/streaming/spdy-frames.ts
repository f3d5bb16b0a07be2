/**
 * SPDY/3.1 frames (SPDY Protocol draft 3.1, section 2.2): encoding and
 * decoding, with no I/O. Header blocks are compressed by the session
 * ({@link HeaderCompressor}, {@link HeaderDecompressor}), so the frames here
 * carry them as opaque compressed bytes.
 *
 * ```
 * control frame:  |1| version (15) | type (16) | flags (8) | length (24) | data
 * data frame:     |0| stream id (31)           | flags (8) | length (24) | data
 * ```
 *
 * Kubernetes clients (moby/spdystream, which client-go and crictl use)
 * speak version 3 framing even though the HTTP upgrade token says
 * `SPDY/3.1`; version 3 and 3.1 frames are the same bytes (3.1 adds only
 * the session-wide window, WINDOW_UPDATE on stream 0).
 *
 * @packageDocumentation
 */
import { createDeflate, createInflate, constants as zlibConstants, type Deflate, type Inflate } from "node:zlib";
import { SPDY3_DICTIONARY } from "./spdy-dictionary.js";

/** The SPDY version in control frames. @internal */
export const SPDY_VERSION = 3;

/** Control frame types. @internal */
export const SpdyControlType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** Frame flags. @internal */
export const SpdyFlag = { FIN: 0x01, UNIDIRECTIONAL: 0x02, SETTINGS_CLEAR: 0x01 } as const;

/** RST_STREAM status codes. @internal */
export const RstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  FRAME_TOO_LARGE: 11,
} as const;

/** GOAWAY status codes. @internal */
export const GoawayStatus = { OK: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2 } as const;

/** SETTINGS identifiers used here. @internal */
export const SettingsId = { INITIAL_WINDOW_SIZE: 7 } as const;

/** The initial stream (and session) flow-control window. @internal */
export const DEFAULT_WINDOW = 64 * 1024;
/** The largest frame payload (24-bit length). @internal */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** A decoded frame; header blocks still compressed. @internal */
export type SpdyFrame =
  | { type: "data"; streamId: number; fin: boolean; data: Buffer }
  | { type: "syn_stream"; streamId: number; associatedId: number; priority: number; fin: boolean; unidirectional: boolean; block: Buffer }
  | { type: "syn_reply"; streamId: number; fin: boolean; block: Buffer }
  | { type: "headers"; streamId: number; fin: boolean; block: Buffer }
  | { type: "rst_stream"; streamId: number; status: number }
  | { type: "settings"; clear: boolean; entries: Array<{ flags: number; id: number; value: number }> }
  | { type: "ping"; id: number }
  | { type: "goaway"; lastGoodStreamId: number; status: number }
  | { type: "window_update"; streamId: number; delta: number }
  | { type: "unknown"; controlType: number; flags: number; data: Buffer };

/** A framing error: the session answers it with GOAWAY PROTOCOL_ERROR. @internal */
export class SpdyProtocolError extends Error {
  override readonly name = "SpdyProtocolError";
}

function header8(control: boolean, first: number, flags: number, length: number): Buffer {
  if (length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY frame payload of ${length} bytes exceeds ${MAX_FRAME_PAYLOAD}`);
  const b = Buffer.allocUnsafe(8);
  if (control) {
    b.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
    b.writeUInt16BE(first, 2);
  } else {
    b.writeUInt32BE(first & 0x7fffffff, 0);
  }
  b.writeUInt32BE(((flags & 0xff) << 24) | length, 4);
  return b;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  return Buffer.concat([header8(true, type, flags, payload.length), payload]);
}

/** The 8 bytes before a DATA frame's payload. @internal */
export function encodeDataHeader(streamId: number, fin: boolean, length: number): Buffer {
  return header8(false, streamId, fin ? SpdyFlag.FIN : 0, length);
}

/** Encodes a frame (header blocks already compressed). @internal */
export function encodeFrame(f: SpdyFrame): Buffer {
  switch (f.type) {
    case "data":
      return Buffer.concat([header8(false, f.streamId, f.fin ? SpdyFlag.FIN : 0, f.data.length), f.data]);
    case "syn_stream": {
      const p = Buffer.alloc(10);
      p.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      p.writeUInt32BE(f.associatedId & 0x7fffffff, 4);
      p.writeUInt8((f.priority & 0x7) << 5, 8);
      return control(SpdyControlType.SYN_STREAM, (f.fin ? SpdyFlag.FIN : 0) | (f.unidirectional ? SpdyFlag.UNIDIRECTIONAL : 0), Buffer.concat([p, f.block]));
    }
    case "syn_reply":
    case "headers": {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      return control(f.type === "syn_reply" ? SpdyControlType.SYN_REPLY : SpdyControlType.HEADERS, f.fin ? SpdyFlag.FIN : 0, Buffer.concat([p, f.block]));
    }
    case "rst_stream": {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      p.writeUInt32BE(f.status, 4);
      return control(SpdyControlType.RST_STREAM, 0, p);
    }
    case "settings": {
      const p = Buffer.alloc(4 + 8 * f.entries.length);
      p.writeUInt32BE(f.entries.length, 0);
      f.entries.forEach((e, i) => {
        p.writeUInt32BE(((e.flags & 0xff) << 24) | (e.id & 0xffffff), 4 + 8 * i);
        p.writeUInt32BE(e.value >>> 0, 8 + 8 * i);
      });
      return control(SpdyControlType.SETTINGS, f.clear ? SpdyFlag.SETTINGS_CLEAR : 0, p);
    }
    case "ping": {
      const p = Buffer.alloc(4);
      p.writeUInt32BE(f.id >>> 0, 0);
      return control(SpdyControlType.PING, 0, p);
    }
    case "goaway": {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(f.lastGoodStreamId & 0x7fffffff, 0);
      p.writeUInt32BE(f.status, 4);
      return control(SpdyControlType.GOAWAY, 0, p);
    }
    case "window_update": {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(f.streamId & 0x7fffffff, 0);
      p.writeUInt32BE(f.delta & 0x7fffffff, 4);
      return control(SpdyControlType.WINDOW_UPDATE, 0, p);
    }
    case "unknown":
      return control(f.controlType, f.flags, f.data);
  }
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new SpdyProtocolError(`${what} frame of ${payload.length} bytes is shorter than ${n}`);
}

function decodeControl(type: number, flags: number, p: Buffer): SpdyFrame {
  const fin = (flags & SpdyFlag.FIN) !== 0;
  switch (type) {
    case SpdyControlType.SYN_STREAM:
      need(p, 10, "SYN_STREAM");
      return {
        type: "syn_stream",
        streamId: p.readUInt32BE(0) & 0x7fffffff,
        associatedId: p.readUInt32BE(4) & 0x7fffffff,
        priority: p.readUInt8(8) >> 5,
        fin,
        unidirectional: (flags & SpdyFlag.UNIDIRECTIONAL) !== 0,
        block: p.subarray(10),
      };
    case SpdyControlType.SYN_REPLY:
    case SpdyControlType.HEADERS:
      need(p, 4, type === SpdyControlType.SYN_REPLY ? "SYN_REPLY" : "HEADERS");
      return { type: type === SpdyControlType.SYN_REPLY ? "syn_reply" : "headers", streamId: p.readUInt32BE(0) & 0x7fffffff, fin, block: p.subarray(4) };
    case SpdyControlType.RST_STREAM:
      need(p, 8, "RST_STREAM");
      return { type: "rst_stream", streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
    case SpdyControlType.SETTINGS: {
      need(p, 4, "SETTINGS");
      const n = p.readUInt32BE(0);
      need(p, 4 + 8 * n, "SETTINGS");
      const entries = [];
      for (let i = 0; i < n; i++) {
        const idf = p.readUInt32BE(4 + 8 * i);
        entries.push({ flags: idf >>> 24, id: idf & 0xffffff, value: p.readUInt32BE(8 + 8 * i) });
      }
      return { type: "settings", clear: (flags & SpdyFlag.SETTINGS_CLEAR) !== 0, entries };
    }
    case SpdyControlType.PING:
      need(p, 4, "PING");
      return { type: "ping", id: p.readUInt32BE(0) };
    case SpdyControlType.GOAWAY:
      need(p, 4, "GOAWAY");
      // SPDY/2 GOAWAY has no status; SPDY/3 has one.
      return { type: "goaway", lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
    case SpdyControlType.WINDOW_UPDATE:
      need(p, 8, "WINDOW_UPDATE");
      return { type: "window_update", streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      return { type: "unknown", controlType: type, flags, data: p };
  }
}

/**
 * Splits a byte stream into frames. Feed it bytes as they arrive; it
 * returns the complete frames and keeps the rest.
 *
 * @internal
 */
export class SpdyFrameReader {
  #buf: Buffer = Buffer.alloc(0);

  /** Appends `chunk` and returns every frame now complete. */
  push(chunk: Buffer): SpdyFrame[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: SpdyFrame[] = [];
    let off = 0;
    while (this.#buf.length - off >= 8) {
      const w0 = this.#buf.readUInt32BE(off);
      const w1 = this.#buf.readUInt32BE(off + 4);
      const len = w1 & 0xffffff;
      if (this.#buf.length - off < 8 + len) break;
      const flags = w1 >>> 24;
      const payload = this.#buf.subarray(off + 8, off + 8 + len);
      off += 8 + len;
      if ((w0 & 0x80000000) !== 0) {
        const version = (w0 >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
        // Control frames are kept a while (header blocks queue for zlib): copy them off the read buffer.
        out.push(decodeControl(w0 & 0xffff, flags, Buffer.from(payload)));
      } else {
        // DATA is handed on at once: a view, no copy.
        out.push({ type: "data", streamId: w0 & 0x7fffffff, fin: (flags & SpdyFlag.FIN) !== 0, data: payload });
      }
    }
    this.#buf = off === this.#buf.length ? Buffer.alloc(0) : this.#buf.subarray(off);
    return out;
  }

  /** Bytes held that do not yet make a whole frame. */
  get pending(): number {
    return this.#buf.length;
  }
}

/** Header name to value; several values of one name are joined with NUL. @internal */
export type SpdyHeaders = Record<string, string>;

/** The uncompressed name/value block of SPDY/3 (32-bit counts and lengths). @internal */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  const entries = Object.entries(headers);
  n.writeUInt32BE(entries.length);
  parts.push(n);
  for (const [name, value] of entries) {
    for (const s of [name.toLowerCase(), value]) {
      const b = Buffer.from(s, "utf8");
      const l = Buffer.alloc(4);
      l.writeUInt32BE(b.length);
      parts.push(l, b);
    }
  }
  return Buffer.concat(parts);
}

/** Parses an uncompressed name/value block. @internal */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  const out: SpdyHeaders = Object.create(null) as SpdyHeaders;
  let off = 0;
  const u32 = (): number => {
    if (off + 4 > block.length) throw new SpdyProtocolError("truncated header block");
    const v = block.readUInt32BE(off);
    off += 4;
    return v;
  };
  const str = (): string => {
    const len = u32();
    if (off + len > block.length) throw new SpdyProtocolError("truncated header block");
    const s = block.toString("utf8", off, off + len);
    off += len;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = str();
    const value = str();
    if (name === "") throw new SpdyProtocolError("empty header name");
    if (name !== name.toLowerCase()) throw new SpdyProtocolError(`header name ${JSON.stringify(name)} is not lowercase`);
    if (name in out) throw new SpdyProtocolError(`duplicate header ${JSON.stringify(name)}`);
    out[name] = value;
  }
  return out;
}

/**
 * One zlib stream run block by block; it is freed only when no block is in
 * the thread pool (freeing a zlib handle with work in flight aborts Node).
 */
class ZlibContext {
  readonly #z: Deflate | Inflate;
  #busy = 0;
  #closing = false;
  constructor(z: Deflate | Inflate) {
    this.#z = z;
    z.on("error", () => {});
  }
  async run(chunk: Buffer): Promise<Buffer> {
    if (this.#closing) throw new Error("header compression context closed");
    this.#busy++;
    try {
      return await syncFlush(this.#z, chunk);
    } finally {
      this.#busy--;
      if (this.#closing && this.#busy === 0) this.#z.close();
    }
  }
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#busy === 0) this.#z.close();
  }
}

/** Runs one zlib stream chunk by chunk, each ended with a sync flush. */
async function syncFlush(z: Deflate | Inflate, chunk: Buffer): Promise<Buffer> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    z.once("error", onError);
    z.write(chunk);
    z.flush(zlibConstants.Z_SYNC_FLUSH, () => {
      z.off("error", onError);
      resolve();
    });
  });
  const out: Buffer[] = [];
  for (let c: Buffer | null = z.read() as Buffer | null; c !== null; c = z.read() as Buffer | null) out.push(c);
  return Buffer.concat(out);
}

/**
 * The compressing side of a session's header blocks: one zlib stream with
 * the SPDY/3 dictionary for the whole session, each block ended by a sync
 * flush. Calls must not overlap (the session serializes them).
 *
 * @internal
 */
export class HeaderCompressor {
  readonly #z = new ZlibContext(createDeflate({ dictionary: SPDY3_DICTIONARY }));
  /** Compresses the block of `headers`. */
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.#z.run(encodeHeaderBlock(headers));
  }
  /** Frees the zlib stream (once a block in progress is done). */
  close(): void {
    this.#z.close();
  }
}

/**
 * The decompressing side of a session's header blocks (see
 * {@link HeaderCompressor}).
 *
 * @internal
 */
export class HeaderDecompressor {
  readonly #z = new ZlibContext(createInflate({ dictionary: SPDY3_DICTIONARY }));
  /** Decompresses and parses one header block. */
  async decompress(block: Buffer): Promise<SpdyHeaders> {
    let raw: Buffer;
    try {
      raw = await this.#z.run(block);
    } catch (err) {
      throw new SpdyProtocolError(`header block does not decompress: ${(err as Error).message}`);
    }
    return decodeHeaderBlock(raw);
  }
  /** Frees the zlib stream (once a block in progress is done). */
  close(): void {
    this.#z.close();
  }
}
