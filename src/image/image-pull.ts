/**
 * The registry and unpacking half of a pull: the manifest (chosen from an
 * index for the platform), the config, and the layers, downloaded
 * `maxConcurrentDownloads` at a time ahead of the unpacking, which applies
 * them bottom up as they arrive and checks each diff ID. What the pull
 * records of the image is `ImageService`'s.
 *
 * @packageDocumentation
 */
import { Readable } from "node:stream";
import { crashPoint } from "../crash-points.js";
import { CrikitError } from "../errors.js";
import { repositoryName, type ParsedReference } from "../reference/index.js";
import { runStep } from "../telemetry/index.js";
import type { ContentStore } from "./content-store.js";
import { chainIds as computeChainIds } from "./digest.js";
import { MediaType, layerCompression, type Descriptor, type ImageConfigFile, type ImageIndex, type ImageManifest, type Platform } from "./media-types.js";
import { selectPlatform } from "./platform.js";
import type { PullProgress, RegistryAuth, RegistryClient } from "./registry-client.js";
import type { Snapshotter } from "./snapshotter.js";
import { applyLayer } from "./unpack.js";
import type { UnpackThread } from "./unpack-thread.js";

/** The parts of the image service a pull runs on. */
export interface PullParts {
  readonly registry: RegistryClient;
  readonly content: ContentStore;
  readonly snapshots: Snapshotter;
  readonly unpacker: UnpackThread | undefined;
  readonly platform: Platform;
  readonly maxDownloads: number;
}

/** A registry call's auth and signal. */
export interface PullCall {
  auth?: RegistryAuth;
  signal: AbortSignal;
}

/** What a pull fetched and unpacked. */
export interface FetchedImage {
  top: { bytes: Buffer; digest: string };
  manifestDigest: string;
  manifest: ImageManifest;
  config: ImageConfigFile;
  chain: string[];
  blobs: string[];
  size: number;
}

