/**
 * A fast path for unary gRPC calls: the same handlers and interceptors as
 * connect's, without connect's streaming pipeline around them.
 *
 * Why: a CPU profile of the CRI server answering Version and ContainerStatus
 * in a loop spent more time in connect's async-iterable pipeline (six
 * generators per call), its `Headers` copies and two `AbortController`s
 * (an `abort()` without a reason builds a `DOMException` with a stack), and
 * in the garbage collector behind them, than in HTTP/2 and the handler.
 *
 * What a call does here: the body is collected from the stream's chunks;
 * when it is exactly one uncompressed message within `readMaxBytes`, it is
 * parsed with connect's serialization (same errors), the interceptors run
 * around the implementation exactly as connect runs them (same request and
 * response objects, same `HandlerContext` members), and the answer is
 * written as HEADERS, one DATA frame and the trailer. Per call, only what
 * is used is built: the handler signal (with the deadline from
 * `grpc-timeout`, the client's cancel and the server's shutdown linked to
 * it), the request `Headers` and the response headers and trailer are made
 * on first access. Errors map to `grpc-status`/`grpc-message` as connect
 * maps them (`setTrailerStatus`), with the message encoded as the gRPC spec
 * says (see `grpc-wire.ts`).
 *
 * Everything else goes to connect's full path, with the bytes already read:
 * a method other than POST, a content type other than `application/grpc`
 * or `application/grpc+proto`, a compressed request, a `grpc-timeout`
 * connect rejects, an empty, partial, oversized or repeated message, and a
 * message that does not parse. So every protocol error is still connect's
 * answer. Streaming methods always take connect's path.
 *
 * @packageDocumentation
 */
