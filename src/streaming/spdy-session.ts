/**
 * A SPDY/3.1 session over one duplex byte stream (the socket after the
 * HTTP upgrade), with each SPDY stream a Node `Duplex` (./spdy-stream.ts).
 *
 * What it does, per the SPDY/3.1 draft:
 * - SYN_STREAM from the peer opens a stream (IDs odd from a client, even
 *   from a server, increasing); the session answers with SYN_REPLY at once
 *   (Kubernetes clients wait for it) and hands the stream to `onStream`.
 *   A bad stream ID gets RST_STREAM PROTOCOL_ERROR.
 * - DATA goes to the stream's readable side; FIN ends it. Writing to the
 *   stream sends DATA (at most 64 KiB a frame); ending it sends an empty
 *   DATA with FIN. A stream both ends of which have finished is closed; one
 *   destroyed earlier sends RST_STREAM CANCEL. RST_STREAM from the peer
 *   destroys the stream.
 * - Header blocks go through one zlib context per direction with the
 *   SPDY/3 dictionary.
 * - PING from the peer is echoed; GOAWAY stops new streams; SETTINGS are
 *   read for the initial window size. The peer ending its side of the
 *   socket ends the session (Kubernetes peers never half-close).
 * - Flow control, receiving side: WINDOW_UPDATE for a stream once half a
 *   window has been delivered to it, and (3.1) for the session once half a
 *   window has been delivered in all. Sending side: the stream and session
 *   windows are counted always and kept once the peer has sent one
 *   WINDOW_UPDATE. moby/spdystream, the SPDY stack of client-go, crictl and
 *   the kubelet, never sends one and ignores windows (as does the
 *   kubelet's own streaming server), so with it nothing waits for window;
 *   backpressure comes from the socket.
 *
 * @packageDocumentation
 */
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import {
  DEFAULT_WINDOW,
  GoawayStatus,
  HeaderDecompressor,
  RstStatus,
  SettingsId,
  SpdyFrameReader,
  SpdyProtocolError,
  type SpdyFrame,
  type SpdyHeaders,
} from "./spdy-frames.js";
import { SpdyStream } from "./spdy-stream.js";
import { SpdyFrameWriter } from "./spdy-writer.js";

export { MAX_DATA_CHUNK, SpdyStream } from "./spdy-stream.js";

/** Options of {@link SpdySession}. @internal */
export interface SpdySessionOptions {
  /** Whether this end is the server (accepts odd stream IDs, opens even ones). */
  isServer: boolean;
  /** Called for every stream the peer opens, after the SYN_REPLY is queued. */
  onStream?: (stream: SpdyStream) => void;
}

/**
 * A SPDY/3.1 session (see the file header).
 *
 * Events: `close` (the socket closed; `error` argument when it failed).
 *
 * @internal
 */
export class SpdySession extends EventEmitter {
  readonly #socket: Duplex;
  readonly #isServer: boolean;
  readonly #onStream: ((stream: SpdyStream) => void) | undefined;
  readonly #reader = new SpdyFrameReader();
  readonly #decompressor = new HeaderDecompressor();
  readonly #streams = new Map<number, SpdyStream>();
  readonly #inbox: SpdyFrame[] = [];
  #pumping = false;
  #peerEnded = false;
  readonly #writer: SpdyFrameWriter;
  #lastPeerStreamId = 0;
  #nextStreamId: number;
  #nextPingId: number;
  #sessionDelivered = 0;
  /** What the peer lets the session send (SPDY/3.1). */
  #sendWindow = DEFAULT_WINDOW;
  #goneAway = false;
  #closing = false;
  #closed = false;
  #paused = new Set<SpdyStream>();
  /** The peer's SETTINGS_INITIAL_WINDOW_SIZE, when it sent one. */
  peerInitialWindow = DEFAULT_WINDOW;
  /** Whether the peer ever sent WINDOW_UPDATE (it does flow control). */
  peerSendsWindowUpdates = false;
  /** Resolves when the socket has closed. */
  readonly done: Promise<void>;

