/**
 * One stream of a {@link SpdySession}: a Node `Duplex` whose readable side
 * carries the peer's DATA and whose writable side sends DATA (at most
 * {@link MAX_DATA_CHUNK} a frame), with the stream's share of the flow
 * control described in ./spdy-session.ts.
 *
 * @packageDocumentation
 */
import { Duplex } from "node:stream";
import { DEFAULT_WINDOW, RstStatus, type SpdyHeaders } from "./spdy-frames.js";
import type { SpdySession } from "./spdy-session.js";

/** Largest DATA payload this session sends. @internal */
export const MAX_DATA_CHUNK = 64 * 1024;

/**
 * One SPDY stream: the readable side carries the peer's DATA, the writable
 * side sends DATA.
 *
 * @internal
 */
export class SpdyStream extends Duplex {
  /** The stream ID. */
  readonly id: number;
  /** The SYN_STREAM headers (or, for a stream we opened, the ones we sent). */
  readonly headers: SpdyHeaders;
  /** The SYN_REPLY headers, once replied (streams we opened). */
  replyHeaders: SpdyHeaders | undefined;
  readonly #session: SpdySession;
  #localFin = false;
  #remoteFin = false;
  #reset = false;
  #delivered = 0;
  /** What the peer lets this stream send (may go negative before enforcement starts). */
  #sendWindow: number;
  /** Writes waiting for window; `null` data is the FIN. */
  readonly #queued: Array<{ data: Buffer | null; cb: (err?: Error | null) => void }> = [];
  #wantsMore = false;
  #replied: Promise<void>;
  #onReply: (() => void) | undefined;

  /** @internal */
  constructor(session: SpdySession, id: number, headers: SpdyHeaders, replied: boolean) {
    // A larger read buffer than the default 16 KiB: fewer pauses of the whole socket under bulk transfer.
    // Likewise for writes: with the default 64 KiB, every full 64 KiB chunk a
    // forwarded connection reads makes write() return false, so the reader
    // paused and resumed its socket once per chunk.
    super({ allowHalfOpen: true, readableHighWaterMark: 256 * 1024, writableHighWaterMark: 256 * 1024 });
    this.id = id;
    this.headers = headers;
    this.#session = session;
    this.#sendWindow = session.peerInitialWindow;
    this.#replied = replied ? Promise.resolve() : new Promise<void>((resolve) => (this.#onReply = resolve));
    this.#replied.catch(() => {});
  }

  /** Resolves when the peer has replied (streams we opened). */
  get replied(): Promise<void> {
    return this.#replied;
  }

  /** Sends RST_STREAM with `status` and destroys the stream. */
  reset(status: number = RstStatus.CANCEL): void {
    if (!this.#reset && !(this.#localFin && this.#remoteFin)) {
      this.#reset = true;
      this.#session._send({ type: "rst_stream", streamId: this.id, status });
    }
    this.destroy();
  }

  /** @internal */
  _onReply(headers: SpdyHeaders): void {
    this.replyHeaders = headers;
    this.#onReply?.();
    this.#onReply = undefined;
  }

  /** @internal */
  _onData(data: Buffer, fin: boolean): void {
    if (this.#remoteFin || this.destroyed) return;
    if (data.length > 0) {
      this.#delivered += data.length;
      if (this.#delivered >= DEFAULT_WINDOW / 2) {
        this.#session._send({ type: "window_update", streamId: this.id, delta: this.#delivered });
        this.#delivered = 0;
      }
      this.#session._delivered(data.length);
      if (!this.push(data)) {
        this.#wantsMore = false;
        this.#session._pauseFor(this);
      }
    }
    if (fin) {
      this.#remoteFin = true;
      this.push(null);
    }
  }

  /** @internal */
  _onReset(): void {
    this.#reset = true;
    this.destroy(Object.assign(new Error(`stream ${this.id} reset by the peer`), { code: "ERR_SPDY_STREAM_RESET" }));
  }

  /** @internal the session is gone */
  _onSessionClosed(err: Error | undefined): void {
    this.#reset = true;
    if (this.destroyed) return;
    // A stream whose peer had finished sending loses nothing: what it sent
    // can still be read, and the writable side just ends. Others were cut off.
    if (this.#remoteFin) {
      if (!this.writableEnded) this.end();
      return;
    }
    this.destroy(err ?? Object.assign(new Error(`SPDY session closed before stream ${this.id} ended`), { code: "ECONNRESET" }));
  }

  /** Whether the stream still waits for a read to resume the socket. */
  get _paused(): boolean {
    return !this.#wantsMore;
  }

  override _read(): void {
    this.#wantsMore = true;
    this.#session._resumeFor(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#reset || this.#localFin) {
      cb(Object.assign(new Error(`stream ${this.id} is closed`), { code: "ERR_STREAM_DESTROYED" }));
      return;
    }
    if (chunk.length === 0) {
      cb();
      return;
    }
    this.#queued.push({ data: chunk, cb });
    this._flush();
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.#reset) {
      cb();
      return;
    }
    this.#queued.push({ data: null, cb });
    this._flush();
  }

  /** @internal the peer granted `delta` more bytes on this stream */
  _grant(delta: number): void {
    this.#sendWindow += delta;
    this._flush();
  }

  /**
   * @internal Sends what the windows allow (everything while the peer does
   * no flow control), in DATA frames of at most 64 KiB.
   */
  _flush(): void {
    while (this.#queued.length > 0) {
      if (this.#reset) {
        for (const q of this.#queued.splice(0)) q.cb(Object.assign(new Error(`stream ${this.id} is closed`), { code: "ERR_STREAM_DESTROYED" }));
        return;
      }
      const head = this.#queued[0] as { data: Buffer | null; cb: (err?: Error | null) => void };
      if (head.data === null) {
        this.#queued.shift();
        this.#localFin = true;
        this.#session._send({ type: "data", streamId: this.id, fin: true, data: Buffer.alloc(0) }, head.cb);
        continue;
      }
      const allowance = this.#session._allowance(this.#sendWindow);
      if (allowance <= 0) return;
      const n = Math.min(allowance, head.data.length, MAX_DATA_CHUNK);
      const part = head.data.subarray(0, n);
      this.#sendWindow -= n;
      this.#session._spent(n);
      if (n === head.data.length) {
        this.#queued.shift();
        this.#session._send({ type: "data", streamId: this.id, fin: false, data: part }, head.cb);
      } else {
        head.data = head.data.subarray(n);
        this.#session._send({ type: "data", streamId: this.id, fin: false, data: part });
      }
    }
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.#reset && !(this.#localFin && this.#remoteFin) && !this.#session.closed) {
      this.#reset = true;
      this.#session._send({ type: "rst_stream", streamId: this.id, status: RstStatus.CANCEL });
    }
    for (const q of this.#queued.splice(0)) q.cb(Object.assign(new Error(`stream ${this.id} is closed`), { code: "ERR_STREAM_DESTROYED" }));
    this.#session._forget(this);
    cb(err);
  }
}
