/**
 * Building what a plugin receives besides the environment's fixed part
 * (pure): the `CNI_ARGS` string, the runtime's capability arguments
 * (`runtimeConfig`), and each plugin's stdin.
 *
 * Capability arguments crikit fills (CNI CONVENTIONS.md):
 * - `portMappings`: `[{hostPort, containerPort, protocol, hostIP?}]` from CRI
 *   PortMapping; entries without a host port are left out (nothing to map).
 * - `bandwidth`: `{ingressRate, ingressBurst, egressRate, egressBurst}` in bits
 *   per second, from the `kubernetes.io/ingress-bandwidth` and
 *   `kubernetes.io/egress-bandwidth` annotations (Kubernetes quantities).
 * - `dns`: `{servers, searches, options}` from CRI DNSConfig.
 * - `ipRanges`: `[[{subnet}]]`, one range set per pod CIDR of the node.
 *
 * A plugin receives `runtimeConfig` with only the keys it declared in its
 * `capabilities` map and the runtime has a value for (libcni does the same).
 *
 * @packageDocumentation
 */
import { invalidArgument } from "../errors.js";
import type { CniNetworkConfigList, CniPluginConfig } from "./cni-config.js";
import { parseCidr } from "./cni-result.js";

/**
 * The pod facts that go into `CNI_ARGS`.
 *
 * @public
 */
export interface CniPodIdentity {
  /** Pod sandbox ID (also `CNI_CONTAINERID`). */
  readonly id: string;
  /** Pod name (metadata.name). */
  readonly name: string;
  /** Pod namespace. */
  readonly namespace: string;
  /** Pod UID. */
  readonly uid: string;
}

/**
 * Builds `CNI_ARGS` as the kubelet-era runtimes do:
 * `IgnoreUnknown=1;K8S_POD_NAMESPACE=..;K8S_POD_NAME=..;K8S_POD_INFRA_CONTAINER_ID=..;K8S_POD_UID=..`.
 *
 * @throws CrikitError `InvalidArgument` if a value holds `;` or `=`.
 * @public
 */
export function buildCniArgs(pod: CniPodIdentity): Array<[string, string]> {
  const pairs: Array<[string, string]> = [
    ["IgnoreUnknown", "1"],
    ["K8S_POD_NAMESPACE", pod.namespace],
    ["K8S_POD_NAME", pod.name],
    ["K8S_POD_INFRA_CONTAINER_ID", pod.id],
    ["K8S_POD_UID", pod.uid],
  ];
  for (const [k, v] of pairs) {
    if (/[;=\0]/.test(v)) throw invalidArgument(`${k} value "${v}" may not contain ";" or "="`, k);
  }
  return pairs;
}

/**
 * Joins `CNI_ARGS` pairs into the environment string.
 *
 * @public
 */
export function formatCniArgs(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([k, v]) => `${k}=${v}`).join(";");
}

/**
 * A CRI PortMapping, in plain form (`protocol` is the CRI enum number:
 * 0 TCP, 1 UDP, 2 SCTP, or its name).
 *
 * @public
 */
export interface PortMappingInput {
  /** CRI `PortMapping.protocol`. @defaultValue 0 (TCP) */
  readonly protocol?: number | "TCP" | "UDP" | "SCTP";
  /** Port inside the pod, 1 to 65535 (CRI `container_port`). */
  readonly containerPort: number;
  /** Port on the node, 1 to 65535 (CRI `host_port`); 0 or absent means no mapping. */
  readonly hostPort?: number;
  /** Node address to bind the host port to (CRI `host_ip`); empty means all addresses. */
  readonly hostIp?: string;
}

/**
 * A CNI `portMappings` capability entry.
 *
 * @public
 */
export interface CniPortMapping {
  /** Port on the node. */
  hostPort: number;
  /** Port inside the pod. */
  containerPort: number;
  /** Transport protocol, lower case. */
  protocol: "tcp" | "udp" | "sctp";
  /** Node address the host port is bound to; absent means all addresses. */
  hostIP?: string;
}

const protocols = { 0: "tcp", 1: "udp", 2: "sctp", TCP: "tcp", UDP: "udp", SCTP: "sctp" } as const;

