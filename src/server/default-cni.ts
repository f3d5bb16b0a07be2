/**
 * The CNI network crikitd uses when its conf dir holds no configuration, so
 * that a fresh machine runs pods without writing one: a `bridge` named
 * `crikit0` with `host-local` addresses from 10.88.0.0/16, a default route
 * through the bridge and IP masquerade, then `portmap` (hostPort) and
 * `loopback` (the CNI manager also brings `lo` up itself).
 *
 * @packageDocumentation
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Options of {@link defaultCniConflist}. @public */
export interface DefaultCniOptions {
  /** The network name (the conflist's `name`). @defaultValue `"crikit"` */
  name?: string;
  /** The Linux bridge the `bridge` plugin creates and attaches pods to. @defaultValue `"crikit0"` */
  bridge?: string;
  /** The pod address range of `host-local` IPAM (CIDR). @defaultValue `"10.88.0.0/16"` */
  subnet?: string;
  /** Add a default route through the bridge (and masquerade). @defaultValue true */
  defaultRoute?: boolean;
  /**
   * Where `host-local` keeps its allocations (its `dataDir`; the network's
   * directory is `<ipamDataDir>/<name>`).
   * @defaultValue host-local's own, `/var/lib/cni/networks`
   */
  ipamDataDir?: string;
}

/**
 * The default network as a conflist object.
 *
 * @public
 */
export function defaultCniConflist(options: DefaultCniOptions = {}): Record<string, unknown> {
  const defaultRoute = options.defaultRoute ?? true;
  return {
    cniVersion: "1.0.0",
    name: options.name ?? "crikit",
    plugins: [
      {
        type: "bridge",
        bridge: options.bridge ?? "crikit0",
        isGateway: true,
        ipMasq: defaultRoute,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: options.subnet ?? "10.88.0.0/16" }]],
          ...(options.ipamDataDir !== undefined ? { dataDir: options.ipamDataDir } : {}),
          ...(defaultRoute ? { routes: [{ dst: "0.0.0.0/0" }] } : {}),
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
      { type: "loopback" },
    ],
  };
}

/**
 * Writes the default conflist into `confDir` when it has no `.conf`,
 * `.conflist` or `.json` file. Returns the file written, or undefined.
 *
 * @public
 */
export async function ensureDefaultCniConfig(confDir: string, options: DefaultCniOptions = {}): Promise<string | undefined> {
  await mkdir(confDir, { recursive: true });
  const names = await readdir(confDir);
  if (names.some((n) => /\.(conf|conflist|json)$/.test(n))) return undefined;
  const file = join(confDir, "10-crikit.conflist");
  await writeFile(file, `${JSON.stringify(defaultCniConflist(options), null, 2)}\n`);
  return file;
}
