/**
 * `node:diagnostics_channel` events of the transport, for tracing and APM
 * tools that subscribe without configuring crikit:
 *
 * - `crikit:transport:call-start`: one message per call as it reaches the
 *   interceptors, {@link CallStartMessage};
 * - `crikit:transport:call-end`: one message per finished call,
 *   {@link CallEndMessage}.
 *
 * Each is published only while someone subscribes to it.
 *
 * @packageDocumentation
 */
import diagnosticsChannel from "node:diagnostics_channel";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { withCallOutcome } from "./call-outcome.js";
import { requestIdKey } from "./request-id.js";
import { grpcTypeOf } from "./metrics.js";

/**
 * Name of the channel that receives a {@link CallEndMessage} per finished call.
 *
 * @public
 */
export const callEndChannelName = "crikit:transport:call-end";

/**
 * Name of the channel that receives a {@link CallStartMessage} per call.
 *
 * @public
 */
export const callStartChannelName = "crikit:transport:call-start";

/**
 * What `crikit:transport:call-start` subscribers receive.
 *
 * @public
 */
export interface CallStartMessage {
  /** Fully qualified service, for instance `runtime.v1.RuntimeService`. */
  service: string;
  /** RPC name. */
  rpc: string;
  /** `unary` or `server_stream` (go-grpc-prometheus's `grpc_type`). */
  type: string;
}

/**
 * What `crikit:transport:call-end` subscribers receive.
 *
 * @public
 */
export interface CallEndMessage {
  /** Fully qualified service, for instance `runtime.v1.RuntimeService`. */
  service: string;
  /** RPC name. */
  rpc: string;
  /** `unary` or `server_stream` (go-grpc-prometheus's `grpc_type`). */
  type: string;
  /** The request id. */
  requestId: string;
  /** gRPC code name: `OK`, `NotFound`, ... */
  code: string;
  /** Duration in milliseconds. */
  durationMs: number;
  /** The error as sent to the client (its `cause` holds the internal error), if the call failed. */
  error?: ConnectError;
}

const channel = diagnosticsChannel.channel(callEndChannelName);
const startChannel = diagnosticsChannel.channel(callStartChannelName);

/**
 * An interceptor that publishes {@link CallEndMessage}s on
 * {@link callEndChannelName}. It costs one check per call when nobody
 * subscribes.
 *
 * @public
 */
export function createDiagnosticsInterceptor(): Interceptor {
  return (next) => (req) => {
    if (startChannel.hasSubscribers) {
      startChannel.publish({ service: req.service.typeName, rpc: req.method.name, type: grpcTypeOf(req.method.methodKind) } satisfies CallStartMessage);
    }
    if (!channel.hasSubscribers) return next(req);
    const started = performance.now();
    return withCallOutcome(next, req, (err) => {
      const msg: CallEndMessage = {
        service: req.service.typeName,
        rpc: req.method.name,
        type: grpcTypeOf(req.method.methodKind),
        requestId: req.contextValues.get(requestIdKey),
        code: "OK",
        durationMs: performance.now() - started,
      };
      if (err !== undefined) {
        msg.error = ConnectError.from(err);
        msg.code = Code[msg.error.code] ?? "Unknown";
      }
      channel.publish(msg);
    });
  };
}