/**
 * Turns CRI port mappings into CNI `portMappings`; mappings with no host
 * port are dropped.
 *
 * @throws CrikitError `InvalidArgument` for a port out of range, an unknown protocol or a bad host IP.
 * @public
 */
export function toCniPortMappings(mappings: readonly PortMappingInput[]): CniPortMapping[] {
  const out: CniPortMapping[] = [];
  mappings.forEach((m, i) => {
    const field = `port_mappings[${i}]`;
    const hostPort = m.hostPort ?? 0;
    if (hostPort === 0) return;
    const protocol = protocols[(m.protocol ?? 0) as keyof typeof protocols];
    if (protocol === undefined) throw invalidArgument(`${field}.protocol ${String(m.protocol)} is not TCP, UDP or SCTP`, `${field}.protocol`);
    for (const [k, v] of [["container_port", m.containerPort], ["host_port", hostPort]] as const) {
      if (!Number.isInteger(v) || v < 1 || v > 65535) throw invalidArgument(`${field}.${k} ${v} must be between 1 and 65535`, `${field}.${k}`);
    }
    const pm: CniPortMapping = { hostPort, containerPort: m.containerPort, protocol };
    if (m.hostIp !== undefined && m.hostIp !== "") {
      if (parseCidr(`${m.hostIp}/0`) === undefined) throw invalidArgument(`${field}.host_ip "${m.hostIp}" is not an IP address`, `${field}.host_ip`);
      pm.hostIP = m.hostIp;
    }
    out.push(pm);
  });
  return out;
}

/** @public The pod annotation for ingress bandwidth (bits per second). */
export const ingressBandwidthAnnotation = "kubernetes.io/ingress-bandwidth";
/** @public The pod annotation for egress bandwidth (bits per second). */
export const egressBandwidthAnnotation = "kubernetes.io/egress-bandwidth";

/**
 * A CNI `bandwidth` capability value, in bits per second (bursts in bits).
 *
 * @public
 */
export interface CniBandwidth {
  /** Rate limit of traffic into the pod, bits per second. */
  ingressRate?: number;
  /** Burst size of traffic into the pod, bits. */
  ingressBurst?: number;
  /** Rate limit of traffic out of the pod, bits per second. */
  egressRate?: number;
  /** Burst size of traffic out of the pod, bits. */
  egressBurst?: number;
}

const decimalSuffix: Readonly<Record<string, number>> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18, m: 1e-3 };
const binarySuffix: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };

/**
 * Parses a Kubernetes quantity (`10M`, `1.5Gi`, `500k`, `1e6`, `100m`) into a
 * number, rounded up to an integer as the kubelet does.
 *
 * @returns `undefined` if `text` is not a quantity.
 * @public
 */
export function parseQuantity(text: string): number | undefined {
  const m = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?)$/.exec(text.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  let v: number;
  if (m[2] !== undefined) v = Number(`${m[1]}${m[2]}`);
  else {
    const s = m[3] ?? "";
    v = base * (binarySuffix[s] ?? decimalSuffix[s] ?? Number.NaN);
  }
  if (!Number.isFinite(v)) return undefined;
  return Math.ceil(v - 1e-9);
}

/** Limits the kubelet enforces on the bandwidth annotations. */
const minBandwidth = 1e3;
const maxBandwidth = 1e15;

/**
 * Reads the bandwidth annotations into a CNI `bandwidth` value. Bursts are
 * set to the largest value the bandwidth plugin accepts, as containerd does,
 * so the rate alone shapes traffic.
 *
 * @returns `undefined` when neither annotation is present.
 * @throws CrikitError `InvalidArgument` for a malformed or unreasonable value.
 * @public
 */
