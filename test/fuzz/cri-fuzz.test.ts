/**
 * Fuzzing crikitd over its socket (issue 16): the hostile cases of the
 * issue by hand, int64 2^63-1 through a real runc container, then requests
 * generated with fast-check from the message descriptors, sent as raw
 * protobuf bytes through grpc-js. Each answer must be OK or a specific code
 * (InvalidArgument, NotFound, AlreadyExists, FailedPrecondition,
 * ResourceExhausted; Unimplemented only from RPCs crikit does not
 * implement), never Unknown or Internal; the daemon must stay up; no file
 * may appear outside its roots.
 *
 * `CRIKIT_FUZZ_RUNS` sets the number of generated requests (default 200),
 * `CRIKIT_FUZZ_SEED` the seed (printed on every run).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, readdir, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import grpc from "@grpc/grpc-js";
import { create, toBinary, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { cri } from "../../src/index.js";
import { GrpcStatus, type Msg } from "../helpers/cri-client.js";
import { containerConfig, podConfig, rejectsWith, setupE2e, type E2eEnv } from "../e2e/harness.js";
import { messageArbitrary, resourcesArbitrary, safeOverrides, type FuzzPlaces } from "./arbitraries.js";

const RUNS = Number(process.env["CRIKIT_FUZZ_RUNS"] ?? "200");
const SEED = Number(process.env["CRIKIT_FUZZ_SEED"] ?? String(Date.now() % 2 ** 31));
const I64_MAX = (1n << 63n) - 1n;

/** Codes a well-formed refusal may carry. */
const SPECIFIC = new Set([GrpcStatus.OK, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.NOT_FOUND, GrpcStatus.ALREADY_EXISTS, GrpcStatus.FAILED_PRECONDITION, GrpcStatus.RESOURCE_EXHAUSTED]);
/** RPCs crikit does not implement (yet): Unimplemented is their specific answer. */
const UNIMPLEMENTED = new Set(["Exec", "Attach", "PortForward", "ListMetricDescriptors", "ListPodSandboxMetrics", "StreamPodSandboxMetrics", "CheckpointContainer"]);

/** Host directories whose top level must not gain an entry. /tmp and /run are shared with other tests: there only names with the marker count. */
const STRICT_DIRS = ["/", "/etc", "/root", "/var", "/var/log", "/var/lib", "/usr", "/home"];
const SHARED_DIRS = ["/tmp", "/run", "/var/tmp"];

function snapshot(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of [...STRICT_DIRS, ...SHARED_DIRS]) {
    try {
      out.set(d, new Set(readdirSync(d)));
    } catch {
      out.set(d, new Set());
    }
  }
  return out;
}


interface Answer {
  code: number;
  details: string;
}

