/**
 * Parsing of CNI ADD results (pure), for cniVersion 0.3.0, 0.3.1, 0.4.0,
 * 1.0.0 and 1.1.0, into one normalised shape.
 *
 * Result format by version:
 * - 0.3.x and 0.4.0: `ips[]` carry `version` ("4" or "6"), `address` (CIDR),
 *   optional `gateway` and `interface` (an index into `interfaces`).
 * - 1.0.0: the same without `version` (the family comes from the address).
 * - 1.1.0: interfaces may add `mtu`, `socketPath`, `pciID`; routes may add
 *   `mtu`, `advmss`, `priority`, `table`, `scope`.
 *
 * The raw JSON object is kept as `raw`: it is what the next plugin of a chain
 * receives as `prevResult`, untouched.
 *
 * @packageDocumentation
 */
import { isIP } from "node:net";
import { CrikitError } from "../errors.js";

/**
 * An interface from a CNI result.
 *
 * @public
 */
export interface CniInterface {
  /** Interface name, such as `eth0` in the pod or `veth1234` on the host. */
  readonly name: string;
  /** Hardware address, such as `0a:58:0a:f4:00:05`. */
  readonly mac?: string;
  /** The netns path when the interface is inside the pod; absent for host-side interfaces. */
  readonly sandbox?: string;
  /** 1.1.0 */
  readonly mtu?: number;
  /** 1.1.0 */
  readonly socketPath?: string;
  /** 1.1.0 */
  readonly pciID?: string;
}

/**
 * An address from a CNI result.
 *
 * @public
 */
export interface CniIpConfig {
  /** The address with its prefix, for instance `10.201.0.5/24`. */
  readonly address: string;
  /** The address alone, for instance `10.201.0.5`. */
  readonly ip: string;
  /** Prefix length of `address`, such as 24. */
  readonly prefixLength: number;
  /** IP family: 4 or 6 (`version` in results before 1.0.0, else from the address). */
  readonly family: 4 | 6;
  /** Default gateway of the subnet, when the plugin gave one. */
  readonly gateway?: string;
  /** Index into the result's interfaces. */
  readonly interface?: number;
}

/**
 * A route from a CNI result.
 *
 * @public
 */
export interface CniRoute {
  /** Destination network in CIDR form, such as `0.0.0.0/0`. */
  readonly dst: string;
  /** Next hop; absent means the plugin's default gateway. */
  readonly gw?: string;
  /** 1.1.0 */
  readonly mtu?: number;
  /** 1.1.0 */
  readonly advmss?: number;
  /** 1.1.0 */
  readonly priority?: number;
  /** 1.1.0 */
  readonly table?: number;
  /** 1.1.0 */
  readonly scope?: number;
}

/**
 * DNS settings from a CNI result.
 *
 * @public
 */
export interface CniDns {
  /** DNS server addresses. */
  readonly nameservers: readonly string[];
  /** Local domain for short names. */
  readonly domain?: string;
  /** Search domains, in priority order. */
  readonly search: readonly string[];
  /** Resolver options such as `ndots:5`. */
  readonly options: readonly string[];
}

/**
 * A parsed CNI ADD result.
 *
 * @public
 */
export interface CniResult {
  /** CNI spec version the result is written in. */
  readonly cniVersion: string;
  /** Interfaces the chain created or used, host side and pod side. */
  readonly interfaces: readonly CniInterface[];
  /** Addresses assigned, in the plugin's order. */
  readonly ips: readonly CniIpConfig[];
  /** Routes the plugins installed or ask for. */
  readonly routes: readonly CniRoute[];
  /**
   * DNS settings the plugins propose. crikit's server does not apply them: the pod's resolv.conf comes
   * from the CRI DNS config.
   */
  readonly dns: CniDns;
  /** The JSON object as the plugin printed it (used as `prevResult`). */
  readonly raw: Readonly<Record<string, unknown>>;
}

