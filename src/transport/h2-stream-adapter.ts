/**
 * Serves one HTTP/2 stream with a connect universal handler, straight from
 * node:http2's `stream` event, without Node's HTTP/2 compatibility layer
 * (`Http2ServerRequest`/`Http2ServerResponse`) that connect-node's adapter
 * works on.
 *
 * Why: a profile of the CRI server under small unary calls put a third of
 * its CPU time in the layers around the handler: the compatibility objects,
 * a URL parse, and an `AbortController.abort()` on every normal close (a
 * `DOMException` with a captured stack per call). This adapter keeps what
 * those layers did for a gRPC server and drops the rest:
 *
 * - request: method and path from the pseudo-headers, the other headers
 *   as a `Headers`, the body as the stream's chunks (the iteration ends the
 *   readable side only; the response is written independently);
 * - the request signal aborts only when the stream closes before the response
 *   was finished (client cancel, RST_STREAM, lost connection), with the
 *   HTTP/2 error code mapped as connect maps it; a normal end aborts
 *   nothing;
 * - response: headers after the first body chunk (so handlers can still set
 *   headers), the chunks with backpressure, then the trailer in a trailing
 *   HEADERS frame (`waitForTrailers`), or a headers-only answer with
 *   END_STREAM when there is neither body nor trailer.
 *
 * @packageDocumentation
 */
import http2 from "node:http2";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ContextValues } from "@connectrpc/connect";
import type { UniversalServerRequest, UniversalServerResponse } from "@connectrpc/connect/protocol";

const { NGHTTP2_NO_ERROR, NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_ENHANCE_YOUR_CALM, NGHTTP2_INADEQUATE_SECURITY } = http2.constants;

/** The request a universal handler sees for `stream`. */
export function universalRequestFromStream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  contextValues: ContextValues,
  signal: AbortSignal,
  prefix?: Buffer[],
): UniversalServerRequest {
  return {
    httpVersion: "2.0",
    method: headers[":method"] ?? "",
    url: requestUrl(headers),
    header: headersFromNode(headers),
    body: readBody(stream, prefix),
    signal,
    contextValues,
  };
}

/** The request URL connect's handlers see. */
export function requestUrl(headers: http2.IncomingHttpHeaders): string {
  return `http://${headers[":authority"] ?? "localhost"}${headers[":path"] ?? "/"}`;
}

/** The request headers (gRPC metadata) as a `Headers`, without the pseudo-headers. */
export function headersFromNode(headers: http2.IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const k in headers) {
    if (k.charCodeAt(0) === 58 /* ":" */) continue;
    const v = headers[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) header.append(k, x);
    else header.append(k, v);
  }
  return header;
}

/**
 * The request body: `prefix` (chunks a caller already read, see
 * `unary-fast-path.ts`), then the rest of the stream.
 */
async function* readBody(stream: http2.ServerHttp2Stream, prefix?: Buffer[]): AsyncGenerator<Uint8Array> {
  const chunks: Buffer[] = prefix ?? [];
  if (stream.readableEnded && chunks.length === 0) return;
  let wake: (() => void) | undefined;
  let ended = stream.readableEnded || stream.destroyed;
  let failed: unknown;
  const onData = (c: Buffer): void => {
    chunks.push(c);
    wake?.();
  };
  const onEnd = (): void => {
    ended = true;
    wake?.();
  };
  const onError = (e: unknown): void => {
    failed = e;
    wake?.();
  };
  stream.on("data", onData);
  stream.once("end", onEnd);
  stream.once("close", onEnd);
  stream.once("error", onError);
  // A caller that read a prefix paused the stream to keep the rest.
  if (!ended && stream.isPaused()) stream.resume();
  try {
    for (;;) {
      const c = chunks.shift();
      if (c !== undefined) {
        yield c;
        continue;
      }
      if (failed !== undefined) throw failed;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    stream.off("data", onData);
    stream.off("end", onEnd);
    stream.off("close", onEnd);
    stream.off("error", onError);
  }
}

/** The connect error for a stream that closed with `rstCode` (as connect-node maps it). */
export function errorFromRstCode(rstCode: number): ConnectError {
  switch (rstCode) {
    case NGHTTP2_REFUSED_STREAM:
      return new ConnectError("http/2 stream closed with error code REFUSED_STREAM (0x7)", Code.Unavailable);
    case NGHTTP2_CANCEL:
      return new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled);
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return new ConnectError("http/2 stream closed with error code ENHANCE_YOUR_CALM (0xb)", Code.ResourceExhausted);
    case NGHTTP2_INADEQUATE_SECURITY:
      return new ConnectError("http/2 stream closed with error code INADEQUATE_SECURITY (0xc)", Code.PermissionDenied);
    default:
      return new ConnectError(`http/2 stream closed with error code ${String(rstCode)}`, Code.Canceled);
  }
}

