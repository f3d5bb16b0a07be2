/**
 * Serving gRPC clients whose `:authority` Node's HTTP/2 layer refuses.
 *
 * grpc-go dialing a unix socket through a custom dialer (crictl up to 1.30,
 * the kubelet up to 1.30, grpcurl `-unix`) sends the socket path, say
 * `/run/crikit/crikit.sock`, as `:authority`. nghttp2, under `node:http2`,
 * takes a `/` (or `@`, `?`, a space ...) there as a malformed request and
 * resets the stream with PROTOCOL_ERROR before any handler runs, and Node
 * has no option to turn that check off. So the check is met before nghttp2
 * sees the request:
 *
 * ```
 *   accept ──▶ limbo ──(our SETTINGS acked, first HEADERS decoded)──▶ decide
 *                                     │
 *            authority nghttp2 accepts ┴ authority it refuses
 *                      │                          │
 *          raw socket to node:http2     AuthorityRewriter (a Duplex) to node:http2:
 *          (native, no cost per call)   every header block re-encoded with
 *                                        `:authority: localhost`
 * ```
 *
 * Limbo: the connection's first bytes are read in JavaScript. A client that
 * sends its first call with its preface (grpc-js) is decided on at once.
 * Otherwise, once the client's preface has arrived, the gate sends an empty
 * SETTINGS frame (grpc-go waits for the server's preface before it sends a
 * call), reads until that SETTINGS frame's ACK and the first complete
 * header block have come, and removes the ACK (node:http2 would take an ACK
 * of settings it never sent as a connection error). It then hands the bytes
 * read so far and the rest of the connection to node:http2: the socket itself when the authority
 * passes, so its calls pay nothing, or a rewriter when it does not. A client
 * that sends no call within `limboTimeoutMs`, or sends too much before one,
 * goes through the rewriter (correct for any authority). Something that is
 * not HTTP/2 with prior knowledge is handed over untouched at once.
 *
 * The rewriter follows the client's HPACK encoder with its own decoder and
 * writes every header block again as literal fields only (so node:http2's
 * decoder table never has to agree with anything), in one HEADERS frame
 * and CONTINUATION frames of at most 16,384 bytes, dropping padding. All
 * other frames, and everything the server writes, pass through as they are.
 *
 * @packageDocumentation
 */
import { Duplex } from "node:stream";
import type net from "node:net";
import { HpackDecoder, HpackError, encodeLiteralHeaderBlock } from "./hpack.js";
import type { HeaderField } from "./hpack.js";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const FRAME_HEADER = 9;
const TYPE_HEADERS = 0x1;
const TYPE_SETTINGS = 0x4;
const TYPE_CONTINUATION = 0x9;
const FLAG_ACK = 0x1;
const FLAG_END_STREAM = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;
/** SETTINGS_MAX_FRAME_SIZE's initial value: every HTTP/2 peer accepts frames this large. */
const MAX_FRAME = 16_384;
/** An empty SETTINGS frame: the server's connection preface, with the defaults. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, TYPE_SETTINGS, 0, 0, 0, 0, 0]);
/** What limbo may hold before the rewriter takes the connection. */
const MAX_LIMBO_BYTES = 1 << 20;

/**
 * Whether nghttp2 accepts `value` as a request's `:authority`: the
 * characters of an RFC 3986 host and port (letters, digits,
 * `-._~!$&'()*+,;=:%[]`), no user info, no path.
 *
 * @public
 */
