/**
 * Registration of the CRI services on a Connect router.
 *
 * Implementations are `Partial`: an RPC left out answers Unimplemented with
 * the message `runtime.v1.RuntimeService.<Rpc> is not implemented` (connect's
 * router does this; the kubelet falls back only on that code).
 *
 * The list RPCs (ListContainers, ListPodSandbox, ListImages and their
 * Stream* forms) reuse the wire bytes of elements that are frozen objects
 * (see `cached-lists.ts`).
 *
 * @packageDocumentation
 */
import type { DescMessage } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import type { ImageServiceImpl, RuntimeServiceImpl } from "./service-impl.js";
import { ImageService, RuntimeService } from "../cri.js";
import { withCachedElements } from "./cached-lists.js";

export type { ImageServiceImpl, RuntimeServiceImpl } from "./service-impl.js";

/**
 * The CRI service implementations to serve.
 *
 * @public
 */
export interface CriServices {
  /** RuntimeService methods; missing ones answer Unimplemented. */
  runtime?: RuntimeServiceImpl;
  /** ImageService methods; missing ones answer Unimplemented. */
  image?: ImageServiceImpl;
}

/**
 * A routes function registering both CRI services, for `connectNodeAdapter`,
 * `createRouterTransport` (in-process tests) or any Connect adapter.
 *
 * @example
 * ```ts
 * const transport = createRouterTransport(createCriRoutes({ runtime: { version: () => ({ version: "0.1.0" }) } }));
 * ```
 *
 * @public
 */
export function createCriRoutes(services: CriServices): (router: ConnectRouter) => void {
  const impls = criServiceImpls(services);
  return (router) => {
    for (const [service, impl] of impls) router.service(service, impl);
  };
}

/**
 * Each CRI service with the implementation the router serves (list methods
 * wrapped, see the file header).
 *
 * @internal
 */
export function criServiceImpls(services: CriServices): [[typeof RuntimeService, RuntimeServiceImpl], [typeof ImageService, ImageServiceImpl]] {
  const runtime = withListCaching(services.runtime ?? {}, RuntimeService.method, {
    listContainers: "containers",
    listPodSandbox: "items",
    streamContainers: "containers",
    streamPodSandboxes: "podSandboxes",
  });
  const image = withListCaching(services.image ?? {}, ImageService.method, { listImages: "images", streamImages: "images" });
  return [
    [RuntimeService, runtime],
    [ImageService, image],
  ];
}

type AnyImpl = Record<string, ((req: unknown, ctx: unknown) => unknown) | undefined>;

/** `impl` with the named list methods wrapped to encode their elements through the cache. */
function withListCaching<T extends object>(impl: T, methods: Record<string, { output: DescMessage }>, fields: Record<string, string>): T {
  const src = impl as unknown as AnyImpl;
  const out: AnyImpl = {};
  // Own and prototype methods alike (CriService's are on its prototype).
  for (const name of Object.keys(methods)) {
    const fn = src[name];
    if (typeof fn === "function") out[name] = fn.bind(impl);
  }
  for (const [name, field] of Object.entries(fields)) {
    const fn = out[name];
    const schema = methods[name]?.output;
    if (fn === undefined || schema === undefined) continue;
    out[name] = (req, ctx) => {
      const r = fn(req, ctx);
      if (r !== null && typeof r === "object" && Symbol.asyncIterator in r) return mapStream(r as AsyncIterable<object>, (m) => withCachedElements(schema, field, m));
      if (r instanceof Promise) return r.then((m: object) => withCachedElements(schema, field, m));
      return withCachedElements(schema, field, r as object);
    };
  }
  return out as unknown as T;
}

async function* mapStream(src: AsyncIterable<object>, f: (m: object) => object): AsyncGenerator<object> {
  for await (const m of src) yield f(m);
}
