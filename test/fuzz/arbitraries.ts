/**
 * fast-check arbitraries for CRI requests, built from the protobuf-es
 * message descriptors (src/gen through src/cri.ts): every field optional,
 * integers biased to the edges the kernel and runc care about, unknown enum
 * numbers mixed with known ones, strings mixed with hostile ones (NUL,
 * `..`, absolute paths, line breaks, long ones).
 *
 * Overrides keep the generated requests inside this machine's rules: no
 * image reference that would reach a registry other than the local one, no
 * host port outside 40000..40099 (no DNAT rule may catch real traffic), no
 * log directory, host path or cgroup parent outside the test's own places.
 */
import fc from "fast-check";
import { ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";

/** Where generated values may point on the host. */
export interface FuzzPlaces {
  /** A marker that names every hostile path, so a file that escapes is recognised. */
  marker: string;
  /** The test's own directory (host paths and log directories go under it). */
  dir: string;
  /** The local registry's host:port. */
  registry: string;
  /** The cgroup parent the test may create (removed after the run). */
  cgroupParent: string;
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

const int64Edges = [0n, -1n, 1n, 2n, 999n, 1000n, 1024n, 100_000n, 262_144n, 262_145n, 1_000_000n, 1_000_001n, 6n << 20n, 1n << 20n, 1n << 30n, (1n << 44n) - 1n, 1n << 44n, 99_999n, -1000n, 1000n, -1001n, I64_MAX, I64_MIN];

function int64(): fc.Arbitrary<bigint> {
  return fc.oneof({ arbitrary: fc.constantFrom(...int64Edges), weight: 3 }, { arbitrary: fc.bigInt({ min: I64_MIN, max: I64_MAX }), weight: 1 });
}

function uint64(): fc.Arbitrary<bigint> {
  return fc.oneof(fc.constantFrom(0n, 1n, 2n << 20n, I64_MAX, (1n << 64n) - 1n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
}

function int32(): fc.Arbitrary<number> {
  return fc.oneof({ arbitrary: fc.constantFrom(0, -1, 1, 80, 65535, 65536, 2 ** 31 - 1, -(2 ** 31)), weight: 2 }, { arbitrary: fc.integer(), weight: 1 });
}

/** Strings: hostile ones, words the CRI knows, and random text. */
export function hostileString(p: FuzzPlaces): fc.Arbitrary<string> {
  return fc.oneof(
    {
      arbitrary: fc.constantFrom(
        "",
        "a",
        ".",
        "..",
        "/",
        `../../../../etc/${p.marker}`,
        `/etc/${p.marker}`,
        `/tmp/${p.marker}/x`,
        `a/../../${p.marker}`,
        `x\0y`,
        "\0",
        "line\nbreak",
        "with space",
        "x".repeat(300),
        "0-1",
        "0,1",
        "3-1",
        "2MB",
        "1GB",
        "memory.high",
        "cgroup.procs",
        "net.ipv4.ip_forward",
        "kernel.shm_rmid_forced",
        "vm.swappiness",
        "10.0.0.1",
        "::1",
        "127.0.0.1",
        "10.0.0.0/33",
        "CAP_SYS_ADMIN",
        "NET_RAW",
        "ALL",
        "runtime/default",
        "localhost/x",
        "unconfined",
        "SIGKILL",
        "é€😀",
      ),
      weight: 3,
    },
    { arbitrary: fc.string({ maxLength: 16 }), weight: 1 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 12 }), weight: 1 },
  );
}

/** Options of {@link messageArbitrary}. */
export interface MessageArbOptions {
  places: FuzzPlaces;
  /** How deep nested messages go. @defaultValue 4 */
  maxDepth?: number;
  /** Field arbitraries by `"runtime.v1.Type.field"`, or by a bare proto field name for scalar fields anywhere. */
  overrides?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

function scalarArb(t: ScalarType, o: MessageArbOptions): fc.Arbitrary<unknown> {
  switch (t) {
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return int64();
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return uint64();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return int32();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(fc.constantFrom(0, 1, 65534, 65535, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }));
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.double({ noNaN: true });
    case ScalarType.STRING:
      return hostileString(o.places);
    case ScalarType.BYTES:
      return fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.constant(new Uint8Array([65, 0, 66])));
  }
}

function enumArb(values: readonly number[]): fc.Arbitrary<number> {
  return fc.oneof({ arbitrary: fc.constantFrom(...values), weight: 4 }, { arbitrary: fc.integer({ min: -3, max: 200 }), weight: 1 });
}

function fieldArb(f: DescField, depth: number, o: MessageArbOptions): fc.Arbitrary<unknown> | undefined {
  // "Type.field" overrides one message's field; a bare "field" overrides scalar fields of that name anywhere.
  const scalarLike = f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar");
  const ov = o.overrides?.[`${f.parent.typeName}.${f.name}`] ?? (scalarLike ? o.overrides?.[f.name] : undefined);
  if (ov !== undefined) return ov;
  const max = o.maxDepth ?? 4;
  switch (f.fieldKind) {
    case "scalar":
      return scalarArb(f.scalar, o);
    case "enum":
      return enumArb(f.enum.values.map((v) => v.number));
    case "message":
      return depth >= max ? undefined : messageArbitrary(f.message, o, depth + 1);
    case "list": {
      const item = f.listKind === "scalar" ? scalarArb(f.scalar, o) : f.listKind === "enum" ? enumArb(f.enum.values.map((v) => v.number)) : depth >= max ? undefined : messageArbitrary(f.message, o, depth + 1);
      return item === undefined ? undefined : fc.array(item, { maxLength: 3 });
    }
    case "map": {
      const value = f.mapKind === "scalar" ? scalarArb(f.scalar, o) : f.mapKind === "enum" ? enumArb(f.enum.values.map((v) => v.number)) : depth >= max ? undefined : messageArbitrary(f.message, o, depth + 1);
      return value === undefined ? undefined : fc.dictionary(hostileString(o.places), value, { maxKeys: 3 });
    }
  }
}

/** An arbitrary init object of `schema`: each field present or not. */
export function messageArbitrary(schema: DescMessage, o: MessageArbOptions, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of schema.fields) {
    const a = fieldArb(f, depth, o);
    if (a !== undefined) rec[f.localName] = a;
  }
  return fc.record(rec, { requiredKeys: [] });
}

