/**
 * The shapes of CRI service implementations, in crikit's own types.
 *
 * They mirror connect's `ServiceImpl` and `HandlerContext` member for member
 * (connect's context is assignable to {@link CriHandlerContext}), without
 * naming connect's types: a program that uses only the building blocks, or
 * {@link CriService} without the transport, compiles without connect's type
 * declarations (which need the DOM lib's `HeadersInit`).
 *
 * @packageDocumentation
 */
import type { DescMessage, DescMethod, DescMethodServerStreaming, DescMethodUnary, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { ImageService, RuntimeService } from "../cri.js";

/**
 * A key of a request-scoped value, as connect's `createContextKey` makes it.
 *
 * @public
 */
export interface CriContextKey<T> {
  /** The key's identity. */
  id: symbol;
  /** The value of an unset key. */
  defaultValue: T;
}

/**
 * Request-scoped values (connect's `ContextValues`), for instance the request
 * ID under the transport's `requestIdKey`.
 *
 * @public
 */
export interface CriContextValues {
  /** The value of `key`, or its default. */
  get<T>(key: CriContextKey<T>): T;
  /** Sets the value of `key`. */
  set<T>(key: CriContextKey<T>, value: T): this;
  /** Unsets `key`. */
  delete(key: CriContextKey<unknown>): this;
}

/**
 * What a handler receives beside the request (connect's `HandlerContext`).
 *
 * @public
 */
export interface CriHandlerContext {
  /** The RPC called. */
  readonly method: DescMethod;
  /** The service of the RPC. */
  readonly service: DescService;
  /**
   * Aborts when the client's deadline passes, the client cancels, the call
   * ends, or the server shuts down; forward it to every waiting operation.
   */
  readonly signal: AbortSignal;
  /** Milliseconds left before the client's deadline, or `undefined` without one. */
  readonly timeoutMs: () => number | undefined;
  /** The HTTP method of the request (`POST`). */
  readonly requestMethod: string;
  /** The request's headers (gRPC metadata). */
  readonly requestHeader: Headers;
  /** Headers sent with the response. */
  readonly responseHeader: Headers;
  /** Trailers sent after the response. */
  readonly responseTrailer: Headers;
  /** `grpc`, `grpc-web` or `connect`. */
  readonly protocolName: string;
  /** Request-scoped values set by interceptors. */
  readonly values: CriContextValues;
  /** The request URL. */
  readonly url: string;
}

/**
 * The implementation of one RPC: unary methods return the response (or a
 * promise of it), server-streaming methods an async iterable of responses;
 * responses are init shapes (`create()` is not needed).
 *
 * @public
 */
export type CriMethodImpl<M extends DescMethod> =
  M extends DescMethodUnary<infer I extends DescMessage, infer O extends DescMessage>
    ? (request: MessageShape<I>, context: CriHandlerContext) => Promise<MessageInitShape<O>> | MessageInitShape<O>
    : M extends DescMethodServerStreaming<infer I extends DescMessage, infer O extends DescMessage>
      ? (request: MessageShape<I>, context: CriHandlerContext) => AsyncIterable<MessageInitShape<O>>
      : never;

/**
 * A (possibly partial) implementation of `runtime.v1.RuntimeService`. Each
 * method receives the request message and the {@link CriHandlerContext}, whose
 * `signal` aborts when the client's deadline passes, the client cancels, the
 * call ends, or the server shuts down; forward it to every waiting operation.
 * Methods left out answer Unimplemented.
 *
 * @public
 */
export type RuntimeServiceImpl = Partial<{ [P in keyof (typeof RuntimeService)["method"]]: CriMethodImpl<(typeof RuntimeService)["method"][P]> }>;

/**
 * A (possibly partial) implementation of `runtime.v1.ImageService` (see
 * {@link RuntimeServiceImpl} for the handler context).
 *
 * @public
 */
export type ImageServiceImpl = Partial<{ [P in keyof (typeof ImageService)["method"]]: CriMethodImpl<(typeof ImageService)["method"][P]> }>;
