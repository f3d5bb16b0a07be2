/**
 * Registration of the CRI services on a Connect router.
 *
 * Implementations are `Partial`: an RPC left out answers Unimplemented with
 * the message `runtime.v1.RuntimeService.<Rpc> is not implemented` (connect's
 * router does this; the kubelet falls back only on that code).
 *
 * @packageDocumentation
 */
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { ImageService, RuntimeService } from "../cri.js";

/**
 * A (possibly partial) implementation of `runtime.v1.RuntimeService`. Each
 * method receives the request message and connect's `HandlerContext`, whose
 * `signal` aborts when the client's deadline passes, the client cancels, the
 * call ends, or the server shuts down; forward it to every waiting operation.
 *
 * @public
 */
export type RuntimeServiceImpl = Partial<ServiceImpl<typeof RuntimeService>>;

/**
 * A (possibly partial) implementation of `runtime.v1.ImageService` (see
 * {@link RuntimeServiceImpl} for the handler context).
 *
 * @public
 */
export type ImageServiceImpl = Partial<ServiceImpl<typeof ImageService>>;

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
  const runtime = services.runtime ?? {};
  const image = services.image ?? {};
  return (router) => {
    router.service(RuntimeService, runtime);
    router.service(ImageService, image);
  };
}
