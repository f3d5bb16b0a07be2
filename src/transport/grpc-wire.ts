/**
 * gRPC-over-HTTP/2 details the CRI server writes itself: the percent
 * encoding of `grpc-message`, the final-trailer fix-up of connect's
 * responses, and the Unimplemented answer for unknown paths.
 *
 * @packageDocumentation
 */
import type http2 from "node:http2";
import { Code } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";

/** Called with a response's final `grpc-status` and its decoded `grpc-message`. */
export type OnTrailer = (status: string | null, message: string) => void;

const encoder = new TextEncoder();
const plainMessage = /^[\x20-\x24\x26-\x7e]*$/;

/** Percent-encode a grpc-message value (gRPC over HTTP/2 spec: bytes outside 0x20-0x7E, and "%"). */
export function grpcMessage(text: string): string {
  if (plainMessage.test(text)) return text;
  return Array.from(encoder.encode(text), (b) =>
    b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
  ).join("");
}

/**
 * connect-es percent-encodes `grpc-message` with `encodeURIComponent`, which
 * also escapes reserved characters such as ":" and "/". grpc-go decodes any
 * escape, but grpc-js decodes with `decodeURI`, which leaves "%3A" in the
 * message. Re-encode the trailer as the gRPC HTTP/2 spec says (only bytes
 * outside 0x20-0x7E, and "%"), which every client decodes, once the body has
 * ended and the trailer is final; then hand the final status to `onTrailer`.
 */
export function withFinalTrailer(uRes: UniversalServerResponse, onTrailer: OnTrailer): UniversalServerResponse {
  const { body, trailer } = uRes;
  if (body === undefined || trailer === undefined) return uRes;
  const fix = () => {
    const m = trailer.get("grpc-message");
    let raw = "";
    if (m !== null) {
      raw = m;
      try {
        raw = decodeURIComponent(m);
      } catch {
        // Not percent-encoded as expected: send it as is, minimally encoded.
      }
      trailer.set("grpc-message", grpcMessage(raw));
    }
    onTrailer(trailer.get("grpc-status"), raw);
  };
  return {
    ...uRes,
    body: {
      [Symbol.asyncIterator]() {
        const it = body[Symbol.asyncIterator]();
        const wrapped: AsyncIterator<Uint8Array> = {
          async next() {
            const r = await it.next();
            if (r.done === true) fix();
            return r;
          },
        };
        if (it.throw !== undefined) wrapped.throw = (e?: unknown) => it.throw!(e);
        if (it.return !== undefined) wrapped.return = (v?: unknown) => it.return!(v);
        return wrapped;
      },
    },
  };
}

/** The request path of `headers` without its query. */
export function requestPath(headers: http2.IncomingHttpHeaders): string {
  const p = headers[":path"] ?? "";
  const q = p.indexOf("?");
  return q === -1 ? p : p.slice(0, q);
}

/**
 * A request for a path no CRI method has (another API version, a typo):
 * answer a gRPC Unimplemented status (trailers-only), which gRPC clients
 * report as such, rather than an HTTP 404.
 */
export function answerUnknownPath(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
  const path = requestPath(headers);
  stream.resume();
  stream.on("error", () => {});
  // One HEADERS frame with END_STREAM: a gRPC "trailers-only" response.
  stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-status": String(Code.Unimplemented),
      "grpc-message": grpcMessage(`unknown service or method "${path}": this server implements runtime.v1.RuntimeService and runtime.v1.ImageService`),
    },
    { endStream: true },
  );
}