/** The overrides that keep generated requests on this machine's side of the rules (see the file header). */
export function safeOverrides(p: FuzzPlaces): Record<string, fc.Arbitrary<unknown>> {
  const ports = fc.oneof(fc.constant(0), fc.integer({ min: 40000, max: 40099 }), fc.constantFrom(-1, 65536, 2 ** 31 - 1));
  return {
    host_port: ports,
    host_ip: fc.constantFrom("", "127.0.0.1", "::1", "not-an-ip", "1.2.3.4.5", "a\0"),
    log_directory: fc.constantFrom("", `${p.dir}/logs/a`, `${p.dir}/logs/b/c`, "relative/dir", `${p.dir}/logs/../x`, `${p.dir}/l\0g`),
    host_path: fc.constantFrom("", `${p.dir}/vol`, `${p.dir}/vol/sub`, "/dev/null", "/etc/hostname", "relative", `${p.dir}/v\0`),
    cgroup_parent: fc.constantFrom("", p.cgroupParent, `${p.cgroupParent}/../..`, "a\0b"),
    // Image references: the local registry or malformed, never a public registry.
    image: fc.constantFrom(`${p.registry}/e2e/none:1`, `${p.registry}/e2e/busybox:1`, "BusyBox", "bad ref", "a\0b", "", `${p.registry}/e2e/x@sha256:${"0".repeat(64)}`),
    user_specified_image: fc.constantFrom("", `${p.registry}/e2e/busybox:1`),
    server_address: fc.constantFrom("", p.registry),
    // ExecSync runs its command: only harmless ones (a container may share the host's PID namespace).
    "runtime.v1.ExecSyncRequest.cmd": fc.constantFrom([], ["true"], ["echo", "x"], ["/nonexistent"], ["sh", "-c", "exit 3"], ["a\0b"]),
    "runtime.v1.ExecSyncRequest.timeout": fc.constantFrom(0n, 1n, 5n, -1n, (1n << 63n) - 1n),
    "runtime.v1.StopContainerRequest.timeout": fc.constantFrom(0n, 1n, -1n, (1n << 63n) - 1n),
    "runtime.v1.LinuxContainerConfig.resources": fc.oneof(resourcesArbitrary(), fc.constant(undefined)),
    "runtime.v1.LinuxPodSandboxConfig.resources": fc.oneof(resourcesArbitrary(), fc.constant(undefined)),
  };
}

/**
 * `LinuxContainerResources` that are mostly within the accepted ranges,
 * each field with a small chance of an edge or out-of-range value: what
 * gets past validation reaches runc and the kernel.
 */
export function resourcesArbitrary(): fc.Arbitrary<Record<string, unknown>> {
  const mostly = <T>(good: fc.Arbitrary<T>, edge: fc.Arbitrary<T>): fc.Arbitrary<T> => fc.oneof({ arbitrary: good, weight: 6 }, { arbitrary: edge, weight: 1 });
  const edge = fc.constantFrom(...int64Edges);
  return fc.record(
    {
      cpuPeriod: mostly(fc.bigInt({ min: 1000n, max: 1_000_000n }), edge),
      cpuQuota: mostly(fc.oneof(fc.constant(-1n), fc.bigInt({ min: 1000n, max: (1n << 44n) - 1n })), edge),
      cpuShares: mostly(fc.bigInt({ min: 2n, max: 262_144n }), edge),
      memoryLimitInBytes: mostly(fc.oneof(fc.bigInt({ min: 6n << 20n, max: 1n << 34n }), fc.constant(I64_MAX)), edge),
      memorySwapLimitInBytes: mostly(fc.constantFrom(0n, -1n, I64_MAX), edge),
      oomScoreAdj: mostly(fc.bigInt({ min: -1000n, max: 1000n }), edge),
      cpusetCpus: mostly(fc.constantFrom("", "0", "1", "0-1", "0,1"), fc.constantFrom("0-", "7", "1-0", "0-63")),
      cpusetMems: mostly(fc.constantFrom("", "0"), fc.constantFrom("1", "x")),
      hugepageLimits: mostly<Array<{ pageSize: string; limit: bigint }>>(fc.constant([]), fc.constantFrom([{ pageSize: "2MB", limit: 1n << 21n }], [{ pageSize: "1GB", limit: 0n }], [{ pageSize: "3MB", limit: 1n }])),
      unified: mostly<Record<string, string>>(fc.constant({}), fc.constant({ "memory.high": "max" })),
    },
    { requiredKeys: [] },
  );
}
