/**
 * Linux capabilities: the names crikit knows, containerd's default set, and
 * the add/drop arithmetic of a CRI security context.
 *
 * Order of operations (as containerd): start from the default set (or from
 * every host capability when privileged); `ALL` in add gives every host
 * capability; `ALL` in drop empties the set; then the other adds, then the
 * other drops. Names may come with or without the `CAP_` prefix, in any case.
 * Ambient capabilities go into every set, including `inheritable` and
 * `ambient`. Like containerd since CVE-2022-24769, the inheritable set is
 * otherwise left empty.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import type { OciCapabilities } from "./oci-types.js";

/**
 * Every Linux capability name crikit knows, in kernel bit order (0 to 40).
 *
 * @public
 */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_DAC_READ_SEARCH",
  "CAP_FOWNER",
  "CAP_FSETID",
  "CAP_KILL",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETPCAP",
  "CAP_LINUX_IMMUTABLE",
  "CAP_NET_BIND_SERVICE",
  "CAP_NET_BROADCAST",
  "CAP_NET_ADMIN",
  "CAP_NET_RAW",
  "CAP_IPC_LOCK",
  "CAP_IPC_OWNER",
  "CAP_SYS_MODULE",
  "CAP_SYS_RAWIO",
  "CAP_SYS_CHROOT",
  "CAP_SYS_PTRACE",
  "CAP_SYS_PACCT",
  "CAP_SYS_ADMIN",
  "CAP_SYS_BOOT",
  "CAP_SYS_NICE",
  "CAP_SYS_RESOURCE",
  "CAP_SYS_TIME",
  "CAP_SYS_TTY_CONFIG",
  "CAP_MKNOD",
  "CAP_LEASE",
  "CAP_AUDIT_WRITE",
  "CAP_AUDIT_CONTROL",
  "CAP_SETFCAP",
  "CAP_MAC_OVERRIDE",
  "CAP_MAC_ADMIN",
  "CAP_SYSLOG",
  "CAP_WAKE_ALARM",
  "CAP_BLOCK_SUSPEND",
  "CAP_AUDIT_READ",
  "CAP_PERFMON",
  "CAP_BPF",
  "CAP_CHECKPOINT_RESTORE",
]);

/**
 * The capabilities a non-privileged container gets by default (containerd's
 * and Docker's set).
 *
 * @public
 */
export const DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  "CAP_CHOWN",
  "CAP_DAC_OVERRIDE",
  "CAP_FSETID",
  "CAP_FOWNER",
  "CAP_MKNOD",
  "CAP_NET_RAW",
  "CAP_SETGID",
  "CAP_SETUID",
  "CAP_SETFCAP",
  "CAP_SETPCAP",
  "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT",
  "CAP_KILL",
  "CAP_AUDIT_WRITE",
]);

const known = new Set(ALL_CAPABILITIES);

/**
 * The canonical name (`CAP_` prefix, upper case) of a capability, or
 * `undefined` when crikit does not know it. `ALL` stays `ALL`.
 *
 * @public
 */
export function normalizeCapability(name: string): string | undefined {
  const up = name.trim().toUpperCase();
  if (up === "ALL") return "ALL";
  const full = up.startsWith("CAP_") ? up : `CAP_${up}`;
  return known.has(full) ? full : undefined;
}

/**
 * The bit mask of a set of capabilities, as `/proc/<pid>/status` prints
 * CapEff (hexadecimal, 16 digits).
 *
 * @public
 */
export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const n of names) {
    const bit = ALL_CAPABILITIES.indexOf(n);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, "0");
}

/**
 * Input of {@link computeCapabilities}.
 *
 * @public
 */
export interface CapabilityRequest {
  /**
   * CRI `add_capabilities`: names with or without `CAP_`, case-insensitive; `ALL` adds every capability in
   * `hostCapabilities`.
   */
  add?: readonly string[];
  /** CRI `drop_capabilities`: removed last, so they win over `add`; `ALL` starts from an empty set. */
  drop?: readonly string[];
  /**
   * CRI `add_ambient_capabilities`: added to every set, including inheritable and ambient, unless dropped.
   */
  ambient?: readonly string[];
  /** Start from `hostCapabilities` instead of `defaults` (CRI `privileged`). @defaultValue false */
  privileged?: boolean;
  /** The starting set. @defaultValue DEFAULT_CAPABILITIES */
  defaults?: readonly string[];
  /** What "all" means: the runtime's own bounding set. @defaultValue ALL_CAPABILITIES */
  hostCapabilities?: readonly string[];
  /** Request field prefix for error messages. @defaultValue "linux.security_context.capabilities" */
  field?: string;
}

function canonical(list: readonly string[] | undefined, field: string): string[] {
  return (list ?? []).map((c, i) => {
    const n = normalizeCapability(c);
    if (n === undefined) {
      throw new CrikitError("InvalidArgument", `unknown capability "${c}" in ${field}[${i}]`, { details: { field: `${field}[${i}]` } });
    }
    return n;
  });
}

/**
 * The process capability sets for a CRI capability request.
 *
 * @throws CrikitError InvalidArgument naming the field of an unknown capability.
 *
 * @public
 */
export function computeCapabilities(req: CapabilityRequest): OciCapabilities {
  const field = req.field ?? "linux.security_context.capabilities";
  const add = canonical(req.add, `${field}.add_capabilities`);
  const drop = canonical(req.drop, `${field}.drop_capabilities`);
  const ambient = canonical(req.ambient, `${field}.add_ambient_capabilities`).filter((c) => c !== "ALL");
  const host = [...(req.hostCapabilities ?? ALL_CAPABILITIES)];
  let set: string[] = req.privileged ? host : [...(req.defaults ?? DEFAULT_CAPABILITIES)];
  if (add.includes("ALL")) set = [...host];
  if (drop.includes("ALL")) set = [];
  for (const c of add) if (c !== "ALL" && !set.includes(c)) set.push(c);
  for (const c of ambient) if (!set.includes(c)) set.push(c);
  const dropped = new Set(drop);
  set = set.filter((c) => !dropped.has(c));
  const amb = ambient.filter((c) => !dropped.has(c));
  const caps: OciCapabilities = { bounding: [...set], effective: [...set], permitted: [...set] };
  if (amb.length > 0) {
    caps.inheritable = [...amb];
    caps.ambient = [...amb];
  }
  return caps;
}
