/**
 * The one place where anything a handler throws becomes a gRPC status.
 *
 * Rules, in order:
 * 1. A `ConnectError` passes through unchanged (connect's own errors, such as
 *    the router's Unimplemented for a method left out of a partial service).
 * 2. An abort whose signal carries a `ConnectError` reason (connect aborts the
 *    handler signal with DeadlineExceeded when the client's `grpc-timeout`
 *    passes, and the server with Unavailable on shutdown) takes that reason.
 * 3. A {@link CrikitError} keeps its code and its message, which is written
 *    for clients.
 * 4. Anything else is mapped by {@link grpcCodeOf} (Node errno along the cause
 *    chain, abort, timeout, else Unknown) and gets a generic message that names
 *    the RPC and the request id but not the internals, which stay in `cause`
 *    for the log.
 *
 * No stack trace ever reaches the wire: only `rawMessage` is sent.
 *
 * @packageDocumentation
 */
import { getSystemErrorMessage } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorCode, errorCodeOf, isCrikitError } from "../errors.js";

/**
 * The Connect `Code` for any thrown value: crikit error codes map one to one,
 * since both use the gRPC numbers.
 *
 * @public
 */
export function grpcCodeOf(err: unknown): Code {
  return ErrorCode[errorCodeOf(err)] as Code;
}

/**
 * What {@link toConnectError} may mention in a generic message.
 *
 * @public
 */
export interface ToConnectErrorOptions {
  /** The RPC name, for instance `"RemoveContainer"`. */
  rpc?: string;
  /** The request id, so that a client-side message can be found in the server log. */
  requestId?: string;
  /** The handler's signal: when it was aborted with a `ConnectError`, that error wins. */
  signal?: AbortSignal;
}

/**
 * Convert anything thrown by a handler into the `ConnectError` sent to the
 * client. The original value is kept as `cause` (for the log, never sent).
 *
 * @example
 * ```ts
 * toConnectError(notFound('container "abc" not found')); // code NotFound, same message
 * toConnectError(Object.assign(new Error("ENOENT: ... '/var/lib/x'"), { code: "ENOENT" }), { rpc: "RemoveContainer" });
 * // code NotFound, message "RemoveContainer failed: no such file or directory (ENOENT)"
 * ```
 *
 * @public
 */
export function toConnectError(err: unknown, options: ToConnectErrorOptions = {}): ConnectError {
  if (err instanceof ConnectError) return err;
  const code = grpcCodeOf(err);
  const reason: unknown = options.signal?.aborted === true ? options.signal.reason : undefined;
  if (reason instanceof ConnectError && (code === Code.Canceled || code === Code.DeadlineExceeded || reason === err)) {
    return new ConnectError(reason.rawMessage, reason.code, undefined, undefined, err);
  }
  if (isCrikitError(err)) return new ConnectError(err.message, code, undefined, undefined, err);
  return new ConnectError(genericMessage(err, code, options), code, undefined, undefined, err);
}

function genericMessage(err: unknown, code: Code, options: ToConnectErrorOptions): string {
  const what = options.rpc === undefined ? "the call failed" : `${options.rpc} failed`;
  const ref = options.requestId === undefined ? "" : ` (request id ${options.requestId})`;
  switch (code) {
    case Code.Canceled:
      return `${what}: canceled`;
    case Code.DeadlineExceeded:
      return `${what}: deadline exceeded`;
    case Code.Unknown:
    case Code.Internal:
      return `${what}: internal error${ref}; the runtime's log has the details`;
    default: {
      const sys = systemErrorOf(err);
      return sys === undefined ? `${what}${ref}` : `${what}: ${sys}`;
    }
  }
}

/** "no such file or directory (ENOENT)" for the first Node system error along the cause chain. */
function systemErrorOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; typeof e === "object" && e !== null && depth < 16; depth++) {
    const { code, errno } = e as { code?: unknown; errno?: unknown };
    if (typeof code === "string" && /^E[A-Z0-9]+$/.test(code)) {
      let text: string | undefined;
      if (typeof errno === "number" && errno < 0) {
        try {
          text = getSystemErrorMessage(errno);
        } catch {
          text = undefined;
        }
      }
      return text === undefined ? code : `${text} (${code})`;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
