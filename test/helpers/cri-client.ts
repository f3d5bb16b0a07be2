/**
 * A CRI client for tests, built on the second, independent gRPC stack:
 * @grpc/grpc-js with @grpc/proto-loader reading the same api.proto
 * (the vendored `proto/cri-api/runtime/v1/api.proto`). grpc-js
 * speaks HTTP/2 with prior knowledge over the unix socket, as grpc-go does
 * for the kubelet and crictl, so what passes here is what they see.
 *
 * Message shapes follow proto-loader with `keepCase: true` (snake_case field
 * names as in the proto and crictl's JSON), `longs: String` (int64 as
 * decimal strings), `enums: String` (enum value names), `defaults: true`,
 * `oneofs: true`; `bytes` fields are Buffers.
 *
 * Failures reject with grpc-js's `ServiceError`: `code` (the gRPC number),
 * `details` (the server's message) and `metadata`.
 */
import { fileURLToPath } from "node:url";
import grpc from "@grpc/grpc-js";
import type { ServiceError } from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";

/** The CRI proto shared by the e2e tests. */
export const criProtoPath = fileURLToPath(new URL("../../proto/cri-api/runtime/v1/api.proto", import.meta.url));

/** gRPC status codes by name, for assertions. */
export const GrpcStatus = grpc.status;