describe("fuzzing crikitd over its socket", { timeout: 900_000 }, () => {
  let env: E2eEnv;
  let raw: grpc.Client;
  let places: FuzzPlaces;
  let before0: Map<string, Set<string>>;
  const marker = `crikit-fuzz-escape-${randomBytes(3).toString("hex")}`;
  const cgroupParent = `/crikit-fuzz-${randomBytes(3).toString("hex")}`;
  const methods = new Map<string, DescMethod>();
  for (const s of [cri.RuntimeService, cri.ImageService]) for (const m of s.methods) methods.set(m.name, m);

  before(async () => {
    before0 = snapshot();
    env = await setupE2e({ logLevel: "info" });
    raw = new grpc.Client(`unix://${env.socket}`, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": -1 });
    await env.client.unary("PullImage", { image: { image: env.image } });
    await mkdir(join(env.dir, "vol"), { recursive: true });
    places = { marker, dir: env.dir, registry: env.registry.host, cgroupParent };
  });

  after(async () => {
    if (env === undefined) return;
    raw?.close();
    try {
      const pods = await env.client.unary("ListPodSandbox", {});
      for (const p of pods["items"] as Msg[]) await env.client.unary("RemovePodSandbox", { pod_sandbox_id: p["id"] }, { timeoutMs: 60_000 }).catch(() => undefined);
    } catch {
      // the daemon is gone: the cleanup below still runs
    }
    await env.cleanup();
    // cgroups under the test's cgroup parent (runc leaves the parents it created)
    for (const ctrl of await readdir("/sys/fs/cgroup").catch(() => [] as string[])) {
      const base = join("/sys/fs/cgroup", ctrl, cgroupParent);
      for (const sub of await readdir(base, { withFileTypes: true }).catch(() => [])) if (sub.isDirectory()) await rmdir(join(base, sub.name)).catch(() => undefined);
      await rmdir(base).catch(() => undefined);
    }
  });

  /** Sends `msg` (an init object of the method's input) as raw protobuf; resolves with the status. */
  function send(name: string, msg: Record<string, unknown>): Promise<Answer> {
    const m = methods.get(name);
    if (m === undefined) throw new Error(`no method ${name}`);
    const bytes = Buffer.from(toBinary(m.input, create(m.input as DescMessage, msg as never)));
    const path = `/${m.parent.typeName}/${m.name}`;
    const ident = (b: Buffer): Buffer => b;
    const deadline = new Date(Date.now() + 60_000);
    if (m.methodKind === "unary") {
      return new Promise((resolve) => {
        raw.makeUnaryRequest(path, ident, ident, bytes, new grpc.Metadata(), { deadline }, (err) => resolve(err ? { code: err.code, details: err.details } : { code: 0, details: "" }));
      });
    }
    return new Promise((resolve) => {
      const call = raw.makeServerStreamRequest(path, ident, ident, bytes, new grpc.Metadata(), { deadline });
      call.on("data", () => undefined);
      call.on("error", () => undefined);
      call.on("status", (st: grpc.StatusObject) => resolve({ code: st.code, details: st.details }));
      // GetContainerEvents never ends by itself: what counts is that it opened.
      if (name === "GetContainerEvents") setTimeout(() => call.cancel(), 200);
    });
  }

  function acceptable(name: string, a: Answer): boolean {
    if (SPECIFIC.has(a.code)) return true;
    if (a.code === GrpcStatus.UNIMPLEMENTED && UNIMPLEMENTED.has(name)) return true;
    return name === "GetContainerEvents" && a.code === GrpcStatus.CANCELLED;
  }

  async function alive(): Promise<void> {
    let exited = false;
    void env.daemon.exited.then(() => (exited = true));
    await env.client.unary("Version", {}, { timeoutMs: 10_000 });
    assert.equal(exited, false, `crikitd exited: ${env.daemon.how()}`);
  }

  it("answers the hostile cases of issue 16 with InvalidArgument naming the field", async () => {
    const pod = await env.client.unary("RunPodSandbox", { config: podConfig(env, "hostile") });
    const id = pod["pod_sandbox_id"] as string;
    const sandbox_config = podConfig(env, "hostile");
    const ctr = (extra: Record<string, unknown>): Msg => ({ pod_sandbox_id: id, config: containerConfig(env, "h", ["sleep", "5"], extra), sandbox_config });
    await rejectsWith(env.client.unary("CreateContainer", ctr({ log_path: "../../../../etc/crikit-escape" })), GrpcStatus.INVALID_ARGUMENT, /config\.log_path .*inside the pod's log_directory/);
    assert.equal(existsSync("/etc/crikit-escape"), false);
    await rejectsWith(env.client.unary("CreateContainer", ctr({ log_path: "/etc/crikit-escape" })), GrpcStatus.INVALID_ARGUMENT, /config\.log_path .*absolute/);
    await rejectsWith(env.client.unary("RunPodSandbox", { config: podConfig(env, "rel", { log_directory: "crikit-logdir" }) }), GrpcStatus.INVALID_ARGUMENT, /config\.log_directory .*absolute/);
    await rejectsWith(env.client.unary("CreateContainer", ctr({ linux: { resources: { cpu_shares: -1 } } })), GrpcStatus.INVALID_ARGUMENT, /config\.linux\.resources\.cpu_shares is -1; accepted: 0 \(not set\) or 2\.\.262144/);
    await rejectsWith(env.client.unary("CreateContainer", ctr({ linux: { resources: { memory_limit_in_bytes: 1 } } })), GrpcStatus.INVALID_ARGUMENT, /memory_limit_in_bytes is 1; accepted: 0 \(not set\) or at least 6291456/);
    await rejectsWith(env.client.unary("CreateContainer", ctr({ linux: { resources: { oom_score_adj: 99999 } } })), GrpcStatus.INVALID_ARGUMENT, /oom_score_adj is 99999; accepted: -1000\.\.1000/);
    await rejectsWith(env.client.unary("CreateContainer", ctr({ linux: { resources: { cpu_quota: I64_MAX.toString() } } })), GrpcStatus.INVALID_ARGUMENT, /cpu_quota is 9223372036854775807;/);
    await rejectsWith(
      env.client.unary("RunPodSandbox", { config: podConfig(env, "ns99", { linux: { security_context: { namespace_options: { network: 99 } } } }) }),
      GrpcStatus.INVALID_ARGUMENT,
      /namespace_options\.network is 99, which NamespaceMode does not define; accepted: POD \(0\)/,
    );
    await rejectsWith(
      env.client.unary("CreateContainer", ctr({ mounts: [{ container_path: "/m", host_path: join(env.dir, "vol"), propagation: 99 }] })),
      GrpcStatus.INVALID_ARGUMENT,
      /config\.mounts\[0\]\.propagation is 99/,
    );
    await rejectsWith(env.client.unary("RunPodSandbox", { config: podConfig(env, "nul\0name") }), GrpcStatus.INVALID_ARGUMENT, /config\.metadata\.name contains a NUL byte/);
    await rejectsWith(env.client.unary("CreateContainer", ctr({ args: ["a\0b"] })), GrpcStatus.INVALID_ARGUMENT, /config\.args\[0\] contains a NUL byte/);
    // Nothing was created by the refused calls: only the pod itself.
    assert.equal((await env.client.unary("ListContainers", { filter: { pod_sandbox_id: id } }))["containers"].length, 0);
    assert.equal(existsSync(join(env.dir, "crikit-logdir")), false);
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
  });

  it("keeps int64 2^63-1 exact through runc's config.json and ContainerStatus", async () => {
    const pod = await env.client.unary("RunPodSandbox", { config: podConfig(env, "int64") });
    const id = pod["pod_sandbox_id"] as string;
    const big = I64_MAX.toString();
    const res = { memory_limit_in_bytes: big, memory_swap_limit_in_bytes: big, cpu_quota: "-1", cpu_period: "100000" };
    const c = await env.client.unary("CreateContainer", { pod_sandbox_id: id, config: containerConfig(env, "big", ["sleep", "30"], { linux: { resources: res } }), sandbox_config: podConfig(env, "int64") });
    const cid = c["container_id"] as string;
    await env.client.unary("StartContainer", { container_id: cid });
    const specText = await readFile(join(env.state, "containers", cid, "config.json"), "utf8");
    assert.match(specText, /"memory":\{[^}]*"limit":9223372036854775807/);
    assert.match(specText, /"swap":9223372036854775807/);
    assert.doesNotMatch(specText, /9223372036854776000/);
    const st = await env.client.unary("ContainerStatus", { container_id: cid });
    assert.equal(st["status"]["state"], "CONTAINER_RUNNING");
    const linux = st["status"]["resources"]["linux"];
    assert.equal(linux["memory_limit_in_bytes"], big);
    assert.equal(linux["memory_swap_limit_in_bytes"], big);
    assert.equal(linux["cpu_quota"], "-1");
    // An update keeps the spec exact too (read back, changed, written again).
    await env.client.unary("UpdateContainerResources", { container_id: cid, linux: { memory_limit_in_bytes: big, memory_swap_limit_in_bytes: big, cpu_shares: "512" } });
    const after1 = await readFile(join(env.state, "containers", cid, "config.json"), "utf8");
    assert.match(after1, /"limit":9223372036854775807/);
    const st2 = await env.client.unary("ContainerStatus", { container_id: cid });
    assert.equal(st2["status"]["resources"]["linux"]["memory_limit_in_bytes"], big);
    assert.equal(st2["status"]["resources"]["linux"]["cpu_shares"], "512");
    // Verbose info carries the spec with its digits.
    const v = await env.client.unary("ContainerStatus", { container_id: cid, verbose: true });
    assert.match(v["info"]["info"], /"limit":9223372036854775807/);
    await env.client.unary("RemovePodSandbox", { pod_sandbox_id: id });
  });

  it(`answers ${RUNS} generated requests with OK or a specific code, and stays up (seed ${SEED})`, async () => {
    const overrides = safeOverrides(places);
    const arb = (schema: DescMessage): fc.Arbitrary<Record<string, unknown>> => messageArbitrary(schema, { places, overrides });
    const names = [...methods.keys()];
    // Live objects the generated requests may name, so they go past the lookups.
    const pods: string[] = [];
    const ctrs: string[] = [];
    let n = 0;
    const plan = fc.sample(
      fc.oneof(
        { arbitrary: fc.record({ kind: fc.constant("any" as const), name: fc.constantFrom(...names), pick: fc.nat() }), weight: 3 },
        { arbitrary: fc.record({ kind: fc.constant("pod" as const), cfg: arb(cri.PodSandboxConfigSchema), keys: fc.subarray(["hostname", "logDirectory", "dnsConfig", "portMappings", "labels", "annotations", "linux"]) }), weight: 2 },
        { arbitrary: fc.record({ kind: fc.constant("ctr" as const), cfg: arb(cri.ContainerConfigSchema), keys: fc.subarray(["args", "envs", "workingDir", "mounts", "devices", "labels", "annotations", "linux", "logPath", "stopSignal", "tty", "stdin", "CDIDevices"]), start: fc.boolean(), pick: fc.nat() }), weight: 3 },
        { arbitrary: fc.record({ kind: fc.constant("update" as const), linux: fc.oneof(arb(cri.LinuxContainerResourcesSchema), resourcesArbitrary()), pick: fc.nat() }), weight: 1 },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    const requests = new Map<string, fc.Arbitrary<Record<string, unknown>>>();
    const bad: string[] = [];
    const counts = new Map<string, Map<number, number>>();
    const record = (name: string, a: Answer, req: unknown): void => {
      const m = counts.get(name) ?? new Map<number, number>();
      m.set(a.code, (m.get(a.code) ?? 0) + 1);
      counts.set(name, m);
      if (!acceptable(name, a)) bad.push(`${name} -> ${grpc.status[a.code]}: ${a.details}\n  request: ${fc.stringify(req).slice(0, 600)}`);
    };
    const sandboxConfig = podConfig(env, "fz-base");
    for (const step of plan) {
      n++;
      if (step.kind === "any") {
        let a = requests.get(step.name);
        if (a === undefined) {
          a = arb((methods.get(step.name) as DescMethod).input);
          requests.set(step.name, a);
        }
        const [req] = fc.sample(a, { numRuns: 1, seed: SEED + n });
        const msg: Record<string, unknown> = { ...(req ?? {}) };
        // Half the time, name a live object so the request gets past the lookup.
        if (step.pick % 2 === 0 && "containerId" in msg && ctrs.length > 0) msg["containerId"] = ctrs[step.pick % ctrs.length];
        if (step.pick % 2 === 0 && "podSandboxId" in msg && pods.length > 0) msg["podSandboxId"] = pods[step.pick % pods.length];
        // Removals of live objects would empty the pools: only unknown IDs.
        if (step.name.startsWith("Remove") || step.name === "StopPodSandbox") {
          delete msg["containerId"];
          delete msg["podSandboxId"];
        }
        if (step.name === "RemoveImage") msg["image"] = { image: `${env.registry.host}/e2e/none:1` };
        record(step.name, await send(step.name, msg), msg);
      } else if (step.kind === "pod") {
        const base = podConfig(env, `fz${n}`);
        const cfg: Record<string, unknown> = {
          metadata: { name: `fz${n}`, namespace: "fuzz", uid: `u${n}`, attempt: 0 },
          logDirectory: join(env.dir, "logs", `fz${n}`),
          labels: base["labels"],
        };
        for (const k of step.keys) if (k in step.cfg) cfg[k] = step.cfg[k];
        const msg = { config: cfg };
        const a = await send("RunPodSandbox", msg);
        record("RunPodSandbox", a, msg);
        if (a.code === 0) {
          const list = await env.client.unary("ListPodSandbox", { filter: { label_selector: {} } });
          for (const p of list["items"] as Msg[]) if (!pods.includes(p["id"])) pods.push(p["id"]);
        }
      } else if (step.kind === "ctr") {
        if (pods.length === 0) {
          const p = await env.client.unary("RunPodSandbox", { config: sandboxConfig });
          pods.push(p["pod_sandbox_id"]);
        }
        const podId = pods[step.pick % pods.length] as string;
        const cfg: Record<string, unknown> = {
          metadata: { name: `c${n}`, attempt: 0 },
          image: { image: env.image },
          command: ["sleep", "2"],
          logPath: `c${n}/0.log`,
        };
        for (const k of step.keys) if (k in step.cfg) cfg[k] = step.cfg[k];
        const msg = { podSandboxId: podId, config: cfg };
        const before1 = new Set((await env.client.unary("ListContainers", {}))["containers"].map((c: Msg) => c["id"]));
        const a = await send("CreateContainer", msg);
        record("CreateContainer", a, msg);
        if (a.code === 0) {
          const created = (await env.client.unary("ListContainers", {}))["containers"].map((c: Msg) => c["id"] as string).filter((id: string) => !before1.has(id));
          ctrs.push(...created);
          if (step.start) for (const id of created) record("StartContainer", await send("StartContainer", { containerId: id }), { containerId: id, cfg });
        }
      } else {
        if (ctrs.length === 0) continue;
        const msg = { containerId: ctrs[step.pick % ctrs.length], linux: step.linux };
        record("UpdateContainerResources", await send("UpdateContainerResources", msg), msg);
      }
      if (n % 25 === 0) await alive();
    }
    await alive();
    const table = [...counts].sort().map(([name, m]) => `${name}: ${[...m].map(([c, k]) => `${grpc.status[c]} ${k}`).join(", ")}`);
    console.log(`fuzz seed ${SEED}, ${RUNS} generated steps, ${pods.length} pods and ${ctrs.length} containers created\n${table.join("\n")}`);
    assert.deepEqual(bad, [], `answers that are not OK or a specific code (seed ${SEED}):\n${bad.join("\n")}`);
  });

  it("leaves no file outside its roots", () => {
    const now = snapshot();
    const appeared: string[] = [];
    for (const [d, names] of now) {
      const was = before0.get(d) ?? new Set<string>();
      for (const name of names) {
        if (was.has(name)) continue;
        if (SHARED_DIRS.includes(d) && !name.includes("crikit-fuzz") && !name.includes("crikit-escape")) continue;
        appeared.push(join(d, name));
      }
    }
    assert.deepEqual(appeared, []);
    assert.equal(existsSync(`/etc/${marker}`), false);
    assert.equal(existsSync("/etc/crikit-escape"), false);
  });
});
