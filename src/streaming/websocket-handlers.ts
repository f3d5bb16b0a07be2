/**
 * The Kubernetes streaming protocols over WebSocket (with `ws`).
 *
 * remotecommand: each message starts with its channel: 0 stdin, 1 stdout,
 * 2 stderr, 3 error, 4 resize. The `base64.` variants send text messages
 * whose first character is the channel digit and whose rest is base64.
 * `v5.channel.k8s.io` adds channel 255, a close signal: `[255, n]` ends
 * channel n (the client closing stdin). On open the server sends an empty
 * message on its lowest output channel; at the end it writes the status on
 * channel 3 (JSON `Status` for v4 and v5) and closes with 1000.
 *
 * port-forward: the ports come from the URL's `port` parameters (else the
 * RPC's ports); port i uses channel 2i for data and 2i+1 for errors, and
 * the server opens each with the port as 2 bytes little-endian. One
 * connection per port; the WebSocket closes when every port is done.
 *
 * @packageDocumentation
 */
import { Duplex, PassThrough, Writable } from "node:stream";
import type { WebSocket } from "ws";
import {
  AsyncQueue,
  ResizeParser,
  WEBSOCKET_PORT_FORWARD_PROTOCOLS,
  WEBSOCKET_REMOTE_COMMAND_PROTOCOLS,
  encodeStatus,
  negotiateProtocol,
  runRemoteCommand,
  type SessionOutcome,
  type StreamPortForwardRequest,
  type StreamRequest,
} from "./protocol.js";
import type { StreamingIO, TerminalSize } from "./runtime.js";
import type { SessionContext } from "./spdy-handlers.js";

/** Channel numbers of remotecommand. @internal */
export const Channel = { STDIN: 0, STDOUT: 1, STDERR: 2, ERROR: 3, RESIZE: 4, CLOSE: 255 } as const;

/**
 * The sub-protocol to answer for `kind` given the client's offer: `""`
 * when the client offered none (binary `channel.k8s.io` framing),
 * `undefined` when nothing matches.
 *
 * @internal
 */
export function selectWebSocketProtocol(kind: StreamRequest["kind"], offered: readonly string[]): string | undefined {
  if (offered.length === 0) return "";
  return negotiateProtocol(offered, kind === "portforward" ? WEBSOCKET_PORT_FORWARD_PROTOCOLS : WEBSOCKET_REMOTE_COMMAND_PROTOCOLS);
}

/** Frames one channel message. @internal */
export function encodeChannelMessage(base64: boolean, channel: number, data: Buffer): Buffer | string {
  if (base64) return String.fromCharCode(48 + channel) + data.toString("base64");
  const b = Buffer.allocUnsafe(data.length + 1);
  b[0] = channel;
  data.copy(b, 1);
  return b;
}

/** Parses one channel message; `undefined` for an empty or malformed one. @internal */
export function decodeChannelMessage(base64: boolean, data: Buffer | string, isBinary: boolean): { channel: number; data: Buffer } | undefined {
  if (base64) {
    const text = typeof data === "string" ? data : data.toString("latin1");
    if (text.length === 0) return undefined;
    const code = text.charCodeAt(0);
    // v5's close signal is binary even in base64 variants.
    if (isBinary && code === Channel.CLOSE) return { channel: Channel.CLOSE, data: Buffer.from(text.slice(1), "latin1") };
    if (code < 48 || code > 57) return undefined;
    return { channel: code - 48, data: Buffer.from(text.slice(1), "base64") };
  }
  const b = typeof data === "string" ? Buffer.from(data) : data;
  if (b.length === 0) return undefined;
  return { channel: b[0] as number, data: b.subarray(1) };
}

function wsWriter(ws: WebSocket, base64: boolean, channel: number): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb): void {
      if (ws.readyState !== ws.OPEN) {
        cb(Object.assign(new Error("WebSocket closed"), { code: "ERR_STREAM_DESTROYED" }));
        return;
      }
      ws.send(encodeChannelMessage(base64, channel, chunk), (err) => cb(err ?? null));
    },
  });
}

async function waitClosed(closed: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function finished(w: Writable | undefined): Promise<void> {
  if (w === undefined || w.writableFinished || w.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    w.once("finish", () => resolve());
    w.once("close", () => resolve());
    w.once("error", () => resolve());
    w.end();
  });
}

/**
 * Serves one request over an open WebSocket; resolves when the session is
 * over (the caller terminates the socket).
 *
 * @internal
 */