import type http2 from "node:http2";
import { create, isMessage } from "@bufbuild/protobuf";
import type { DescMessage, DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ContextValues, HandlerContext, Interceptor, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { createMethodSerializationLookup } from "@connectrpc/connect/protocol";
import { parseTimeout, setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { errorFromRstCode, headersFromNode, requestUrl } from "./h2-stream-adapter.js";
import { grpcMessage } from "./grpc-wire.js";
import type { OnTrailer } from "./grpc-wire.js";
import { requestIdFrom, requestIdHeader, requestIdKey } from "./request-id.js";

/** Options shared by every method's fast path. */
export interface UnaryFastPathOptions {
  /** The interceptors, outermost first (the router's). */
  interceptors: readonly Interceptor[];
  readMaxBytes: number;
  writeMaxBytes: number;
  /** Aborts every handler signal when the server gives up draining. */
  shutdownSignal: AbortSignal;
}

/** A unary implementation as connect's `createServiceImplSpec` binds it. */
export type UnaryImpl = (request: never, context: HandlerContext) => unknown;

/**
 * Serves `stream` for one unary method, or calls `fallback` with the body
 * chunks already read (the stream is paused then) when the call is not one
 * for the fast path (see the file header). `onTrailer` gets the final status.
 */
export type ServeUnary = (
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  values: ContextValues,
  onTrailer: OnTrailer,
  fallback: (prefix: Buffer[]) => void,
) => void;

type AnyFn = Parameters<Interceptor>[0];

const contentTypeProto = "application/grpc+proto";
/** The reason a completed call's signal aborts with (one object: no stack captured per call). */
const completed = new DOMException("the call completed", "AbortError");
const noop = (): void => {};

/** The fast path for `method`, implemented by `impl`. */
export function createUnaryFastPath(method: DescMethodUnary, impl: UnaryImpl, opt: UnaryFastPathOptions): ServeUnary {
  const serialization = createMethodSerializationLookup(method, undefined, undefined, opt);
  const input = serialization.getI(true);
  const output = serialization.getO(true);
  const { interceptors, readMaxBytes } = opt;
  return (stream, headers, values, onTrailer, fallback) => {
    if (headers[":method"] !== "POST") return fallback([]);
    const ct = headers["content-type"];
    if (ct !== "application/grpc" && ct !== contentTypeProto) return fallback([]);
    const enc = headers["grpc-encoding"];
    if (enc !== undefined && enc !== "identity") return fallback([]);
    const t = headers["grpc-timeout"];
    let deadline: number | undefined; // from the headers' arrival, as connect counts it
    if (t !== undefined) {
      if (typeof t !== "string") return fallback([]);
      const parsed = parseTimeout(t, Number.MAX_SAFE_INTEGER);
      if (parsed.error !== undefined) return fallback([]);
      if (parsed.timeoutMs !== undefined) deadline = Date.now() + parsed.timeoutMs;
    }
    stream.on("error", noop); // reported through "close" and the write
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = (): void => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onClose);
    };
    const giveUp = (): void => {
      stream.pause();
      detach();
      fallback(chunks);
    };
    const onData = (c: Buffer): void => {
      chunks.push(c);
      size += c.length;
      // Hand oversized and compressed messages to connect before reading them whole.
      if (size >= 5 && (flagsOf(chunks) !== 0 || lengthOf(chunks) > readMaxBytes)) giveUp();
    };
    const onClose = (): void => detach(); // the client went away before sending its message
    const onEnd = (): void => {
      detach();
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      if (size < 5 || size !== 5 + body.readUInt32BE(1)) return fallback(chunks);
      let message: unknown;
      try {
        message = input.parse(body.subarray(5));
      } catch {
        return fallback(chunks);
      }
      const call = new Call(stream, deadline, opt.shutdownSignal);
      if (values.get(requestIdKey) === "") values.set(requestIdKey, requestIdFrom(headers[requestIdHeader] as string | undefined));
      const req = call.request(method, message, headers, values);
      const inner: AnyFn = async (r) => {
        const ctx = call.handlerContext(r as UnaryRequest);
        const out = (await impl(r.message as never, ctx)) as Record<string, unknown>;
        return call.response(method, isMessage(out, method.output) ? out : create(method.output as DescMessage, out as never));
      };
      let next = inner;
      for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
      let answer: Promise<UnaryResponse>;
      try {
        answer = next(req) as Promise<UnaryResponse>;
      } catch (e) {
        answer = Promise.reject(e);
      }
      answer.then(
        (res) => {
          let bytes: Uint8Array;
          try {
            bytes = output.serialize(res.message);
          } catch (e) {
            call.fail(e, onTrailer, res);
            return;
          }
          call.succeed(bytes, res);
        },
        (e: unknown) => call.fail(e, onTrailer, undefined),
      );
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("close", onClose);
  };
}

function flagsOf(chunks: Buffer[]): number {
  return chunks[0]![0]!;
}

function lengthOf(chunks: Buffer[]): number {
  const c = chunks[0]!;
  if (c.length >= 5) return c.readUInt32BE(1);
  return Buffer.concat(chunks).readUInt32BE(1);
}

/** One call's lazily built state. */
class Call {
  readonly #stream: http2.ServerHttp2Stream;
  readonly #deadline: number | undefined;
  readonly #shutdown: AbortSignal;
  #finished = false;
  #ac: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onShutdown: (() => void) | undefined;
  #onClose: (() => void) | undefined;
  #reqHeader: Headers | undefined;
  #resHeader: Headers | undefined;
  #resTrailer: Headers | undefined;
  /** The response object the innermost function returned. */
  #res: UnaryResponse | undefined;

  constructor(stream: http2.ServerHttp2Stream, deadline: number | undefined, shutdown: AbortSignal) {
    this.#stream = stream;
    this.#deadline = deadline;
    this.#shutdown = shutdown;
  }

  /** The handler signal, made on first use (see the file header). */
  get signal(): AbortSignal {
    if (this.#ac !== undefined) return this.#ac.signal;
    const ac = new AbortController();
    this.#ac = ac;
    if (this.#finished) {
      ac.abort(completed);
      return ac.signal;
    }
    const stream = this.#stream;
    if (stream.closed || stream.destroyed) {
      ac.abort(closedError(stream));
      return ac.signal;
    }
    if (this.#shutdown.aborted) {
      ac.abort(this.#shutdown.reason);
      return ac.signal;
    }
    if (this.#deadline !== undefined) {
      const left = this.#deadline - Date.now();
      const timedOut = (): void => ac.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      if (left <= 0) {
        timedOut();
        return ac.signal;
      }
      this.#timer = setTimeout(timedOut, left);
    }
    this.#onShutdown = () => ac.abort(this.#shutdown.reason);
    this.#shutdown.addEventListener("abort", this.#onShutdown, { once: true });
    this.#onClose = () => {
      if (!this.#finished) ac.abort(closedError(stream));
    };
    stream.once("close", this.#onClose);
    return ac.signal;
  }

  get responseHeader(): Headers {
    return (this.#resHeader ??= new Headers({ "content-type": contentTypeProto }));
  }

  get responseTrailer(): Headers {
    return (this.#resTrailer ??= new Headers({ "grpc-status": "0" }));
  }

  timeoutMs = (): number | undefined => (this.#deadline === undefined ? undefined : this.#deadline - Date.now());

  /** The request the interceptors see; its `header` and `signal` are made on first access. */
  request(method: DescMethodUnary, message: unknown, headers: http2.IncomingHttpHeaders, contextValues: ContextValues): UnaryRequest {
    const call = this;
    return {
      stream: false,
      service: method.parent,
      method,
      requestMethod: "POST",
      url: requestUrl(headers),
      message: message as never,
      contextValues,
      get header() {
        return (call.#reqHeader ??= headersFromNode(headers));
      },
      get signal() {
        return call.signal;
      },
    };
  }

  /** The context the implementation gets for the (possibly replaced) request `r`. */
  handlerContext(r: UnaryRequest): HandlerContext {
    const call = this;
    return {
      method: r.method,
      service: r.service,
      requestMethod: r.requestMethod,
      protocolName: "grpc",
      url: r.url,
      values: r.contextValues,
      timeoutMs: this.timeoutMs,
      get signal() {
        return r.signal;
      },
      get requestHeader() {
        return r.header;
      },
      get responseHeader() {
        return call.responseHeader;
      },
      get responseTrailer() {
        return call.responseTrailer;
      },
    };
  }

  /** The response the innermost function returns; its headers are made on first access. */
  response(method: DescMethodUnary, message: unknown): UnaryResponse {
    const call = this;
    const res: UnaryResponse = {
      stream: false,
      service: method.parent,
      method,
      message: message as never,
      get header() {
        return call.responseHeader;
      },
      get trailer() {
        return call.responseTrailer;
      },
    };
    this.#res = res;
    return res;
  }

  /** Headers and trailer to send, taking an interceptor's replacement response into account (as connect copies them). */
  #final(res: UnaryResponse | undefined): { header: Headers | undefined; trailer: Headers | undefined } {
    if (res === undefined || res === this.#res) return { header: this.#resHeader, trailer: this.#resTrailer };
    return { header: res.header, trailer: res.trailer };
  }

  succeed(bytes: Uint8Array, res: UnaryResponse): void {
    const { header, trailer } = this.#final(res);
    const stream = this.#stream;
    this.#end(undefined);
    if (stream.closed || stream.destroyed) return;
    // Small answers go out as one buffer; large ones (a long container list) without a copy.
    const copy = bytes.length <= 16384;
    const prefix = Buffer.allocUnsafe(copy ? 5 + bytes.length : 5);
    prefix[0] = 0;
    prefix.writeUInt32BE(bytes.length, 1);
    if (copy) prefix.set(bytes, 5);
    stream.respond(header === undefined ? { ":status": 200, "content-type": contentTypeProto } : toNode(header, { ":status": 200 }), { waitForTrailers: true });
    stream.once("wantTrailers", () => {
      stream.sendTrailers(trailer === undefined ? { "grpc-status": "0" } : toNode(trailer, {}));
    });
    if (copy) {
      stream.end(prefix);
    } else {
      stream.write(prefix);
      stream.end(bytes);
    }
  }

  fail(e: unknown, onTrailer: OnTrailer, res: UnaryResponse | undefined): void {
    const { header, trailer: given } = this.#final(res);
    const err = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
    const trailer = setTrailerStatus(new Headers(given), err);
    trailer.set("grpc-message", grpcMessage(err.rawMessage));
    const stream = this.#stream;
    this.#end(err);
    onTrailer(trailer.get("grpc-status"), err.rawMessage);
    if (stream.closed || stream.destroyed) return;
    stream.respond(toNode(header ?? new Headers({ "content-type": contentTypeProto }), { ":status": 200 }), { waitForTrailers: true });
    stream.once("wantTrailers", () => {
      stream.sendTrailers(toNode(trailer, {}));
    });
    stream.end();
  }

  /** The call is over: abort the handler signal (if one was made) and unlink it. */
  #end(reason: unknown): void {
    this.#finished = true;
    const ac = this.#ac;
    if (ac === undefined) return;
    clearTimeout(this.#timer);
    if (this.#onShutdown !== undefined) this.#shutdown.removeEventListener("abort", this.#onShutdown);
    if (this.#onClose !== undefined) this.#stream.off("close", this.#onClose);
    if (!ac.signal.aborted) ac.abort(reason ?? completed);
  }
}

const http2Cancel = 0x8;

/** Why the handler signal aborts when the stream closed before the answer (as `h2-stream-adapter.ts` says it). */
function closedError(stream: http2.ServerHttp2Stream): ConnectError {
  const code = stream.rstCode ?? http2Cancel;
  return code === 0 ? new ConnectError("the client closed the stream", Code.Canceled) : errorFromRstCode(code);
}

function toNode(h: Headers, into: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  h.forEach((v, k) => {
    const cur = into[k];
    into[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [String(cur), v];
  });
  return into;
}