  constructor(socket: Duplex, options: SpdySessionOptions) {
    super();
    this.#socket = socket;
    this.#isServer = options.isServer;
    this.#onStream = options.onStream;
    this.#nextStreamId = options.isServer ? 2 : 1;
    this.#nextPingId = options.isServer ? 2 : 1;
    this.done = new Promise((resolve) => this.once("close", () => resolve()));
    // Small frames (keystrokes, WINDOW_UPDATE) must not wait for Nagle's delayed ACK.
    (socket as Duplex & { setNoDelay?: (on: boolean) => unknown }).setNoDelay?.(true);
    socket.on("data", (chunk: Buffer) => this.#onBytes(chunk));
    this.#writer = new SpdyFrameWriter(socket, () => this.#closed, (err) => this.destroy(err));
    socket.on("error", (err: Error) => this.#teardown(err));
    // Kubernetes peers never half-close: the end of their bytes is the end
    // of the session, once the frames read before it are handled (a header
    // block may still be in zlib's thread pool).
    const onEnd = (): void => {
      this.#peerEnded = true;
      void this.#pump();
    };
    socket.on("end", onEnd);
    socket.on("close", onEnd);
  }

  /** Whether the session has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The number of open streams. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Feeds bytes read before the session took the socket (the upgrade's `head`). */
  feed(head: Buffer): void {
    if (head.length > 0) this.#onBytes(head);
  }

  /** Opens a stream (a client opens odd IDs, a server even ones). */
  openStream(headers: SpdyHeaders, options: { fin?: boolean } = {}): SpdyStream {
    if (this.#closed || this.#goneAway) throw new Error("SPDY session is closed");
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    const stream = new SpdyStream(this, id, headers, false);
    this.#streams.set(id, stream);
    this.#writer.sendHeaders((block) => ({ type: "syn_stream", streamId: id, associatedId: 0, priority: 0, fin: options.fin ?? false, unidirectional: false, block }), headers);
    if (options.fin) stream.end();
    return stream;
  }

  /** Sends PING and resolves when the peer echoes it. */
  ping(): Promise<void> {
    const id = this.#nextPingId;
    this.#nextPingId += 2;
    return new Promise((resolve, reject) => {
      const onPing = (pid: number): void => {
        if (pid !== id) return;
        this.off("ping", onPing);
        this.off("close", onClose);
        resolve();
      };
      const onClose = (): void => {
        this.off("ping", onPing);
        reject(new Error("SPDY session closed"));
      };
      this.on("ping", onPing);
      this.once("close", onClose);
      this._send({ type: "ping", id });
    });
  }

  /**
   * Sends GOAWAY and ends the socket once everything queued is written;
   * resolves when the socket has closed.
   */
  close(): Promise<void> {
    if (!this.#closing && !this.#closed) {
      this.#closing = true;
      this.#goneAway = true;
      this._send({ type: "goaway", lastGoodStreamId: this.#lastPeerStreamId, status: GoawayStatus.OK }, () => this.#socket.end());
    }
    return this.done;
  }

  /** Closes the socket at once; open streams are destroyed. */
  destroy(err?: Error): void {
    this.#socket.destroy();
    this.#teardown(err);
  }

  /** @internal queues a frame without a header block. */
  _send(frame: SpdyFrame, cb?: (err?: Error | null) => void): void {
    this.#writer.send(frame, cb);
  }

  /** @internal the peer's data was delivered to a stream: give the session window back in halves */
  _delivered(n: number): void {
    this.#sessionDelivered += n;
    if (this.#sessionDelivered >= DEFAULT_WINDOW / 2) {
      this._send({ type: "window_update", streamId: 0, delta: this.#sessionDelivered });
      this.#sessionDelivered = 0;
    }
  }

  /** @internal how much a stream with `streamWindow` may send now */
  _allowance(streamWindow: number): number {
    if (!this.peerSendsWindowUpdates) return Number.MAX_SAFE_INTEGER;
    return Math.min(streamWindow, this.#sendWindow);
  }

  /** @internal bytes sent against the session window */
  _spent(n: number): void {
    this.#sendWindow -= n;
  }

  /** @internal a stream's buffer is full */
  _pauseFor(stream: SpdyStream): void {
    this.#paused.add(stream);
    this.#socket.pause();
  }

  /** @internal a stream wants more */
  _resumeFor(stream: SpdyStream): void {
    if (this.#paused.delete(stream) && this.#paused.size === 0 && !this.#closed) this.#socket.resume();
  }

  /** @internal */
  _forget(stream: SpdyStream): void {
    if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
    this._resumeFor(stream);
  }

  #onBytes(chunk: Buffer): void {
    if (this.#closed) return;
    try {
      for (const f of this.#reader.push(chunk)) this.#inbox.push(f);
    } catch (err) {
      this.#protocolError(err as Error);
      return;
    }
    void this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#inbox.length > 0 && !this.#closed) {
        const f = this.#inbox.shift() as SpdyFrame;
        const pending = this.#handle(f);
        if (pending !== undefined) await pending;
      }
    } catch (err) {
      this.#protocolError(err as Error);
    } finally {
      this.#pumping = false;
    }
    if (this.#peerEnded && this.#inbox.length === 0 && !this.#closed) this.destroy();
  }

  #protocolError(err: Error): void {
    if (this.#closed) return;
    if (err instanceof SpdyProtocolError) {
      this._send({ type: "goaway", lastGoodStreamId: this.#lastPeerStreamId, status: GoawayStatus.PROTOCOL_ERROR }, () => this.#socket.end());
      this.#goneAway = true;
      setImmediate(() => this.destroy(err));
      return;
    }
    this.destroy(err);
  }

  /** Handles a frame; a promise only for frames with a header block. */
  #handle(f: SpdyFrame): Promise<void> | undefined {
    switch (f.type) {
      case "data": {
        const s = this.#streams.get(f.streamId);
        if (s === undefined) {
          this._send({ type: "rst_stream", streamId: f.streamId, status: RstStatus.INVALID_STREAM });
          return;
        }
        s._onData(f.data, f.fin);
        return;
      }
      case "syn_stream":
        return this.#onSynStream(f);
      case "syn_reply":
      case "headers":
        return this.#onReplyOrHeaders(f);
      case "rst_stream":
        this.#streams.get(f.streamId)?._onReset();
        return;
      case "settings":
        for (const e of f.entries) {
          if (e.id !== SettingsId.INITIAL_WINDOW_SIZE) continue;
          // The change applies to the open streams too (draft 3.1, section 2.6.4).
          const delta = e.value - this.peerInitialWindow;
          this.peerInitialWindow = e.value;
          for (const st of this.#streams.values()) st._grant(delta);
        }
        return;
      case "ping": {
        // Our pings have our parity; the peer's are echoed.
        const ours = (f.id % 2 === 0) === this.#isServer;
        if (ours) this.emit("ping", f.id);
        else this._send({ type: "ping", id: f.id });
        return;
      }
      case "goaway":
        this.#goneAway = true;
        return;
      case "window_update":
        // A peer that sends WINDOW_UPDATE does flow control: from now on its windows are kept.
        this.peerSendsWindowUpdates = true;
        if (f.streamId === 0) {
          this.#sendWindow += f.delta;
          for (const st of this.#streams.values()) st._flush();
        } else this.#streams.get(f.streamId)?._grant(f.delta);
        return;
      case "unknown":
        // Unknown control frames are ignored (draft 3.1, section 2.2.1).
        return;
    }
  }

  async #onSynStream(f: Extract<SpdyFrame, { type: "syn_stream" }>): Promise<void> {
    const headers = await this.#decompressor.decompress(f.block);
    const peerParity = this.#isServer ? 1 : 0;
    if (f.streamId === 0 || f.streamId % 2 !== peerParity || f.streamId <= this.#lastPeerStreamId) {
      this._send({ type: "rst_stream", streamId: f.streamId, status: RstStatus.PROTOCOL_ERROR });
      return;
    }
    this.#lastPeerStreamId = f.streamId;
    if (this.#goneAway) {
      this._send({ type: "rst_stream", streamId: f.streamId, status: RstStatus.REFUSED_STREAM });
      return;
    }
    const stream = new SpdyStream(this, f.streamId, headers, true);
    this.#streams.set(f.streamId, stream);
    this.#writer.sendHeaders((block) => ({ type: "syn_reply", streamId: f.streamId, fin: false, block }), {});
    if (f.fin) stream._onData(Buffer.alloc(0), true);
    if (f.unidirectional) stream.end();
    if (this.#onStream) this.#onStream(stream);
    else this.emit("stream", stream);
  }

  async #onReplyOrHeaders(f: Extract<SpdyFrame, { type: "syn_reply" | "headers" }>): Promise<void> {
    const headers = await this.#decompressor.decompress(f.block);
    const s = this.#streams.get(f.streamId);
    if (s === undefined) return;
    if (f.type === "syn_reply") s._onReply(headers);
    if (f.fin) s._onData(Buffer.alloc(0), true);
  }

  #teardown(err: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [...this.#streams.values()]) s._onSessionClosed(err);
    this.#streams.clear();
    this.#paused.clear();
    this.#inbox.length = 0;
    this.#writer.close();
    this.#decompressor.close();
    if (!this.#socket.destroyed) this.#socket.destroy();
    this.emit("close", err);
  }
}
