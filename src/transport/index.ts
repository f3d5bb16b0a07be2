/**
 * crikit/transport: serves the CRI (`runtime.v1` RuntimeService and
 * ImageService) over gRPC on a unix socket with Connect.
 *
 * Relevant to most users: {@link CriServer} and its options, the service
 * implementation types, and the metrics registry. The interceptors and
 * socket helpers are for those who assemble their own Connect server.
 *
 * @packageDocumentation
 */

// The server.
export { CriServer, defaultMaxMessageBytes } from "./cri-server.js";
export type { CriServerOptions, CriServerTcpOptions, CriServerCloseOptions } from "./cri-server.js";
export { createCriRoutes } from "./cri-routes.js";
export type { CriServices, RuntimeServiceImpl, ImageServiceImpl } from "./cri-routes.js";
export type { CriContextKey, CriContextValues, CriHandlerContext, CriMethodImpl } from "./service-impl.js";

// Errors.
export { grpcCodeOf, toConnectError } from "./codes.js";
export type { ToConnectErrorOptions } from "./codes.js";

// Logging, metrics, readiness, request ids.
export { defaultLogger, silentLogger } from "./logger.js";
export type { TransportLogger } from "./logger.js";
export { TransportMetrics, createMetricsInterceptor, defaultLatencyBuckets } from "./metrics.js";
export type { RpcMetrics, TransportMetricsOptions, TransportMetricsSnapshot } from "./metrics.js";
export { ReadinessGate, createReadinessInterceptor } from "./readiness-gate.js";
export type { ReadinessGateOptions, ReadinessState } from "./readiness-gate.js";
export { requestIdKey, requestIdHeader, createRequestIdInterceptor } from "./request-id.js";
export { createLoggingInterceptor, readOnlyRpcs } from "./logging-interceptor.js";
export type { LoggingInterceptorOptions } from "./logging-interceptor.js";
export { createErrorInterceptor } from "./error-interceptor.js";
export { callEndChannelName, callStartChannelName, createDiagnosticsInterceptor } from "./diagnostics.js";
export { createTracingInterceptor } from "./tracing.js";
export type { TracingInterceptorOptions } from "./tracing.js";
export type { CallEndMessage, CallStartMessage } from "./diagnostics.js";

// Unix socket helpers.
export { listenUnixSocket, probeUnixSocket, removeUnixSocket } from "./unix-socket.js";
export type { BoundUnixSocket, UnixSocketOptions, UnixSocketState } from "./unix-socket.js";

// Serving clients that send a socket path as :authority (grpc-go through a unix dialer).
export { installAuthorityGate, isAcceptedAuthority } from "./authority-gate.js";
export type { AuthorityGateOptions } from "./authority-gate.js";