export function bandwidthFromAnnotations(annotations: Readonly<Record<string, string>>): CniBandwidth | undefined {
  const out: CniBandwidth = {};
  for (const [key, dir] of [[ingressBandwidthAnnotation, "ingress"], [egressBandwidthAnnotation, "egress"]] as const) {
    const raw = annotations[key];
    if (raw === undefined) continue;
    const v = parseQuantity(raw);
    if (v === undefined) throw invalidArgument(`annotation ${key} "${raw}" is not a quantity (for example 10M)`, `annotations[${key}]`);
    if (v < minBandwidth || v > maxBandwidth) {
      throw invalidArgument(`annotation ${key} "${raw}" must be between 1k and 1P bits per second`, `annotations[${key}]`);
    }
    if (dir === "ingress") {
      out.ingressRate = v;
      out.ingressBurst = 2 ** 31 - 1;
    } else {
      out.egressRate = v;
      out.egressBurst = 2 ** 31 - 1;
    }
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * A CRI DNSConfig in plain form.
 *
 * @public
 */
export interface DnsInput {
  /** DNS server IP addresses (CRI `DNSConfig.servers`). */
  readonly servers?: readonly string[];
  /** DNS search domains (CRI `DNSConfig.searches`). */
  readonly searches?: readonly string[];
  /** Resolver options such as `ndots:5` (CRI `DNSConfig.options`). */
  readonly options?: readonly string[];
}

/**
 * What a pod asks of the network, from which the capability arguments are built.
 *
 * @public
 */
export interface CapabilityInput {
  /** CRI port mappings, for the `portMappings` capability. */
  readonly portMappings?: readonly PortMappingInput[];
  /** Pod annotations; the bandwidth annotations feed the `bandwidth` capability. */
  readonly annotations?: Readonly<Record<string, string>>;
  /** CRI DNS config, for the `dns` capability. */
  readonly dns?: DnsInput;
  /** The node's pod CIDRs (UpdateRuntimeConfig), one IP range set each. */
  readonly podCidrs?: readonly string[];
  /** Further capability arguments, passed as given (they win over the built ones). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/**
 * Builds the capability arguments (the runtime's whole `runtimeConfig` before
 * per-plugin filtering). Keys with nothing to say are left out.
 *
 * @throws CrikitError `InvalidArgument` for a malformed port mapping, annotation or CIDR.
 * @public
 */
export function buildCapabilityArgs(input: CapabilityInput): Record<string, unknown> {
  const caps: Record<string, unknown> = {};
  const pm = toCniPortMappings(input.portMappings ?? []);
  if (pm.length > 0) caps["portMappings"] = pm;
  const bw = bandwidthFromAnnotations(input.annotations ?? {});
  if (bw) caps["bandwidth"] = bw;
  const d = input.dns;
  if (d && ((d.servers?.length ?? 0) > 0 || (d.searches?.length ?? 0) > 0 || (d.options?.length ?? 0) > 0)) {
    caps["dns"] = { servers: [...(d.servers ?? [])], searches: [...(d.searches ?? [])], options: [...(d.options ?? [])] };
  }
  if (input.podCidrs && input.podCidrs.length > 0) {
    caps["ipRanges"] = input.podCidrs.map((c, i) => {
      if (!parseCidr(c)) throw invalidArgument(`pod CIDR "${c}" is not a CIDR`, `pod_cidr[${i}]`);
      return [{ subnet: c }];
    });
  }
  return { ...caps, ...(input.extra ?? {}) };
}

/**
 * Builds one plugin's stdin: its configuration with the list's `name` and
 * `cniVersion`, the `runtimeConfig` keys it declared, `prevResult` when given,
 * and any further top-level keys (GC's `cni.dev/valid-attachments`).
 *
 * @public
 */
export function buildPluginStdin(
  list: CniNetworkConfigList,
  plugin: CniPluginConfig,
  opts: { capabilityArgs?: Readonly<Record<string, unknown>>; prevResult?: unknown; extra?: Readonly<Record<string, unknown>> } = {},
): string {
  const conf: Record<string, unknown> = { ...plugin.raw, name: list.name, cniVersion: list.cniVersion };
  const rc: Record<string, unknown> = {};
  for (const cap of plugin.capabilities) {
    const v = opts.capabilityArgs?.[cap];
    if (v !== undefined) rc[cap] = v;
  }
  if (Object.keys(rc).length > 0) conf["runtimeConfig"] = { ...(isRecord(plugin.raw["runtimeConfig"]) ? plugin.raw["runtimeConfig"] : {}), ...rc };
  if (opts.prevResult !== undefined) conf["prevResult"] = opts.prevResult;
  else delete conf["prevResult"];
  if (opts.extra) Object.assign(conf, opts.extra);
  return JSON.stringify(conf);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
