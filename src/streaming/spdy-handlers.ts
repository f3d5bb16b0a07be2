/**
 * The Kubernetes streaming protocols over a SPDY session.
 *
 * remotecommand (exec, attach): the client opens one stream per channel,
 * each with a `streamtype` header (`error`, `stdin`, `stdout`, `stderr`,
 * and `resize` with a terminal on v3 and later). The session waits for the
 * channels the request asked for, within the stream-creation timeout, runs
 * the command through the {@link StreamingRuntime}, ends stdout and
 * stderr, writes the status on the error stream and closes the session.
 *
 * port-forward: for each forwarded connection the client opens an `error`
 * and a `data` stream carrying `port` and `requestid` headers (without
 * `requestid`, the data stream pairs with the error stream two IDs
 * below it). Once both are there the data stream is handed to the runtime;
 * a failure is written as text on the error stream. Both streams end when
 * the runtime settles. The session lives until the client closes it.
 *
 * @packageDocumentation
 */
import type { StreamingIO, StreamingRuntime, TerminalSize } from "./runtime.js";
import { AsyncQueue, ResizeParser, encodeStatus, runRemoteCommand, type SessionOutcome, type StreamAttachRequest, type StreamExecRequest, type StreamPortForwardRequest } from "./protocol.js";
import { RstStatus } from "./spdy-frames.js";
import type { SpdySession, SpdyStream } from "./spdy-session.js";
import type { StreamingLogger } from "./logger.js";

/** What a session handler needs. @internal */
export interface SessionContext {
  runtime: StreamingRuntime;
  /** Aborts when the client goes away or the server closes. */
  signal: AbortSignal;
  streamCreationTimeoutMs: number;
  log: StreamingLogger;
}

function endStream(s: SpdyStream | undefined): Promise<void> {
  if (s === undefined || s.destroyed || s.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      s.off("finish", done);
      s.off("close", done);
      resolve();
    };
    s.once("finish", done);
    s.once("close", done);
    s.end();
  });
}

/**
 * Runs an exec or attach request over SPDY `session` (negotiated
 * `protocol`); resolves when the session is over.
 *
 * @internal
 */
export async function serveSpdyRemoteCommand(
  session: SpdySession,
  protocol: string,
  req: StreamExecRequest | StreamAttachRequest,
  ctx: SessionContext,
  streams: AsyncIterable<SpdyStream>,
): Promise<void> {
  const wantResize = req.tty && protocol !== "channel.k8s.io" && protocol !== "v2.channel.k8s.io";
  const expected = new Set<string>(["error"]);
  if (req.stdin) expected.add("stdin");
  if (req.stdout) expected.add("stdout");
  if (req.stderr && !req.tty) expected.add("stderr");
  if (wantResize) expected.add("resize");
  const got = new Map<string, SpdyStream>();
  const timer = setTimeout(() => {
    ctx.log.warn({ kind: req.kind, missing: [...expected].filter((t) => !got.has(t)) }, "streaming: timed out waiting for the client's streams");
    session.destroy();
  }, ctx.streamCreationTimeoutMs);
  try {
    for await (const s of streams) {
      const type = (s.headers["streamtype"] ?? "").toLowerCase();
      if (!expected.has(type) || got.has(type)) {
        ctx.log.debug({ streamType: type }, "streaming: unexpected stream reset");
        s.reset(RstStatus.REFUSED_STREAM);
        continue;
      }
      got.set(type, s);
      if (got.size === expected.size) break;
    }
  } finally {
    clearTimeout(timer);
  }
  if (got.size !== expected.size) return;
  const errorStream = got.get("error") as SpdyStream;
  errorStream.resume();
  const stdout = got.get("stdout");
  const stderr = got.get("stderr");
  stdout?.resume();
  stderr?.resume();
  for (const s of got.values()) s.on("error", () => {});
  let resize: AsyncQueue<TerminalSize> | undefined;
  const resizeStream = got.get("resize");
  if (resizeStream) {
    const queue = new AsyncQueue<TerminalSize>();
    resize = queue;
    const parser = new ResizeParser();
    resizeStream.on("data", (chunk: Buffer) => {
      for (const size of parser.push(chunk)) queue.push(size);
    });
    resizeStream.on("end", () => queue.end());
    resizeStream.on("close", () => queue.end());
  }
  const io: StreamingIO = { tty: req.tty };
  const stdin = got.get("stdin");
  if (stdin) io.stdin = stdin;
  if (stdout) io.stdout = stdout;
  if (stderr) io.stderr = stderr;
  if (resize) io.resize = resize;
  let outcome: SessionOutcome;
  try {
    outcome = await runRemoteCommand(ctx.runtime, req, io, ctx.signal);
  } finally {
    resize?.end();
  }
  if (ctx.signal.aborted || session.closed) return;
  await Promise.all([endStream(stdout), endStream(stderr)]);
  const status = encodeStatus(protocol, outcome);
  if (status.length > 0 && !errorStream.destroyed) errorStream.write(status);
  await endStream(errorStream);
  await session.close();
}

