/**
 * Pure-function costs of the status, reference and runtime-options areas:
 * per-call figures for the work a CRI server does per ImageStatus/ListImages
 * entry (reference parsing and repo tags), per ContainerStatus (resources
 * from the spec) and per runtime handler at start-up (TOML options to Any).
 */
import { nsPerOp } from "./harness.js";
import type { BenchRow } from "./harness.js";
import {
  normalizeReference,
  parseReference,
  splitRepoTagsAndDigests,
} from "../src/reference/index.js";
import { resourcesFromSpec } from "../src/status/index.js";
import {
  createRuntimeOptionsRegistry,
  decodeRuntimeOptions,
  runtimeOptionsFromAny,
  runtimeOptionsToAny,
} from "../src/runtime-options/index.js";

export const title = "status, references, runtime options";

const sha = "sha256:" + "ab".repeat(32);
const refs = ["busybox", "docker.io/library/busybox:1.36", `quay.io/org/app@${sha}`, "[::1]:5000/a/b:c", "bitnami/redis:7"];
const storeNames = ["docker.io/library/busybox:latest", `docker.io/library/busybox@${sha}`, sha];
const spec = {
  process: { oomScoreAdj: 1000 },
  linux: {
    resources: {
      cpu: { shares: 1024, quota: 100000, period: 100000, cpus: "0-1", mems: "0" },
      memory: { limit: 268435456, swap: 268435456 },
      hugepageLimits: [{ pageSize: "2MB", limit: 0 }],
      unified: { "memory.oom.group": "1" },
    },
  },
};
const runcToml = 'BinaryName = "/usr/bin/runc"\nRoot = "/run/runc"\nSystemdCgroup = true\nIoUid = 0\nIoGid = 0\n';
const customProto = `syntax = "proto3"; package bench.v1;
message Options { string config_path = 1; bool debug = 2; repeated string params = 3; map<string,string> env = 4; uint64 memory = 5; }`;

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  const o = quick ? { batches: 5, opsPerBatch: 1000 } : { batches: 30, opsPerBatch: 10_000 };
  const slow = quick ? { batches: 5, opsPerBatch: 100 } : { batches: 20, opsPerBatch: 1000 };
  const anyRunc = runtimeOptionsToAny(decodeRuntimeOptions("io.containerd.runc.v2", runcToml));
  const registry = createRuntimeOptionsRegistry();
  registry.registerRuntimeOptionType("io.bench.v1", customProto, "Options");
  const customToml = 'config_path = "/x"\ndebug = true\nparams = ["a", "b"]\nmemory = 1024\n[env]\nA = "1"\n';
  return [
    nsPerOp("parseReference (5 shapes, round robin)", (i) => parseReference(refs[i % refs.length]!), o),
    nsPerOp("normalizeReference (5 shapes, round robin)", (i) => normalizeReference(refs[i % refs.length]!), o),
    nsPerOp("splitRepoTagsAndDigests (tag, digest, ID)", () => splitRepoTagsAndDigests(storeNames), o),
    nsPerOp("resourcesFromSpec (cpu, memory, hugepages, unified)", () => resourcesFromSpec(spec), o),
    nsPerOp("decodeRuntimeOptions runc v2 (TOML text, 5 keys)", () => decodeRuntimeOptions("io.containerd.runc.v2", runcToml), slow),
    nsPerOp("runtimeOptionsFromAny runc v2", () => runtimeOptionsFromAny(anyRunc), o),
    nsPerOp("custom type: TOML to Any (map, repeated, uint64)", () => registry.toAny(registry.decodeToml("io.bench.v1", customToml)), slow),
    nsPerOp("registerRuntimeOptionType (parse .proto with protobufjs)", (i) => createRuntimeOptionsRegistry().registerRuntimeOptionType(`io.b${i}.v1`, customProto, "Options"), slow),
  ];
}
