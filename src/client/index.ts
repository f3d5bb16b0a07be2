/**
 * crikit/client: a CRI client over a unix socket, for tests and tools.
 *
 * {@link createCriClient} speaks gRPC (HTTP/2 with prior knowledge) to a CRI
 * endpoint such as crikitd's `/run/crikit/crikit.sock`, containerd's or
 * CRI-O's, through connect-node's gRPC transport. Messages are protobuf-es
 * messages of `crikit/cri`; requests take init shapes, as every connect
 * client does.
 *
 * Other gRPC stacks can use the CRI API's `.proto`, shipped in the package as
 * `proto/cri-api/runtime/v1/api.proto` (k8s.io/cri-api v0.36.3).
 *
 * @packageDocumentation
 */
import { connect as netConnect } from "node:net";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import { ImageService, RuntimeService } from "../cri.js";

/**
 * Options for {@link createCriClient}.
 *
 * @public
 */
export interface CriClientOptions {
  /**
   * Default deadline of each call, in milliseconds (sent as `grpc-timeout`);
   * a call's own `timeoutMs` overrides it.
   * @defaultValue no deadline
   */
  defaultTimeoutMs?: number;
  /**
   * The `:authority` sent with each call. crikit's server accepts any value;
   * some servers expect `localhost`.
   * @defaultValue `"localhost"`
   */
  authority?: string;
  /** Interceptors run around each call, outermost first. @defaultValue none */
  interceptors?: Interceptor[];
  /**
   * Largest response message accepted, in bytes.
   * @defaultValue 16 MiB, crikitd's default `max_message_bytes`
   */
  readMaxBytes?: number;
}

/**
 * A CRI client: the two services of `runtime.v1` and a `close()` that ends
 * the HTTP/2 session.
 *
 * @public
 */
export interface CriClient extends AsyncDisposable {
  /** `runtime.v1.RuntimeService` (Version, RunPodSandbox, CreateContainer, ...). */
  readonly runtime: Client<typeof RuntimeService>;
  /** `runtime.v1.ImageService` (PullImage, ListImages, ImageFsInfo, ...). */
  readonly image: Client<typeof ImageService>;
  /** Ends the HTTP/2 session; calls in flight fail. Idempotent. */
  close(): void;
}

/** Socket errors that mean "nothing serves this path (now)", as grpc-go reports them. */
const noServerCodes = new Set(["ENOENT", "ECONNREFUSED", "ENOTSOCK"]);

/**
 * connect-node reports a missing socket file as Internal; a client, like
 * crictl, should see Unavailable and may retry.
 */
const unavailableWhenNoSocket: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (e) {
    const cause = e instanceof ConnectError ? (e.cause as { code?: unknown } | undefined) : undefined;
    if (e instanceof ConnectError && e.code === Code.Internal && typeof cause?.code === "string" && noServerCodes.has(cause.code)) {
      throw new ConnectError(e.rawMessage, Code.Unavailable, e.metadata, undefined, e.cause);
    }
    throw e;
  }
};

/**
 * Connects to the CRI endpoint at `socketPath` (a path, or a
 * `unix://` URL as crictl takes it). No connection is made until the first
 * call; a missing socket fails that call with `Unavailable`.
 *
 * @example
 * ```ts
 * await using client = createCriClient("/run/crikit/crikit.sock");
 * const { runtimeName } = await client.runtime.version({});
 * ```
 *
 * @public
 */
export function createCriClient(socketPath: string, options: CriClientOptions = {}): CriClient {
  const path = socketPath.startsWith("unix://") ? socketPath.slice("unix://".length) : socketPath;
  const baseUrl = `http://${options.authority ?? "localhost"}`;
  // One HTTP/2 session over the unix socket, owned here so that close() can end it.
  const sessionManager = new Http2SessionManager(baseUrl, {}, { createConnection: () => netConnect(path) });
  const transport = createGrpcTransport({
    baseUrl,
    sessionManager,
    readMaxBytes: options.readMaxBytes ?? 16 * 1024 * 1024,
    interceptors: [unavailableWhenNoSocket, ...(options.interceptors ?? [])],
    ...(options.defaultTimeoutMs !== undefined ? { defaultTimeoutMs: options.defaultTimeoutMs } : {}),
  });
  const close = (): void => {
    if (sessionManager.state() !== "closed") sessionManager.abort();
  };
  return {
    runtime: createClient(RuntimeService, transport),
    image: createClient(ImageService, transport),
    close,
    [Symbol.asyncDispose]: async () => close(),
  };
}
