/**
 * The record of a pod's network attachment, kept from ADD to DEL.
 *
 * What is kept (libcni's `cniCacheV1` layout, so existing CNI tooling can
 * read it): the network list as it was at ADD time (`config`, base64), the
 * interface name, `CNI_ARGS` pairs, the capability arguments and the ADD
 * result. DEL uses the stored config and arguments, so a pod is torn down
 * with what it was set up with even if the conf dir changed since; CHECK
 * uses the stored result as `prevResult`; GC lists the attachments.
 *
 * File: `<dir>/<network>-<containerId>-<ifName>`, written to a temp file and
 * renamed into place.
 *
 * @packageDocumentation
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * One cached attachment.
 *
 * @public
 */
export interface CniAttachment {
  /** `CNI_CONTAINERID`: the pod sandbox ID. */
  readonly containerId: string;
  /** `CNI_IFNAME`: the interface name inside the pod, such as `eth0`. */
  readonly ifName: string;
  /** Name of the network list the pod was attached to. */
  readonly networkName: string;
  /** The network list JSON used at ADD. */
  readonly config: string;
  /** `CNI_NETNS`: path of the pod's network namespace at ADD. */
  readonly netns: string;
  /** `CNI_ARGS` key-value pairs passed at ADD (see {@link buildCniArgs}). */
  readonly cniArgs: ReadonlyArray<readonly [string, string]>;
  /** Capability arguments (`runtimeConfig`) built at ADD, before per-plugin filtering. */
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
  /** The ADD result as printed, if ADD finished. */
  readonly result?: unknown;
}

/**
 * Where attachments are kept.
 *
 * @public
 */
export interface CniAttachmentCache {
  /** The attachment of a pod on a network and interface, or `undefined` when none is kept. */
  get(networkName: string, containerId: string, ifName: string): Promise<CniAttachment | undefined>;
  /** Store an attachment, replacing any with the same network, container ID and interface. */
  put(a: CniAttachment): Promise<void>;
  /** Forget an attachment; no error when there is none. */
  delete(networkName: string, containerId: string, ifName: string): Promise<void>;
  /** All kept attachments (for GC and restarts); unreadable entries are skipped. */
  list(): Promise<CniAttachment[]>;
}

const safe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The default {@link CniAttachmentCache}: one JSON file per attachment in `dir`.
 *
 * @public
 */
export function createFileAttachmentCache(dir: string): CniAttachmentCache {
  // Write-through memory copy: entries this process wrote or read are served
  // without touching the disk again. Files stay the truth across restarts.
  const memory = new Map<string, CniAttachment>();
  let dirMade = false;
  const file = (n: string, c: string, i: string): string => {
    for (const v of [n, c, i]) if (!safe.test(v)) throw new Error(`unsafe cache key part "${v}"`);
    return join(dir, `${n}-${c}-${i}`);
  };
  const decode = (text: string): CniAttachment | undefined => {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (o["kind"] !== "cniCacheV1" || typeof o["containerId"] !== "string") return undefined;
    return {
      containerId: o["containerId"],
      ifName: String(o["ifName"] ?? ""),
      networkName: String(o["networkName"] ?? ""),
      config: Buffer.from(String(o["config"] ?? ""), "base64").toString("utf8"),
      netns: String(o["netns"] ?? ""),
      cniArgs: Array.isArray(o["cniArgs"]) ? (o["cniArgs"] as Array<[string, string]>) : [],
      capabilityArgs: (o["capabilityArgs"] as Record<string, unknown> | undefined) ?? {},
      ...(o["result"] !== undefined ? { result: o["result"] } : {}),
    };
  };
  return {
    async get(n, c, i) {
      const p = file(n, c, i);
      const hit = memory.get(p);
      if (hit) return hit;
      try {
        const a = decode(await readFile(p, "utf8"));
        if (a) memory.set(p, a);
        return a;
      } catch (e) {
        if ((e as { code?: unknown }).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async put(a) {
      if (!dirMade) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        dirMade = true;
      }
      const p = file(a.networkName, a.containerId, a.ifName);
      const body = {
        kind: "cniCacheV1",
        containerId: a.containerId,
        config: Buffer.from(a.config, "utf8").toString("base64"),
        ifName: a.ifName,
        networkName: a.networkName,
        netns: a.netns,
        cniArgs: a.cniArgs,
        capabilityArgs: a.capabilityArgs,
        ...(a.result !== undefined ? { result: a.result } : {}),
      };
      const tmp = `${p}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
      try {
        try {
          await writeFile(tmp, JSON.stringify(body), { mode: 0o600 });
        } catch (e) {
          if ((e as { code?: unknown }).code !== "ENOENT") throw e;
          // The directory was removed behind our back: make it again.
          await mkdir(dir, { recursive: true, mode: 0o700 });
          await writeFile(tmp, JSON.stringify(body), { mode: 0o600 });
        }
        await rename(tmp, p);
      } catch (e) {
        // A full disk leaves a partial temp file: remove it, the old entry stays as it was.
        await rm(tmp, { force: true });
        throw e;
      }
      memory.set(p, a);
    },
    async delete(n, c, i) {
      const p = file(n, c, i);
      memory.delete(p);
      await rm(p, { force: true });
    },
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        if ((e as { code?: unknown }).code === "ENOENT") return [];
        throw e;
      }
      const out: CniAttachment[] = [];
      for (const n of names.filter((x) => !x.includes(".tmp-"))) {
        try {
          const a = decode(await readFile(join(dir, n), "utf8"));
          if (a) out.push(a);
        } catch {
          // unreadable entry: skipped
        }
      }
      return out;
    },
  };
}