export function isAcceptedAuthority(value: string): boolean {
  return /^[A-Za-z0-9\-._~!$&'()*+,;=:%[\]]*$/.test(value);
}

/**
 * Options of {@link installAuthorityGate}.
 *
 * @public
 */
export interface AuthorityGateOptions {
  /**
   * The `:authority` a refused one is replaced with.
   * @defaultValue `"localhost"`
   */
  replacement?: string;
  /**
   * How long a connection may stay in limbo (no call yet) before it is
   * handed over through the rewriter, in ms.
   * @defaultValue 2000
   */
  limboTimeoutMs?: number;
  /** Told how each connection was handed over. */
  onHandover?: (how: "native" | "rewritten" | "untouched", authority: string | undefined) => void;
}

/**
 * Put the gate in front of an `http2` server's connection handling: the
 * server's `event` listener (`"connection"` for `http2.createServer`,
 * `"secureConnection"` for `http2.createSecureServer`) is moved behind it.
 *
 * @public
 */
export function installAuthorityGate(server: net.Server, event: "connection" | "secureConnection", options: AuthorityGateOptions = {}): void {
  const listeners = server.listeners(event) as Array<(socket: Duplex) => void>;
  server.removeAllListeners(event);
  const handOver = (socket: Duplex): void => {
    for (const l of listeners) l.call(server, socket);
  };
  server.on(event, (socket: net.Socket) => gate(socket, handOver, options));
}

/** One connection in limbo. */
function gate(socket: net.Socket, handOver: (socket: Duplex) => void, options: AuthorityGateOptions): void {
  let buf: Buffer = Buffer.alloc(0);
  let pos = 0; // start of the next unparsed frame in buf
  let prefaceOk = false;
  let settingsSent = false;
  let ackAt = -1; // offset of the ACK of our SETTINGS in buf, once it came
  let block: Buffer[] | undefined; // header block fragments of the first request so far
  let authority: string | undefined;
  let decided = false;
  let done = false;
  const timer = setTimeout(() => finish("rewritten"), options.limboTimeoutMs ?? 2000);
  timer.unref();

  const onData = (chunk: Buffer): void => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    try {
      step();
    } catch {
      finish("rewritten"); // the rewriter (or nghttp2 behind it) answers malformed input
    }
  };
  const onGone = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
  };
  socket.on("data", onData);
  socket.once("end", onGone);
  socket.once("error", onGone);
  socket.once("close", onGone);

  function step(): void {
    if (!prefaceOk) {
      const n = Math.min(buf.length, PREFACE.length);
      if (!buf.subarray(0, n).equals(PREFACE.subarray(0, n))) return finish("untouched");
      if (buf.length < PREFACE.length) return;
      prefaceOk = true;
      pos = PREFACE.length;
    }
    while (!decided && buf.length - pos >= FRAME_HEADER) {
      const len = buf.readUIntBE(pos, 3);
      const type = buf[pos + 3] ?? 0;
      const flags = buf[pos + 4] ?? 0;
      if (buf.length - pos < FRAME_HEADER + len) break;
      const payload = buf.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + len);
      if (type === TYPE_SETTINGS && (flags & FLAG_ACK) !== 0 && settingsSent && ackAt < 0) ackAt = pos;
      else if (block === undefined && type === TYPE_HEADERS) block = [headerFragment(payload, flags)];
      else if (block !== undefined && authority === undefined && type === TYPE_CONTINUATION) block.push(payload);
      if (block !== undefined && authority === undefined && (type === TYPE_HEADERS || type === TYPE_CONTINUATION) && (flags & FLAG_END_HEADERS) !== 0) {
        authority = new HpackDecoder().decode(Buffer.concat(block)).find(([n]) => n === ":authority")?.[1] ?? "";
      }
      pos += FRAME_HEADER + len;
      if (authority !== undefined && (!settingsSent || ackAt >= 0)) decided = true;
    }
    if (decided) finish(isAcceptedAuthority(authority ?? "") ? "native" : "rewritten");
    else if (buf.length > MAX_LIMBO_BYTES) finish("rewritten");
    else if (!settingsSent) {
      // No call came with the preface: send the server's preface and wait for its ACK.
      settingsSent = true;
      socket.write(EMPTY_SETTINGS);
    }
  }

  function finish(how: "native" | "rewritten" | "untouched"): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("end", onGone);
    socket.off("error", onGone);
    socket.off("close", onGone);
    socket.pause();
    const held = ackAt < 0 ? buf : Buffer.concat([buf.subarray(0, ackAt), buf.subarray(ackAt + FRAME_HEADER)]);
    options.onHandover?.(how, authority);
    if (how === "rewritten") {
      handOver(new AuthorityRewriter(socket, held, options.replacement ?? "localhost"));
    } else {
      if (held.length > 0) socket.unshift(held);
      handOver(socket);
    }
  }
}

/** The header block fragment of a HEADERS frame: padding and priority fields removed. */
function headerFragment(payload: Buffer, flags: number): Buffer {
  let start = 0;
  let end = payload.length;
  if (flags & FLAG_PADDED) {
    start = 1;
    end -= payload[0] ?? 0;
  }
  if (flags & FLAG_PRIORITY) start += 5;
  if (start > end) throw new HpackError("HEADERS padding longer than the frame");
  return payload.subarray(start, end);
}

/**
 * The client's side of a connection, with every request header block
 * re-encoded and its `:authority` replaced when nghttp2 would refuse it.
 * Writes go to the socket unchanged.
 */
class AuthorityRewriter extends Duplex {
  readonly #socket: net.Socket;
  readonly #replacement: string;
  readonly #decoder = new HpackDecoder();
  #buf: Buffer = Buffer.alloc(0);
  #prefaceLeft = PREFACE.length;
  /** The HEADERS frame whose block is being collected: its stream, flags and priority fields. */
  #open: { stream: number; flags: number; priority: Buffer | undefined; fragments: Buffer[] } | undefined;