export async function serveWebSocket(ws: WebSocket, protocol: string, req: StreamRequest, query: URLSearchParams, ctx: SessionContext): Promise<void> {
  ws.on("error", () => {});
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  const base64 = protocol.includes("base64");
  if (req.kind === "portforward") {
    await servePortForward(ws, base64, req, query, ctx, closed);
    return;
  }
  const v5 = protocol.startsWith("v5.");
  const io: StreamingIO = { tty: req.tty };
  let stdin: PassThrough | undefined;
  if (req.stdin) io.stdin = stdin = new PassThrough();
  const stdout = req.stdout ? wsWriter(ws, base64, Channel.STDOUT) : undefined;
  const stderr = req.stderr && !req.tty ? wsWriter(ws, base64, Channel.STDERR) : undefined;
  if (stdout) io.stdout = stdout;
  if (stderr) io.stderr = stderr;
  let resize: AsyncQueue<TerminalSize> | undefined;
  const parser = new ResizeParser();
  if (req.tty) io.resize = resize = new AsyncQueue<TerminalSize>();
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const m = decodeChannelMessage(base64, data, isBinary);
    if (m === undefined) return;
    if (m.channel === Channel.STDIN) stdin?.write(m.data);
    else if (m.channel === Channel.RESIZE) for (const s of parser.push(m.data)) resize?.push(s);
    else if (v5 && m.channel === Channel.CLOSE && m.data[0] === Channel.STDIN) stdin?.end();
  });
  void closed.then(() => {
    stdin?.end();
    resize?.end();
  });
  // Tell the client the session is open: an empty message on the lowest output channel.
  ws.send(encodeChannelMessage(base64, stdout ? Channel.STDOUT : stderr ? Channel.STDERR : Channel.ERROR, Buffer.alloc(0)));
  let outcome: SessionOutcome;
  try {
    outcome = await runRemoteCommand(ctx.runtime, req, io, ctx.signal);
  } finally {
    resize?.end();
    stdin?.end();
  }
  if (ctx.signal.aborted || ws.readyState !== ws.OPEN) return;
  await Promise.all([finished(stdout), finished(stderr)]);
  const status = encodeStatus(protocol === "" ? "channel.k8s.io" : protocol, outcome);
  if (status.length > 0 && ws.readyState === ws.OPEN) await new Promise<void>((resolve) => ws.send(encodeChannelMessage(base64, Channel.ERROR, status), () => resolve()));
  if (ws.readyState === ws.OPEN) ws.close(1000);
  await waitClosed(closed, 5000);
}

async function servePortForward(ws: WebSocket, base64: boolean, req: StreamPortForwardRequest, query: URLSearchParams, ctx: SessionContext, closed: Promise<void>): Promise<void> {
  const fromQuery = query.getAll("port");
  const ports: number[] = [];
  for (const p of fromQuery.length > 0 ? fromQuery : req.ports.map(String)) {
    const n = Number(p);
    if (!/^[0-9]+$/.test(p) || n < 1 || n > 65535) {
      ws.close(1008, `invalid port ${JSON.stringify(p)}`);
      return;
    }
    ports.push(n);
  }
  if (ports.length === 0 || ports.length * 2 > 255) {
    ws.close(1008, ports.length === 0 ? "no port to forward" : "too many ports");
    return;
  }
  const inputs: Duplex[] = [];
  const tasks = ports.map((port, i) => {
    const dataCh = 2 * i;
    const errCh = dataCh + 1;
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    ws.send(encodeChannelMessage(base64, dataCh, prefix));
    ws.send(encodeChannelMessage(base64, errCh, prefix));
    const stream = new Duplex({
      read(): void {},
      write(chunk: Buffer, _enc, cb): void {
        if (ws.readyState !== ws.OPEN) {
          cb(Object.assign(new Error("WebSocket closed"), { code: "ERR_STREAM_DESTROYED" }));
          return;
        }
        ws.send(encodeChannelMessage(base64, dataCh, chunk), (err) => cb(err ?? null));
      },
      allowHalfOpen: true,
    });
    stream.on("error", () => {});
    inputs[dataCh] = stream;
    return (async () => {
      try {
        await ctx.runtime.portForward(req.podSandboxId, port, stream, ctx.signal);
      } catch (err) {
        if (!ctx.signal.aborted && ws.readyState === ws.OPEN) {
          const message = `error forwarding port ${port} to pod ${req.podSandboxId}: ${err instanceof Error ? err.message : String(err)}`;
          ws.send(encodeChannelMessage(base64, errCh, Buffer.from(message)));
        }
      } finally {
        stream.destroy();
      }
    })();
  });
  ws.on("message", (data: Buffer, isBinary: boolean) => {
    const m = decodeChannelMessage(base64, data, isBinary);
    if (m === undefined) return;
    if (m.channel === Channel.CLOSE) inputs[m.data[0] ?? -1]?.push(null);
    else inputs[m.channel]?.push(m.data);
  });
  void closed.then(() => {
    for (const s of inputs) if (s && !s.destroyed) s.push(null);
  });
  await Promise.all(tasks);
  if (ws.readyState === ws.OPEN) ws.close(1000);
  await waitClosed(closed, 5000);
}
