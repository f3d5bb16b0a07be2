/**
 * From a node:http2 stream to the CRI method it calls: the connect router
 * (with the CRI server's interceptors) for every method, and the unary fast
 * path (`unary-fast-path.ts`) in front of it for unary methods.
 *
 * Interceptor order, outermost first: request id, metrics, diagnostics
 * channel (`crikit:transport:call-end`), logging, stream shutdown link,
 * readiness gate, error conversion, then the `interceptors` option, then
 * the handler. So the log and the metrics see the final code of every call,
 * the gate covers unary and streaming calls alike, and errors thrown by user
 * interceptors are converted too.
 *
 * @packageDocumentation
 */
import type http2 from "node:http2";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { Code, createConnectRouter, createContextValues, createServiceImplSpec } from "@connectrpc/connect";
import type { ContextValues, Interceptor } from "@connectrpc/connect";
import { compressionGzip } from "@connectrpc/connect-node";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { criServiceImpls } from "./cri-routes.js";
import type { CriServices } from "./cri-routes.js";
import { createDiagnosticsInterceptor } from "./diagnostics.js";
import { createErrorInterceptor } from "./error-interceptor.js";
import { answerUnknownPath, requestPath, withFinalTrailer } from "./grpc-wire.js";
import type { OnTrailer } from "./grpc-wire.js";
import { serveStream } from "./h2-stream-adapter.js";
import { createLoggingInterceptor } from "./logging-interceptor.js";
import type { TransportLogger } from "./logger.js";
import { createMetricsInterceptor, grpcTypeOf, handledCodeKey } from "./metrics.js";
import type { TransportMetrics } from "./metrics.js";
import { createReadinessInterceptor } from "./readiness-gate.js";
import type { ReadinessGate } from "./readiness-gate.js";
import { createRequestIdInterceptor, requestIdKey } from "./request-id.js";
import { createUnaryFastPath } from "./unary-fast-path.js";
import type { ServeUnary, UnaryImpl } from "./unary-fast-path.js";

/** What the dispatcher needs from the server. */
export interface CriDispatchOptions {
  services: CriServices;
  logger: TransportLogger;
  metrics: TransportMetrics;
  gate: ReadinessGate;
  /** Aborts handler signals when the drain gives up. */
  shutdownSignal: AbortSignal;
  /** Aborts server streams when closing starts. */
  endStreamsSignal: AbortSignal;
  readMaxBytes: number;
  writeMaxBytes: number;
  compressMinBytes: number;
  interceptors: Interceptor[];
  unaryFastPath: boolean;
}

/** The `stream` event listener serving every CRI method. */
export function createCriDispatch(o: CriDispatchOptions): (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => void {
  const endStreams = o.endStreamsSignal;
  const linkStreamShutdown: Interceptor = (next) => (req) =>
    req.stream ? next({ ...req, signal: AbortSignal.any([req.signal, endStreams]) }) : next(req);
  const interceptors = [
    createRequestIdInterceptor(),
    createMetricsInterceptor(o.metrics),
    createDiagnosticsInterceptor(),
    createLoggingInterceptor({ logger: o.logger }),
    linkStreamShutdown,
    createReadinessInterceptor(o.gate),
    createErrorInterceptor(),
    ...o.interceptors,
  ];
  const router = createConnectRouter({
    grpc: true,
    grpcWeb: false,
    connect: false,
    acceptCompression: [compressionGzip],
    compressMinBytes: o.compressMinBytes,
    readMaxBytes: o.readMaxBytes,
    writeMaxBytes: o.writeMaxBytes,
    shutdownSignal: o.shutdownSignal,
    interceptors,
  });
  const impls = criServiceImpls(o.services);
  const fast = new Map<string, ServeUnary>();
  for (const [service, impl] of impls) {
    router.service(service, impl as never);
    // Responses are compressed only by connect: with compression on, unary calls take its path.
    if (!o.unaryFastPath || o.compressMinBytes !== Number.POSITIVE_INFINITY) continue;
    const spec = createServiceImplSpec(service, impl as never);
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      const m = spec.methods[method.localName];
      if (m === undefined) continue;
      const opt = { interceptors, readMaxBytes: o.readMaxBytes, writeMaxBytes: o.writeMaxBytes, shutdownSignal: o.shutdownSignal };
      fast.set(`/${service.typeName}/${method.name}`, createUnaryFastPath(method as DescMethodUnary, m.impl as UnaryImpl, opt));
    }
  }
  const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));
  const { logger, metrics } = o;

  return (stream, headers) => {
    const path = requestPath(headers);
    const h = paths.get(path);
    if (h === undefined) {
      answerUnknownPath(stream, headers);
      return;
    }
    const values = createContextValues();
    const onTrailer: OnTrailer = (status, message) => {
      // The handler's result was recorded as OK but the response failed on
      // the wire (serialization, size limit): correct metrics and log it.
      const handled = values.get(handledCodeKey);
      if (handled !== "OK" || status === null || status === "0") return;
      const code = Code[Number(status)] ?? "Unknown";
      metrics.reclassify(h.service.typeName, h.method.name, grpcTypeOf(h.method.methodKind), "OK", code);
      logger.warn(
        { rpc: h.method.name, service: h.service.typeName, requestId: values.get(requestIdKey), code },
        `${h.method.name} failed after the handler returned: ${message}`,
      );
    };
    const full = (prefix?: Buffer[]): void => serveFull(h, stream, headers, values, onTrailer, logger, prefix);
    const unary = fast.get(path);
    if (unary !== undefined) unary(stream, headers, values, onTrailer, full);
    else full();
  };
}

function serveFull(
  h: UniversalHandler,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  values: ContextValues,
  onTrailer: OnTrailer,
  logger: TransportLogger,
  prefix: Buffer[] | undefined,
): void {
  serveStream(async (req) => withFinalTrailer(await h(req), onTrailer), stream, headers, values, prefix).catch((reason: unknown) => {
    // The response could not be written, typically because the client went away.
    logger.debug({ rpc: h.method.name, err: reason }, `${h.method.name}: writing the response failed`);
  });
}
