/**
 * The sending side of a SPDY session (./spdy-session.ts): frames go to the socket in
 * the order they are queued. A frame with a header block waits for zlib
 * (one compression context per session, used in order), and every frame
 * queued after it waits behind it; with no header block in flight a frame
 * is written at once, DATA as its 8-byte header and the payload as given
 * (no copy). A write's callback runs when the socket has written it out
 * (not when it was merely queued): that is the backpressure of the SPDY
 * streams, and tells a writer that the buffer it passed is free again.
 *
 * @packageDocumentation
 */
import type { Duplex } from "node:stream";
import { HeaderCompressor, encodeDataHeader, encodeFrame, type SpdyFrame, type SpdyHeaders } from "./spdy-frames.js";

/** Writes a session's frames in order (see the file header). @internal */
export class SpdyFrameWriter {
  readonly #socket: Duplex;
  readonly #isClosed: () => boolean;
  readonly #fail: (err: Error) => void;
  readonly #compressor = new HeaderCompressor();
  #outTail: Promise<void> | null = null;

  /** `isClosed` tells whether the session has closed; `fail` closes it on an error. */
  constructor(socket: Duplex, isClosed: () => boolean, fail: (err: Error) => void) {
    this.#socket = socket;
    this.#isClosed = isClosed;
    this.#fail = fail;
  }

  /** Queues a frame without a header block. */
  send(frame: SpdyFrame, cb?: (err?: Error | null) => void): void {
    if (this.#outTail === null) {
      // DATA goes out as its 8-byte header and the payload as given, no copy.
      if (frame.type === "data" && frame.data.length > 0) this.#write([encodeDataHeader(frame.streamId, frame.fin, frame.data.length), frame.data], cb);
      else this.#write([encodeFrame(frame)], cb);
      return;
    }
    const buf = encodeFrame(frame);
    this.#chain(async () => buf, cb);
  }

  /** Queues a frame whose header block is `headers`, compressed in turn. */
  sendHeaders(build: (block: Buffer) => SpdyFrame, headers: SpdyHeaders): void {
    this.#chain(async () => encodeFrame(build(await this.#compressor.compress(headers))));
  }

  #chain(build: () => Promise<Buffer>, cb?: (err?: Error | null) => void): void {
    const prev = this.#outTail ?? Promise.resolve();
    const next = prev.then(async () => {
      const buf = await build();
      this.#write([buf], cb);
    });
    const tail = next.catch((err: unknown) => {
      cb?.(err as Error);
      this.#fail(err as Error);
    });
    this.#outTail = tail;
    void tail.then(() => {
      if (this.#outTail === tail) this.#outTail = null;
    });
  }

  #write(bufs: Buffer[], cb?: (err?: Error | null) => void): void {
    if (this.#isClosed() || this.#socket.destroyed || this.#socket.writableEnded) {
      cb?.(Object.assign(new Error("SPDY session closed"), { code: "ERR_STREAM_DESTROYED" }));
      return;
    }
    // The callback runs once the socket has written the bytes out (or failed),
    // so a writer may reuse the buffer it passed; it is the streams' backpressure.
    if (bufs.length === 1) this.#socket.write(bufs[0] as Buffer, cb);
    else {
      this.#socket.cork();
      for (let i = 0; i < bufs.length - 1; i++) this.#socket.write(bufs[i] as Buffer);
      this.#socket.write(bufs[bufs.length - 1] as Buffer, cb);
      this.#socket.uncork();
    }
  }

  /** Frees the compression context. */
  close(): void {
    this.#compressor.close();
  }
}
