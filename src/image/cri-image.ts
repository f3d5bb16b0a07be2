/**
 * Conversions between the image module's shapes and the CRI messages of the
 * ImageService: `Image`, `FilesystemUsage` and `AuthConfig`.
 *
 * `Image.uid` and `Image.username` come from the config's `User`: a numeric
 * user part gives `uid` (and an empty `username`), a name gives `username`
 * (and no `uid`), an empty `User` gives neither, which the kubelet reads as
 * "no user set" (as containerd does). `Image.size` is the compressed size
 * (manifest, config and layers), which is what containerd reports too.
 *
 * @packageDocumentation
 */
import { create } from "@bufbuild/protobuf";
import { AuthConfigSchema, FilesystemIdentifierSchema, FilesystemUsageSchema, ImageSchema, ImageSpecSchema, Int64ValueSchema, UInt64ValueSchema } from "../cri.js";
import type { AuthConfig, FilesystemUsage, Image } from "../cri.js";
import { parseImageUser } from "../reference/index.js";
import type { ImageFsUsage } from "./image-service.js";
import type { ImageRecord } from "./image-records.js";
import type { RegistryAuth } from "./registry-client.js";

/**
 * The CRI `Image` for an image record.
 *
 * @public
 */
export function toCriImage(rec: ImageRecord): Image {
  const user = rec.config.config?.User ?? "";
  let uid: bigint | undefined;
  let username = "";
  try {
    const parsed = parseImageUser(user);
    if (parsed?.user.uid !== undefined) uid = BigInt(parsed.user.uid);
    else if (parsed?.user.name !== undefined) username = parsed.user.name;
  } catch {
    username = user; // malformed: report it as is, spec generation rejects it
  }
  return create(ImageSchema, {
    id: rec.id,
    repoTags: [...rec.repoTags],
    repoDigests: [...rec.repoDigests],
    size: BigInt(rec.size),
    ...(uid === undefined ? {} : { uid: create(Int64ValueSchema, { value: uid }) }),
    username,
    spec: create(ImageSpecSchema, { image: rec.id }),
    pinned: rec.pinned,
  });
}

/**
 * The CRI `FilesystemUsage` for image filesystem usage.
 *
 * @public
 */
export function toCriFilesystemUsage(u: ImageFsUsage): FilesystemUsage {
  return create(FilesystemUsageSchema, {
    timestamp: BigInt(u.timestamp) * 1_000_000n,
    fsId: create(FilesystemIdentifierSchema, { mountpoint: u.mountpoint }),
    usedBytes: create(UInt64ValueSchema, { value: BigInt(u.usedBytes) }),
    inodesUsed: create(UInt64ValueSchema, { value: BigInt(u.inodesUsed) }),
  });
}

/**
 * The registry credentials in a CRI `AuthConfig` (undefined for none).
 *
 * @public
 */
export function fromCriAuthConfig(auth: AuthConfig | undefined): RegistryAuth | undefined {
  if (auth === undefined) return undefined;
  const a = create(AuthConfigSchema, auth);
  const out: RegistryAuth = {};
  if (a.username !== "") out.username = a.username;
  if (a.password !== "") out.password = a.password;
  if (a.auth !== "") out.auth = a.auth;
  if (a.serverAddress !== "") out.serverAddress = a.serverAddress;
  if (a.identityToken !== "") out.identityToken = a.identityToken;
  if (a.registryToken !== "") out.registryToken = a.registryToken;
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * The `info` map of a verbose CRI `ImageStatus`: one key, `info`, holding
 * JSON with the image's chain ID, manifest digest, layers and config (the
 * shape containerd's verbose status has, plus the manifest digest).
 *
 * @public
 */
export function criImageVerboseInfo(rec: ImageRecord): Record<string, string> {
  return {
    info: JSON.stringify({
      chainID: rec.chainIds[rec.chainIds.length - 1] ?? "",
      manifestDigest: rec.manifestDigest,
      layers: rec.layers,
      pinned: rec.pinned,
      imageSpec: rec.config,
    }),
  };
}