  constructor(socket: net.Socket, held: Buffer, replacement: string) {
    super({ allowHalfOpen: true });
    this.#socket = socket;
    this.#replacement = replacement;
    socket.on("data", (chunk: Buffer) => {
      if (!this.#feed(chunk)) socket.pause();
    });
    socket.once("end", () => this.push(null));
    socket.once("error", (err) => this.destroy(err));
    socket.once("close", () => this.destroy());
    if (held.length > 0) this.#feed(held);
  }

  /** Parse what came and push whole frames, rewritten where needed. Returns push's backpressure verdict. */
  #feed(chunk: Buffer): boolean {
    let buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: Buffer[] = [];
    if (this.#prefaceLeft > 0) {
      const n = Math.min(this.#prefaceLeft, buf.length);
      out.push(buf.subarray(0, n));
      buf = buf.subarray(n);
      this.#prefaceLeft -= n;
    }
    let pos = 0;
    while (buf.length - pos >= FRAME_HEADER) {
      const len = buf.readUIntBE(pos, 3);
      if (buf.length - pos < FRAME_HEADER + len) break;
      const type = buf[pos + 3] ?? 0;
      const flags = buf[pos + 4] ?? 0;
      const stream = buf.readUInt32BE(pos + 5) & 0x7fffffff;
      const payload = buf.subarray(pos + FRAME_HEADER, pos + FRAME_HEADER + len);
      if (type === TYPE_HEADERS) {
        const priority = flags & FLAG_PRIORITY ? payload.subarray(flags & FLAG_PADDED ? 1 : 0, (flags & FLAG_PADDED ? 1 : 0) + 5) : undefined;
        this.#open = { stream, flags, priority, fragments: [headerFragment(payload, flags)] };
      } else if (type === TYPE_CONTINUATION && this.#open !== undefined) {
        this.#open.fragments.push(payload);
      } else {
        out.push(buf.subarray(pos, pos + FRAME_HEADER + len));
      }
      if ((type === TYPE_HEADERS || type === TYPE_CONTINUATION) && this.#open !== undefined && flags & FLAG_END_HEADERS) {
        out.push(this.#rewrite(this.#open));
        this.#open = undefined;
      }
      pos += FRAME_HEADER + len;
    }
    this.#buf = buf.subarray(pos);
    let more = true;
    for (const b of out) more = this.push(b);
    return more;
  }

  #rewrite(open: { stream: number; flags: number; priority: Buffer | undefined; fragments: Buffer[] }): Buffer {
    let fields: HeaderField[];
    try {
      fields = this.#decoder.decode(Buffer.concat(open.fragments));
    } catch (err) {
      // The client's encoder and ours disagree: nothing on this connection can be trusted.
      this.destroy(err as Error);
      return Buffer.alloc(0);
    }
    const fixed = fields.map(([n, v]): HeaderField => (n === ":authority" && !isAcceptedAuthority(v) ? [n, this.#replacement] : [n, v]));
    return headerFrames(open.stream, open.flags & FLAG_END_STREAM, open.priority, encodeLiteralHeaderBlock(fixed));
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#socket.write(chunk, cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    for (let i = 0; i < chunks.length - 1; i++) this.#socket.write((chunks[i] as { chunk: Buffer }).chunk);
    this.#socket.write((chunks[chunks.length - 1] as { chunk: Buffer }).chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.#socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#socket.destroy(err ?? undefined);
    cb(err);
  }
}

/** One header block as a HEADERS frame and as many CONTINUATION frames as it needs. */
function headerFrames(stream: number, endStream: number, priority: Buffer | undefined, block: Buffer): Buffer {
  const frames: Buffer[] = [];
  const first = priority === undefined ? block.subarray(0, MAX_FRAME) : Buffer.concat([priority, block.subarray(0, MAX_FRAME - 5)]);
  let at = first.length - (priority === undefined ? 0 : 5);
  const last = at >= block.length;
  frames.push(frameHeader(first.length, TYPE_HEADERS, endStream | (priority === undefined ? 0 : FLAG_PRIORITY) | (last ? FLAG_END_HEADERS : 0), stream), first);
  while (at < block.length) {
    const part = block.subarray(at, at + MAX_FRAME);
    at += part.length;
    frames.push(frameHeader(part.length, TYPE_CONTINUATION, at >= block.length ? FLAG_END_HEADERS : 0, stream), part);
  }
  return Buffer.concat(frames);
}

function frameHeader(length: number, type: number, flags: number, stream: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER);
  h.writeUIntBE(length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return h;
}