function bad(msg: string, field: string): CrikitError {
  return new CrikitError("Internal", `CNI result: ${msg}`, { details: { field } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function arr(v: unknown, field: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${field} must be an array`, field);
  return v;
}

function str(v: unknown, field: string, required: boolean): string | undefined {
  if (v === undefined || v === null || (v === "" && !required)) {
    if (required) throw bad(`${field} is missing`, field);
    return undefined;
  }
  if (typeof v !== "string") throw bad(`${field} must be a string`, field);
  return v;
}

function num(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) throw bad(`${field} must be an integer`, field);
  return v;
}

function strings(v: unknown, field: string): string[] {
  return arr(v, field).map((x, i) => str(x, `${field}[${i}]`, true) as string);
}

/** Copies defined values only (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Parses a CIDR such as `10.0.0.5/24` or `fd00::5/64`.
 *
 * @public
 */
export function parseCidr(cidr: string): { ip: string; prefixLength: number; family: 4 | 6 } | undefined {
  const slash = cidr.lastIndexOf("/");
  if (slash <= 0) return undefined;
  const ip = cidr.slice(0, slash);
  const pl = cidr.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^\d{1,3}$/.test(pl)) return undefined;
  const prefixLength = Number(pl);
  if (prefixLength > (family === 4 ? 32 : 128)) return undefined;
  return { ip, prefixLength, family: family as 4 | 6 };
}

/**
 * Parses the JSON a plugin printed for ADD (text or an already parsed value).
 *
 * @throws CrikitError `Internal` when the result is malformed (naming the field).
 * @public
 */
export function parseCniResult(input: string | unknown): CniResult {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new CrikitError("Internal", `CNI result: not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  if (!isObject(value)) throw bad("must be a JSON object", "");
  const cniVersion = str(value["cniVersion"], "cniVersion", true) as string;
  const legacy = cniVersion.startsWith("0.");
  if (cniVersion.startsWith("0.1.") || cniVersion.startsWith("0.2.")) {
    throw bad(`cniVersion "${cniVersion}" results are not supported`, "cniVersion");
  }
  const interfaces = arr(value["interfaces"], "interfaces").map((x, i): CniInterface => {
    const f = `interfaces[${i}]`;
    if (!isObject(x)) throw bad(`${f} must be an object`, f);
    return defined({
      name: str(x["name"], `${f}.name`, true) as string,
      mac: str(x["mac"], `${f}.mac`, false),
      sandbox: str(x["sandbox"], `${f}.sandbox`, false),
      mtu: num(x["mtu"], `${f}.mtu`),
      socketPath: str(x["socketPath"], `${f}.socketPath`, false),
      pciID: str(x["pciID"], `${f}.pciID`, false),
    }) as CniInterface;
  });
  const ips = arr(value["ips"], "ips").map((x, i): CniIpConfig => {
    const f = `ips[${i}]`;
    if (!isObject(x)) throw bad(`${f} must be an object`, f);
    const address = str(x["address"], `${f}.address`, true) as string;
    const c = parseCidr(address);
    if (!c) throw bad(`${f}.address "${address}" is not a CIDR`, `${f}.address`);
    if (legacy && x["version"] !== undefined && x["version"] !== String(c.family)) {
      throw bad(`${f}.version "${String(x["version"])}" does not match address "${address}"`, `${f}.version`);
    }
    const gateway = str(x["gateway"], `${f}.gateway`, false);
    if (gateway !== undefined && isIP(gateway) === 0) throw bad(`${f}.gateway "${gateway}" is not an IP address`, `${f}.gateway`);
    const iface = num(x["interface"], `${f}.interface`);
    if (iface !== undefined && (iface < 0 || iface >= interfaces.length)) {
      throw bad(`${f}.interface ${iface} is out of range (${interfaces.length} interfaces)`, `${f}.interface`);
    }
    return defined({ address, ip: c.ip, prefixLength: c.prefixLength, family: c.family, gateway, interface: iface }) as CniIpConfig;
  });
  const routes = arr(value["routes"], "routes").map((x, i): CniRoute => {
    const f = `routes[${i}]`;
    if (!isObject(x)) throw bad(`${f} must be an object`, f);
    const dst = str(x["dst"], `${f}.dst`, true) as string;
    if (!parseCidr(dst)) throw bad(`${f}.dst "${dst}" is not a CIDR`, `${f}.dst`);
    return defined({
      dst,
      gw: str(x["gw"], `${f}.gw`, false),
      mtu: num(x["mtu"], `${f}.mtu`),
      advmss: num(x["advmss"], `${f}.advmss`),
      priority: num(x["priority"], `${f}.priority`),
      table: num(x["table"], `${f}.table`),
      scope: num(x["scope"], `${f}.scope`),
    }) as CniRoute;
  });
  const d = value["dns"];
  if (d !== undefined && d !== null && !isObject(d)) throw bad("dns must be an object", "dns");
  const dd = isObject(d) ? d : {};
  const dns: CniDns = defined({
    nameservers: strings(dd["nameservers"], "dns.nameservers"),
    domain: str(dd["domain"], "dns.domain", false),
    search: strings(dd["search"], "dns.search"),
    options: strings(dd["options"], "dns.options"),
  }) as CniDns;
  return { cniVersion, interfaces, ips, routes, dns, raw: value };
}

/**
 * The pod's IPs from a result, as PodSandboxNetworkStatus wants them: the
 * addresses of the interface named `ifName` inside the pod first (IPv4 before
 * IPv6, so the primary is the IPv4 one on a dual-stack pod), then any other
 * address in result order. When no address names an interface, all addresses
 * count as the pod's.
 *
 * @public
 */
export function selectPodIps(result: CniResult, ifName = "eth0"): string[] {
  const onIf = (ip: CniIpConfig): boolean => {
    if (ip.interface === undefined) return true;
    const i = result.interfaces[ip.interface];
    return i !== undefined && i.name === ifName && i.sandbox !== undefined && i.sandbox !== "";
  };
  const primary = result.ips.filter(onIf);
  const ordered = [...primary.filter((i) => i.family === 4), ...primary.filter((i) => i.family === 6), ...result.ips.filter((i) => !onIf(i))];
  return [...new Set(ordered.map((i) => i.ip))];
}
