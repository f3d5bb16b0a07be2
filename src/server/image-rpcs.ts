/**
 * The ImageService RPCs over the image backend, with the SDK's CRI
 * conversions (`toCriImage`, `criImageVerboseInfo`, `fromCriAuthConfig`,
 * `toCriFilesystemUsage`).
 *
 * @packageDocumentation
 */
import { crashPoint } from "../crash-points.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ImageFsInfoRequest,
  ImageFsInfoResponseSchema,
  ImageStatusRequest,
  ImageStatusResponseSchema,
  ListImagesRequest,
  ListImagesResponseSchema,
  PullImageRequest,
  PullImageResponseSchema,
  RemoveImageRequest,
  RemoveImageResponseSchema,
  StreamImagesRequest,
  StreamImagesResponseSchema,
} from "../cri.js";
import { invalidArgument, isCrikitError } from "../errors.js";
import { criImageVerboseInfo, fromCriAuthConfig, toCriFilesystemUsage, toCriImage, type RegistryAuth } from "../image/index.js";
import { parseReference } from "../reference/index.js";
import { checkReady, resolveHandler, sig, type CallContext, type ServiceContext } from "./service-context.js";
import { chunks } from "./undo.js";
import { imageNotInRegistry } from "./user-errors.js";

function imageOf(req: { image?: { image: string } | undefined }): string {
  const ref = req.image?.image ?? "";
  if (ref === "") throw invalidArgument("image.image is empty", "image.image");
  return ref;
}

/** ListImages, optionally filtered by an image reference or ID. */
export async function listImages(c: ServiceContext, req: ListImagesRequest, _call?: CallContext): Promise<MessageInitShape<typeof ListImagesResponseSchema>> {
  const ref = req.filter?.image?.image ?? "";
  return { images: (await c.images.list(ref !== "" ? { image: ref } : undefined)).map(toCriImage) };
}

/** StreamImages: ListImages in chunks. */
export async function* streamImages(c: ServiceContext, req: StreamImagesRequest, call?: CallContext): AsyncGenerator<MessageInitShape<typeof StreamImagesResponseSchema>> {
  const { images } = await listImages(c, { filter: req.filter } as ListImagesRequest, call);
  for (const chunk of chunks(images ?? [])) yield { images: chunk };
}

/** ImageStatus: an absent image gives an empty response, not an error. */
export async function imageStatus(c: ServiceContext, req: ImageStatusRequest, _call?: CallContext): Promise<MessageInitShape<typeof ImageStatusResponseSchema>> {
  const img = await c.images.status(imageOf(req));
  if (img === undefined) return {};
  return { image: toCriImage(img), info: req.verbose ? criImageVerboseInfo(img) : {} };
}

/** The credentials of a pull: the request's, else the config's for the image's registry. */
function authOf(c: ServiceContext, req: PullImageRequest, ref: string): RegistryAuth | undefined {
  const given = fromCriAuthConfig(req.auth);
  if (given !== undefined) return given;
  const conf = c.config.registry.auths[parseReference(ref, "image.image").domain];
  if (conf === undefined) return undefined;
  return fromCriAuthConfig({ username: conf.username ?? "", password: conf.password ?? "", auth: conf.auth ?? "", identityToken: conf.identity_token ?? "" } as never);
}

/** PullImage: `image_ref` is the image ID, as everywhere else. */
export async function pullImage(c: ServiceContext, req: PullImageRequest, call: CallContext = {}): Promise<MessageInitShape<typeof PullImageResponseSchema>> {
  checkReady(c);
  const ref = imageOf(req);
  const handler = req.image?.runtimeHandler ?? "";
  if (handler !== "") resolveHandler(c, handler);
  const auth = authOf(c, req, ref);
  const res = await c.images.pull(ref, { ...(auth ? { auth } : {}), ...sig(call.signal) }).catch((err: unknown) => {
    throw isCrikitError(err) && err.code === "NotFound" ? imageNotInRegistry(ref, err) : err;
  });
  crashPoint("PullImage.after-record");
  c.log.info({ image: ref, id: res.imageRef }, "image pulled");
  return { imageRef: res.imageRef };
}

/** RemoveImage: idempotent. */
export async function removeImage(c: ServiceContext, req: RemoveImageRequest, _call?: CallContext): Promise<MessageInitShape<typeof RemoveImageResponseSchema>> {
  checkReady(c);
  await c.images.remove(imageOf(req));
  return {};
}

/** ImageFsInfo: usage of the image store's filesystem. */
export async function imageFsInfo(c: ServiceContext, _req: ImageFsInfoRequest, call: CallContext = {}): Promise<MessageInitShape<typeof ImageFsInfoResponseSchema>> {
  return { imageFilesystems: [toCriFilesystemUsage(await c.images.fsInfo(sig(call.signal)))], containerFilesystems: [] };
}
