/**
 * Logging of CRI calls: one line per finished call with the RPC, request id,
 * duration and, on failure, the gRPC code and the client-facing message.
 *
 * Levels (containerd's `instrument` does the same): calls that change state
 * log at info, reads at debug (the kubelet polls them every second or so).
 * Failures with a server-side code (Unknown, Internal, DataLoss) log at
 * error with the internal cause (`err`, stack included) that the client never
 * sees; other failures log at the call's level with code and message.
 *
 * @packageDocumentation
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";
import { withCallOutcome } from "./call-outcome.js";
import { requestIdKey } from "./request-id.js";
import type { TransportLogger } from "./logger.js";

/**
 * The CRI RPCs that only read state, logged at debug. Everything else logs at
 * info. ExecSync is here too: the kubelet runs exec probes through it every
 * few seconds per container, and it changes no runtime state.
 *
 * @public
 */
export const readOnlyRpcs: ReadonlySet<string> = new Set([
  "Version",
  "Status",
  "RuntimeConfig",
  "PodSandboxStatus",
  "ListPodSandbox",
  "StreamPodSandboxes",
  "ContainerStatus",
  "ListContainers",
  "StreamContainers",
  "ContainerStats",
  "ListContainerStats",
  "StreamContainerStats",
  "PodSandboxStats",
  "ListPodSandboxStats",
  "StreamPodSandboxStats",
  "ListMetricDescriptors",
  "ListPodSandboxMetrics",
  "StreamPodSandboxMetrics",
  "GetContainerEvents",
  "ExecSync",
  "ListImages",
  "StreamImages",
  "ImageStatus",
  "ImageFsInfo",
]);

/**
 * Options for {@link createLoggingInterceptor}.
 *
 * @public
 */
export interface LoggingInterceptorOptions {
  /** Where to log. */
  logger: TransportLogger;
  /**
   * RPC names logged at debug; all others at info.
   * @defaultValue {@link readOnlyRpcs}
   */
  readOnly?: ReadonlySet<string>;
}

const serverFault = new Set<Code>([Code.Unknown, Code.Internal, Code.DataLoss]);

/**
 * An interceptor that logs every finished call: the RPC, request id and
 * duration, at info for calls that change state and at debug for reads
 * (`readOnly`); a failure with a server-side code (Unknown, Internal,
 * DataLoss) at error with its internal cause as `err`, any other failure at
 * the call's level with its code and message.
 *
 * @public
 */
export function createLoggingInterceptor(options: LoggingInterceptorOptions): Interceptor {
  const { logger } = options;
  const readOnly = options.readOnly ?? readOnlyRpcs;
  return (next) => (req) => {
    const rpc = req.method.name;
    const level = readOnly.has(rpc) ? "debug" : "info";
    const started = performance.now();
    return withCallOutcome(next, req, (err) => {
      const fields = {
        rpc,
        service: req.service.typeName,
        requestId: req.contextValues.get(requestIdKey),
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      };
      if (err === undefined) {
        logger[level](fields, `${rpc} ok`);
        return;
      }
      const ce = ConnectError.from(err);
      const code = Code[ce.code];
      // toConnectError's messages already begin with "<Rpc> failed: ".
      const text = ce.rawMessage.startsWith(`${rpc} failed`) ? ce.rawMessage : `${rpc} failed: ${ce.rawMessage}`;
      if (serverFault.has(ce.code)) {
        logger.error({ ...fields, code, err: ce.cause ?? ce }, text);
      } else {
        logger[level]({ ...fields, code }, text);
      }
    });
  };
}
