/**
 * Images: registry client, content store, layer unpacker, snapshots and the
 * image service.
 *
 * @packageDocumentation
 */
export { MediaType, layerCompression, manifestAccept } from "./media-types.js";
export type { LayerCompression, Platform, Descriptor, ImageManifest, ImageIndex, ImageRuntimeConfig, ImageConfigFile } from "./media-types.js";
export { isSha256Digest, digestHex, sha256Digest, chainIds } from "./digest.js";
export { ContentStore } from "./content-store.js";
export type { ContentStoreOptions, IngestOptions, BlobSource } from "./content-store.js";
export { applyLayer } from "./unpack.js";
export type { ApplyLayerOptions, ApplyLayerResult } from "./unpack.js";
export { Snapshotter } from "./snapshotter.js";
export type { OverlayMountOptions } from "./snapshotter.js";
export { hostPlatform, platformMatches, selectPlatform } from "./platform.js";
export { RegistryClient, parseChallenge } from "./registry-client.js";
export type { RegistryAuth, RegistryHostConfig, RegistryClientOptions, RegistryCallOptions, FetchedManifest, PullProgress, ImageLogger } from "./registry-client.js";
export { ImageService, imageSpecConfig } from "./image-service.js";
export type { ImageServiceOptions, PullOptions, PullResult, ImageSpecConfig, ImageFsUsage } from "./image-service.js";
export type { ImageRecord, ImageDetails } from "./image-records.js";
export { toCriImage, toCriFilesystemUsage, fromCriAuthConfig, criImageVerboseInfo } from "./cri-image.js";