function toNodeHeaders(h: Headers | undefined, into: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  h?.forEach((v, k) => {
    const cur = into[k];
    into[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [String(cur), v];
  });
  return into;
}

function write(stream: http2.ServerHttp2Stream, chunk: Uint8Array): Promise<void> | undefined {
  if (stream.write(chunk)) return undefined;
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      stream.off("drain", onDrain);
      stream.off("close", onClose);
      stream.off("error", done);
      if (err !== undefined) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(errorFromRstCode(stream.rstCode ?? NGHTTP2_CANCEL));
    stream.once("drain", onDrain);
    stream.once("close", onClose);
    stream.once("error", done);
  });
}

/**
 * Run `handler` for `stream` and write its response. Resolves when the
 * response was written; rejects when it could not be (the client went away),
 * after telling the handler's body iterator.
 */
export async function serveStream(
  handler: (req: UniversalServerRequest) => Promise<UniversalServerResponse>,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  contextValues: ContextValues,
  prefix?: Buffer[],
): Promise<void> {
  const ac = new AbortController();
  let finished = false;
  stream.once("close", () => {
    if (finished) return;
    const code = stream.rstCode ?? NGHTTP2_NO_ERROR;
    ac.abort(code === NGHTTP2_NO_ERROR ? new ConnectError("the client closed the stream", Code.Canceled) : errorFromRstCode(code));
  });
  stream.on("error", () => {
    // Reported through "close" and the write promises.
  });
  const res: UniversalServerResponse = await handler(universalRequestFromStream(stream, headers, contextValues, ac.signal, prefix));
  const it = res.body?.[Symbol.asyncIterator]();
  let writing = false;
  try {
    let chunk = it !== undefined ? await it.next() : ({ done: true, value: undefined } as const);
    if (stream.destroyed || stream.closed) throw errorFromRstCode(stream.rstCode ?? NGHTTP2_CANCEL);
    const head = toNodeHeaders(res.header, { ":status": res.status });
    const trailer = res.trailer !== undefined && [...res.trailer.keys()].length > 0 ? res.trailer : undefined;
    if (chunk.done === true && trailer === undefined) {
      finished = true;
      stream.respond(head, { endStream: true });
      return;
    }
    stream.respond(head, trailer !== undefined ? { waitForTrailers: true } : {});
    if (trailer !== undefined) {
      stream.once("wantTrailers", () => {
        stream.sendTrailers(toNodeHeaders(trailer, {}));
      });
    }
    for (; chunk.done !== true; chunk = await it!.next()) {
      writing = true;
      await write(stream, chunk.value);
      writing = false;
    }
    finished = true;
    await new Promise<void>((resolve) => {
      stream.end(() => resolve());
    });
  } catch (e) {
    if (writing) await it?.throw?.(e).catch(() => {});
    if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
    throw e;
  } finally {
    await it?.return?.().catch(() => {});
  }
}