/** Fetches and unpacks the image `ref` (see the file header); `downloads` holds the layer downloads started, for the caller to settle on failure. */
export async function fetchImage(p: PullParts, ref: ParsedReference, name: string, call: PullCall, downloads: Map<number, Promise<void>>, onProgress?: (p: PullProgress) => void): Promise<FetchedImage> {
  const signal = call.signal;
    const top = await p.registry.fetchManifest(ref, ref.digest ?? ref.tag ?? "latest", call);
    await p.content.write(top.bytes, top.digest);
    const blobs = [top.digest];
    let manifestDigest = top.digest;
    let manifest: ImageManifest;
    if (top.mediaType === MediaType.ociIndex || top.mediaType === MediaType.dockerManifestList) {
      const index = parseJson<ImageIndex>(top.bytes, "image index");
      const chosen = selectPlatform(index.manifests ?? [], p.platform);
      if (chosen === undefined) {
        const want = `${p.platform.os}/${p.platform.architecture}${p.platform.variant ? `/${p.platform.variant}` : ""}`;
        throw new CrikitError("NotFound", `image ${name} has no manifest for platform ${want}`);
      }
      const m = await p.registry.fetchManifest(ref, chosen.digest, call);
      await p.content.write(m.bytes, m.digest);
      blobs.push(m.digest);
      manifestDigest = m.digest;
      manifest = parseJson<ImageManifest>(m.bytes, "image manifest");
    } else if (top.mediaType === MediaType.ociManifest || top.mediaType === MediaType.dockerManifest) {
      manifest = parseJson<ImageManifest>(top.bytes, "image manifest");
    } else {
      throw new CrikitError("InvalidArgument", `image ${name} has unsupported manifest type "${top.mediaType}"`, { details: { field: "image" } });
    }
    if (!manifest.config || !Array.isArray(manifest.layers)) throw new CrikitError("DataLoss", `manifest of ${name} lacks config or layers`);
    await fetchBlob(p, ref, manifest.config, call, onProgress);
    const config = await p.content.readJson<ImageConfigFile>(manifest.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new CrikitError("DataLoss", `image ${name}: the config lists ${diffIds.length} layers, the manifest ${manifest.layers.length}`);
    }
    for (const l of manifest.layers) {
      if (layerCompression(l.mediaType) === undefined) throw new CrikitError("InvalidArgument", `image ${name} has a layer of unsupported type "${l.mediaType}"`, { details: { field: "image" } });
    }
    const chain = computeChainIds(diffIds);
    // Downloads run ahead, `maxConcurrentDownloads` at a time, each finished one starting
    // the next, whatever the unpacking's pace; layers are unpacked bottom up as they arrive.
    let next = 0;
    let active = 0;
    const startMore = (): void => {
      while (next < manifest.layers.length && active < p.maxDownloads && !signal.aborted) {
        const i = next++;
        const d = manifest.layers[i] as Descriptor;
        active++;
        const download = p.snapshots
          .has(chain[i] as string)
          .then((has) => (has ? undefined : fetchBlob(p, ref, d, call, onProgress)))
          .finally(() => {
            active--;
            startMore();
          });
        download.catch(() => undefined);
        downloads.set(i, download);
      }
    };
    startMore();
    for (let i = 0; i < manifest.layers.length; i++) {
      await downloads.get(i);
      const layer = manifest.layers[i] as Descriptor;
      const chainId = chain[i] as string;
      await p.snapshots.prepare(chainId, async (dir) => {
        const opts = { compression: layerCompression(layer.mediaType) ?? "none", lowerDirs: p.snapshots.lowerDirs(chain.slice(0, i)), signal };
        const unpacker = p.unpacker;
        const res = await runStep("image.unpack", { "crikit.digest": layer.digest, bytes: layer.size }, () =>
          unpacker === undefined ? applyLayer(dir, Readable.from(p.content.createReadStream(layer.digest)), opts) : unpacker.apply(dir, p.content.path(layer.digest), opts),
        );
        if (res.diffId !== diffIds[i]) {
          throw new CrikitError("DataLoss", `layer ${layer.digest} of ${name} unpacks to ${res.diffId}, the config says ${diffIds[i]}`);
        }
        crashPoint("PullImage.mid-unpack");
      });
      crashPoint("PullImage.after-unpack");
    }
    blobs.push(manifest.config.digest, ...manifest.layers.map((l) => l.digest));
    const size = top.bytes.byteLength + manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0);
  return { top, manifestDigest, manifest, config, chain, blobs, size };
}

async function fetchBlob(p: PullParts, ref: ParsedReference, d: Descriptor, call: PullCall, onProgress?: (p: PullProgress) => void): Promise<void> {
  if (await p.content.has(d.digest)) return;
  try {
    await runStep("image.fetch", { "crikit.digest": d.digest, bytes: d.size }, () => downloadBlob(p, ref, d, call, onProgress));
  } catch (err) {
    if (err instanceof CrikitError || call.signal.aborted) throw err;
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    throw new CrikitError("Unavailable", `download of blob ${d.digest} of ${repositoryName(ref)} broke off${typeof code === "string" ? ` (${code})` : ""}; nothing of it was kept`, { cause: err });
  }
}

/** One retry loop around open-and-stream, so a body cut short is retried like a refused connection. */
async function downloadBlob(p: PullParts, ref: ParsedReference, d: Descriptor, call: PullCall, onProgress?: (p: PullProgress) => void): Promise<void> {
  await p.registry.withRetry(
    `blob ${d.digest}`,
    () =>
      p.content.ingest(d.digest, d.size, () => p.registry.openBlob(ref, d.digest, { ...call, retries: 0 }), {
        signal: call.signal,
        ...(onProgress ? { onProgress: (written: number) => onProgress({ digest: d.digest, written, total: d.size }) } : {}),
      }),
    call.signal,
  );
}

function parseJson<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString("utf8")) as T;
  } catch (err) {
    throw new CrikitError("DataLoss", `${what} is not valid JSON`, { cause: err });
  }
}