/**
 * Serves port-forward streams over SPDY `session` until it closes.
 *
 * @internal
 */
export async function serveSpdyPortForward(req: StreamPortForwardRequest, ctx: SessionContext, streams: AsyncIterable<SpdyStream>): Promise<void> {
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream; timer: NodeJS.Timeout }>();
  const running = new Set<Promise<void>>();
  for await (const s of streams) {
    s.on("error", () => {});
    const type = (s.headers["streamtype"] ?? "").toLowerCase();
    if (type !== "data" && type !== "error") {
      s.reset(RstStatus.REFUSED_STREAM);
      continue;
    }
    let id = s.headers["requestid"];
    if (id === undefined || id === "") id = `sid:${type === "data" ? s.id - 2 : s.id}`;
    let pair = pairs.get(id);
    if (pair === undefined) {
      const key = id;
      pair = {
        timer: setTimeout(() => {
          const p = pairs.get(key);
          pairs.delete(key);
          ctx.log.warn({ requestId: key }, "streaming: port-forward stream pair not completed in time");
          p?.error?.reset();
          p?.data?.reset();
        }, ctx.streamCreationTimeoutMs),
      };
      pairs.set(id, pair);
    }
    if (pair[type] !== undefined) {
      s.reset(RstStatus.PROTOCOL_ERROR);
      continue;
    }
    pair[type] = s;
    if (pair.error === undefined || pair.data === undefined) continue;
    clearTimeout(pair.timer);
    pairs.delete(id);
    const { error, data } = pair;
    const task = forwardOne(req, ctx, data, error).finally(() => running.delete(task));
    running.add(task);
  }
  for (const p of pairs.values()) clearTimeout(p.timer);
  await Promise.allSettled([...running]);
}

async function forwardOne(req: StreamPortForwardRequest, ctx: SessionContext, data: SpdyStream, error: SpdyStream): Promise<void> {
  error.resume();
  const portText = data.headers["port"] ?? "";
  const port = Number(portText);
  const local = new AbortController();
  const onAbort = (): void => local.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  // The client resetting the data stream ends this forward only.
  const onClose = (): void => local.abort(new Error("port-forward stream closed"));
  data.once("close", onClose);
  try {
    if (!/^[0-9]+$/.test(portText) || port < 1 || port > 65535) throw new Error(`invalid port ${JSON.stringify(portText)}`);
    await ctx.runtime.portForward(req.podSandboxId, port, data, local.signal);
  } catch (err) {
    if (!ctx.signal.aborted && !error.destroyed) {
      const message = `error forwarding port ${portText} to pod ${req.podSandboxId}: ${err instanceof Error ? err.message : String(err)}`;
      ctx.log.debug({ podSandboxId: req.podSandboxId, port: portText, err: message }, "streaming: port-forward failed");
      error.write(message);
    }
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    data.off("close", onClose);
  }
  await Promise.all([endStream(data), endStream(error)]);
}