/** A loose message object as proto-loader produces and accepts it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

/** Options for one call. */
export interface CallOptions {
  /** Deadline in milliseconds from now (sent as `grpc-timeout`). */
  timeoutMs?: number;
  /** Request metadata (headers). */
  metadata?: Record<string, string>;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** Options for {@link createCriClient}. */
export interface CriClientOptions {
  /**
   * Largest message the client accepts, in bytes; -1 is unlimited, so that
   * the server's limits are the ones tested.
   * @defaultValue -1
   */
  maxReceiveMessageLength?: number;
  /** Largest message the client sends; -1 is unlimited. @defaultValue -1 */
  maxSendMessageLength?: number;
  /** Channel credentials (TLS for a TCP target). @defaultValue insecure */
  credentials?: grpc.ChannelCredentials;
  /** Extra grpc-js channel options. */
  channelOptions?: grpc.ChannelOptions;
}

/** A server stream as an async iterable that can be cancelled. */
export interface ServerStream<T> extends AsyncIterable<T> {
  /** Cancel the call (the server's handler signal aborts). */
  cancel(): void;
  /** The underlying grpc-js call. */
  readonly call: grpc.ClientReadableStream<T>;
}

/** A connected CRI test client. */
export interface CriClient {
  /** The raw grpc-js RuntimeService client. */
  readonly runtime: grpc.Client;
  /** The raw grpc-js ImageService client. */
  readonly image: grpc.Client;
  /** Call a unary RPC by name (`"Version"`, `"PullImage"`, ...), on whichever service has it. */
  unary<T extends Msg = Msg>(rpc: string, request?: Msg, options?: CallOptions): Promise<T>;
  /** Open a server-streaming RPC by name (`"GetContainerEvents"`, `"StreamContainers"`, ...). */
  stream<T extends Msg = Msg>(rpc: string, request?: Msg, options?: CallOptions): ServerStream<T>;
  /** Read a server stream to its end. */
  collect<T extends Msg = Msg>(rpc: string, request?: Msg, options?: CallOptions): Promise<T[]>;
  /** Wait until the channel is connected (or fail after `timeoutMs`). */
  waitForReady(timeoutMs?: number): Promise<void>;
  /** Close both channels. */
  close(): void;
}

let cachedDefinition: grpc.GrpcObject | undefined;

function loadCri(): grpc.GrpcObject {
  if (cachedDefinition === undefined) {
    const def = protoLoader.loadSync(criProtoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    cachedDefinition = grpc.loadPackageDefinition(def);
  }
  return cachedDefinition;
}

type ClientCtor = grpc.ServiceClientConstructor;

function serviceCtor(name: "RuntimeService" | "ImageService"): ClientCtor {
  const runtime = loadCri()["runtime"] as grpc.GrpcObject;
  const v1 = runtime["v1"] as grpc.GrpcObject;
  return v1[name] as ClientCtor;
}

/** `unix:///path` for a socket path; other targets (`host:port`) pass through. */
export function criTarget(socketOrTarget: string): string {
  return socketOrTarget.startsWith("/") ? `unix://${socketOrTarget}` : socketOrTarget;
}

/**
 * Connect to a CRI server at a unix socket path (or any grpc-js target).
 */
export function createCriClient(socketOrTarget: string, options: CriClientOptions = {}): CriClient {
  const target = criTarget(socketOrTarget);
  const creds = options.credentials ?? grpc.credentials.createInsecure();
  const channelOptions: grpc.ChannelOptions = {
    "grpc.max_receive_message_length": options.maxReceiveMessageLength ?? -1,
    "grpc.max_send_message_length": options.maxSendMessageLength ?? -1,
    ...options.channelOptions,
  };
  const RuntimeCtor = serviceCtor("RuntimeService");
  const ImageCtor = serviceCtor("ImageService");
  const runtime = new RuntimeCtor(target, creds, channelOptions);
  const image = new ImageCtor(target, creds, channelOptions);

  function resolve(rpc: string): { client: grpc.Client; def: grpc.MethodDefinition<object, object> } {
    for (const [client, ctor] of [
      [runtime, RuntimeCtor],
      [image, ImageCtor],
    ] as const) {
      const def = ctor.service[rpc];
      if (def !== undefined) return { client, def };
    }
    throw new Error(`no CRI RPC named "${rpc}"`);
  }

  function callArgs(options: CallOptions): { metadata: grpc.Metadata; callOptions: grpc.CallOptions } {
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, v);
    const callOptions: grpc.CallOptions = {};
    if (options.timeoutMs !== undefined) callOptions.deadline = new Date(Date.now() + options.timeoutMs);
    return { metadata, callOptions };
  }

  const client: CriClient = {
    runtime,
    image,
    unary<T extends Msg>(rpc: string, request: Msg = {}, options: CallOptions = {}): Promise<T> {
      const { client: c, def } = resolve(rpc);
      if (def.requestStream || def.responseStream) return Promise.reject(new Error(`${rpc} is not a unary RPC`));
      const { metadata, callOptions } = callArgs(options);
      return new Promise<T>((res, rej) => {
        const call = c.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize as (b: Buffer) => T,
          request,
          metadata,
          callOptions,
          (err: ServiceError | null, value?: T) => (err ? rej(err) : res(value as T)),
        );
        options.signal?.addEventListener("abort", () => call.cancel(), { once: true });
      });
    },
    stream<T extends Msg>(rpc: string, request: Msg = {}, options: CallOptions = {}): ServerStream<T> {
      const { client: c, def } = resolve(rpc);
      if (def.requestStream || !def.responseStream) throw new Error(`${rpc} is not a server-streaming RPC`);
      const { metadata, callOptions } = callArgs(options);
      const call = c.makeServerStreamRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize as (b: Buffer) => T,
        request,
        metadata,
        callOptions,
      );
      options.signal?.addEventListener("abort", () => call.cancel(), { once: true });
      return {
        call,
        cancel: () => call.cancel(),
        [Symbol.asyncIterator]: () => call[Symbol.asyncIterator]() as AsyncIterator<T>,
      };
    },
    async collect<T extends Msg>(rpc: string, request: Msg = {}, options: CallOptions = {}): Promise<T[]> {
      const out: T[] = [];
      for await (const m of client.stream<T>(rpc, request, options)) out.push(m);
      return out;
    },
    waitForReady(timeoutMs = 5000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      return Promise.all(
        [runtime, image].map(
          (c) => new Promise<void>((res, rej) => c.waitForReady(deadline, (err) => (err ? rej(err) : res()))),
        ),
      ).then(() => undefined);
    },
    close(): void {
      runtime.close();
      image.close();
    },
  };
  return client;
}

/** Whether `e` is a grpc-js ServiceError (has a numeric `code` and `details`). */
export function isServiceError(e: unknown): e is ServiceError {
  return typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "number" && "details" in e;
}
