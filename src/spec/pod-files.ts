/**
 * Contents of the pod-level files every container of a pod shares:
 * `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`. The runtime writes
 * them once per sandbox and bind-mounts them into each container (see
 * `withSandboxFileMounts`).
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";

/**
 * The `/etc/hostname` content: the hostname and a newline.
 *
 * @public
 */
export function buildHostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

/**
 * Options of {@link buildHostsFile}.
 *
 * @public
 */
export interface HostsFileOptions {
  /** The pod's hostname; with `podIps`, gets a line per IP. */
  hostname?: string;
  /** The pod's IPs. */
  podIps?: readonly string[];
  /** Extra `ip: names` entries (Kubernetes HostAliases). */
  extraHosts?: ReadonlyArray<{ ip: string; hostnames: readonly string[] }>;
}

/**
 * A pod's `/etc/hosts` (the kubelet's layout: loopback entries, then the
 * pod IPs with the hostname, then host aliases).
 *
 * @public
 */
export function buildHostsFile(options: HostsFileOptions = {}): string {
  const lines = [
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
  ];
  if (options.hostname) for (const ip of options.podIps ?? []) lines.push(`${ip}\t${options.hostname}`);
  for (const e of options.extraHosts ?? []) lines.push(`${e.ip}\t${e.hostnames.join(" ")}`);
  return `${lines.join("\n")}\n`;
}

/**
 * The DNS part of a PodSandboxConfig.
 *
 * @public
 */
export interface DnsConfigInput {
  /** DNS server IP addresses, written as `nameserver` lines (CRI `DNSConfig.servers`). */
  servers?: readonly string[];
  /** Search domains, written on the `search` line (CRI `DNSConfig.searches`). */
  searches?: readonly string[];
  /** Resolver options such as `ndots:5`, written on the `options` line (CRI `DNSConfig.options`). */
  options?: readonly string[];
}

/**
 * A pod's `/etc/resolv.conf` from the CRI DNSConfig: `search`, `nameserver`
 * lines and `options`, in that order (as containerd writes it). Returns
 * `undefined` when the config is empty, meaning "use the host's file".
 *
 * @throws CrikitError InvalidArgument for a server, search or option with
 *   whitespace or a newline (it would inject lines).
 *
 * @public
 */
export function buildResolvConf(dns: DnsConfigInput | undefined): string | undefined {
  const servers = dns?.servers ?? [];
  const searches = dns?.searches ?? [];
  const options = dns?.options ?? [];
  if (servers.length + searches.length + options.length === 0) return undefined;
  const check = (list: readonly string[], name: string): void => {
    list.forEach((v, i) => {
      if (v === "" || /\s/.test(v)) {
        throw new CrikitError("InvalidArgument", `dns_config.${name}[${i}] "${v}" is empty or contains whitespace`, {
          details: { field: `dns_config.${name}[${i}]` },
        });
      }
    });
  };
  check(servers, "servers");
  check(searches, "searches");
  check(options, "options");
  let out = "";
  if (searches.length > 0) out += `search ${searches.join(" ")}\n`;
  for (const s of servers) out += `nameserver ${s}\n`;
  if (options.length > 0) out += `options ${options.join(" ")}\n`;
  return out;
}
