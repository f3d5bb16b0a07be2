/**
 * OCI image-spec and Docker distribution media types, and the JSON shapes of
 * the documents they name (descriptor, manifest, index, image config).
 *
 * Only the fields crikit reads are typed; unknown fields are kept as they are
 * in the stored blobs, which remain the source of truth.
 *
 * @packageDocumentation
 */

/**
 * Media types crikit understands, by short name.
 *
 * @public
 */
export const MediaType = {
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerNondistributable: "application/vnd.oci.image.layer.nondistributable.v1.tar",
  ociLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  ociLayerNondistributableZstd: "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  dockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerLayerForeignGzip: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
} as const;

/**
 * The compression of a layer blob, from its media type.
 *
 * @public
 */
export type LayerCompression = "none" | "gzip" | "zstd";

/**
 * The compression a layer media type implies, or `undefined` for a media type
 * that is not a layer crikit can apply.
 *
 * @public
 */
export function layerCompression(mediaType: string): LayerCompression | undefined {
  switch (mediaType) {
    case MediaType.ociLayer:
    case MediaType.ociLayerNondistributable:
      return "none";
    case MediaType.ociLayerGzip:
    case MediaType.ociLayerNondistributableGzip:
    case MediaType.dockerLayerGzip:
    case MediaType.dockerLayerForeignGzip:
      return "gzip";
    case MediaType.ociLayerZstd:
    case MediaType.ociLayerNondistributableZstd:
      return "zstd";
    default:
      return undefined;
  }
}

/**
 * The `Accept` header value for manifest requests: OCI index and manifest,
 * Docker manifest list and schema 2, best first.
 *
 * @public
 */
export const manifestAccept: string = [
  MediaType.ociIndex,
  MediaType.ociManifest,
  MediaType.dockerManifestList,
  MediaType.dockerManifest,
].join(", ");

/**
 * An OCI platform.
 *
 * @public
 */
export interface Platform {
  /** CPU architecture in Go `GOARCH` terms (`amd64`, `arm64`, ...). OCI `architecture`. */
  architecture: string;
  /** Operating system in Go `GOOS` terms (`linux`, `windows`, ...). OCI `os`. */
  os: string;
  /** CPU variant (`v7`, `v8`); a missing arm64 variant matches `v8`. OCI `variant`. */
  variant?: string;
  /** OS version, used by Windows images; not matched by crikit. OCI `os.version`. */
  "os.version"?: string;
  /** Required OS features, used by Windows images; not matched by crikit. OCI `os.features`. */
  "os.features"?: string[];
}

/**
 * An OCI content descriptor.
 *
 * @public
 */
export interface Descriptor {
  /** Media type of the referenced content (see {@link MediaType}). OCI `mediaType`. */
  mediaType: string;
  /** Digest of the referenced content, `sha256:<hex>`. OCI `digest`. */
  digest: string;
  /** Size of the referenced content in bytes; downloads are checked against it. OCI `size`. */
  size: number;
  /** Other URLs the content may be downloaded from; crikit does not use them. OCI `urls`. */
  urls?: string[];
  /** Arbitrary metadata. OCI `annotations`. */
  annotations?: Record<string, string>;
  /** The platform of the manifest it points to; set in an index's entries. OCI `platform`. */
  platform?: Platform;
  /** Type of an artifact the descriptor points to; crikit does not use it. OCI `artifactType`. */
  artifactType?: string;
}

/**
 * An OCI image manifest (also a Docker schema 2 manifest).
 *
 * @public
 */
export interface ImageManifest {
  /** Always 2. OCI `schemaVersion`. */
  schemaVersion: 2;
  /** {@link MediaType}.ociManifest or dockerManifest; may be absent in OCI documents. OCI `mediaType`. */
  mediaType?: string;
  /** The image config blob; its digest is the image ID. OCI `config`. */
  config: Descriptor;
  /** The layer blobs, bottom first. OCI `layers`. */
  layers: Descriptor[];
  /** Arbitrary metadata. OCI `annotations`. */
  annotations?: Record<string, string>;
}

/**
 * An OCI image index (also a Docker manifest list).
 *
 * @public
 */
export interface ImageIndex {
  /** Always 2. OCI `schemaVersion`. */
  schemaVersion: 2;
  /** {@link MediaType}.ociIndex or dockerManifestList; may be absent in OCI documents. OCI `mediaType`. */
  mediaType?: string;
  /** One manifest per platform, each with its `platform`; the first match wins. OCI `manifests`. */
  manifests: Descriptor[];
  /** Arbitrary metadata. OCI `annotations`. */
  annotations?: Record<string, string>;
}

/**
 * The execution part of an OCI image config.
 *
 * @public
 */
export interface ImageRuntimeConfig {
  /** `user`, `uid`, `user:group` or `uid:gid` the process runs as; also the CRI `Image` uid or username. OCI `config.User`. */
  User?: string;
  /** Ports as `port/proto` keys (`80/tcp`); values are empty objects. OCI `config.ExposedPorts`. */
  ExposedPorts?: Record<string, object>;
  /** Environment entries, `NAME=value`. OCI `config.Env`. */
  Env?: string[];
  /** Default command prefix; Docker writes `null` for none. OCI `config.Entrypoint`. */
  Entrypoint?: string[] | null;
  /** Default arguments (or command, without an entrypoint); Docker writes `null` for none. OCI `config.Cmd`. */
  Cmd?: string[] | null;
  /** Volume paths as keys; values are empty objects. OCI `config.Volumes`. */
  Volumes?: Record<string, object>;
  /** Default working directory of the process. OCI `config.WorkingDir`. */
  WorkingDir?: string;
  /** Arbitrary metadata. OCI `config.Labels`. */
  Labels?: Record<string, string>;
  /** Signal that stops the container, by name (`SIGTERM`) or number. OCI `config.StopSignal`. */
  StopSignal?: string;
}

/**
 * An OCI image config (also a Docker image config).
 *
 * @public
 */
export interface ImageConfigFile {
  /** Creation time, RFC 3339. OCI `created`. */
  created?: string;
  /** Name or email of the author. OCI `author`. */
  author?: string;
  /** CPU architecture the image's binaries are built for, as in {@link Platform}. OCI `architecture`. */
  architecture: string;
  /** Operating system the image is built for, as in {@link Platform}. OCI `os`. */
  os: string;
  /** CPU variant, as in {@link Platform}. OCI `variant`. */
  variant?: string;
  /** Execution parameters for containers of this image. OCI `config`. */
  config?: ImageRuntimeConfig;
  /** `type` is `layers`; `diff_ids` are the digests of the uncompressed layers, bottom first, from which chain IDs derive. OCI `rootfs`. */
  rootfs: { type: string; diff_ids: string[] };
  /** Build history of each layer; kept, not read. OCI `history`. */
  history?: unknown[];
}
