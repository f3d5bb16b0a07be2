/**
 * The package as a user installs it: `npm pack` (whose prepack builds), the
 * tarball installed into a fresh project, a consumer of every entry point
 * compiled with strict TypeScript (`skipLibCheck: false`, `module` NodeNext,
 * no DOM lib) and run with plain `node`, and a CommonJS consumer that
 * `require`s it.
 *
 * Dependencies install with `--prefer-offline`: from npm's cache, which
 * `npm ci` filled, without asking the registry for what it holds.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rename, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const tsc = join(repo, "node_modules/typescript/bin/tsc");

/** Every entry point of package.json's exports, as a consumer imports it. */
async function entryPoints(): Promise<string[]> {
  const pkg = JSON.parse(await readFile(join(repo, "package.json"), "utf8")) as { exports: Record<string, unknown> };
  return Object.keys(pkg.exports)
    .filter((k) => k !== "./package.json")
    .map((k) => (k === "." ? "crikit" : `crikit/${k.slice(2)}`));
}

/** The entry points whose types do not involve connect's. */
const connectFree = ["crikit", "crikit/server", "crikit/cri", "crikit/cri-enums", "crikit/errors", "crikit/naming", "crikit/stores", "crikit/spec", "crikit/seccomp", "crikit/status", "crikit/validation", "crikit/reference", "crikit/runtime-options", "crikit/config", "crikit/image", "crikit/network", "crikit/oci", "crikit/runtime", "crikit/sandbox", "crikit/stats", "crikit/telemetry", "crikit/streaming", "crikit/process"];
/** The entry points whose types cross connect's (which name the DOM's HeadersInit; their declarations reference the DOM lib). */
const connectBased = ["crikit/transport", "crikit/client"];

const tsconfig = (files: string[], lib = ["ES2023", "ESNext.Disposable"]) => ({
  compilerOptions: {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    module: "NodeNext",
    moduleResolution: "NodeNext",
    target: "ES2023",
    lib,
    types: ["node"],
    skipLibCheck: false,
    outDir: "out",
  },
  files,
});

/** Uses of the pure entry points; prints one line. */
const pureConsumer = `
import { cri, generateId as rootGenerateId } from "crikit";
import { PodSandboxStateSchema } from "crikit/cri";
import { ContainerState } from "crikit/cri-enums";
import { CrikitError, isCrikitError } from "crikit/errors";
import { makeSandboxName, generateId } from "crikit/naming";
import { Registrar, SandboxStore } from "crikit/stores";
import { generateContainerSpec } from "crikit/spec";
import { createDefaultSeccompProfile } from "crikit/seccomp";
import { podSandboxStateName } from "crikit/status";
import { validateLogPath } from "crikit/validation";
import { normalizeReference } from "crikit/reference";
import { RuntimeType } from "crikit/runtime-options";
import { resolveDaemonConfig } from "crikit/config";
import { MediaType } from "crikit/image";
import { CniManager } from "crikit/network";
import { OciRuntime } from "crikit/oci";
import { startSandbox } from "crikit/sandbox";
import type { ContainerRuntime } from "crikit/runtime";
import { parseNetDev } from "crikit/stats";
import { stepChannelName } from "crikit/telemetry";
import { SPDY_PORT_FORWARD_PROTOCOL } from "crikit/streaming";
import { CriService } from "crikit/server";
import { createSpawner } from "crikit/process";

const name = makeSandboxName({ name: "web", namespace: "default", uid: "7f3c", attempt: 0 });
const registrar = new Registrar();
registrar.reserve(name, generateId());\nregistrar.reserve(name + "-2", rootGenerateId());
const store = new SandboxStore();
const noRuntime: ContainerRuntime | undefined = undefined;
void noRuntime;
const config = resolveDaemonConfig({ root: "/tmp/crikit-consumer/root", state: "/tmp/crikit-consumer/state" });
const checks: unknown[] = [
  store.list().length, isCrikitError(new CrikitError("NotFound", "x")), typeof generateContainerSpec, typeof createDefaultSeccompProfile,
  podSandboxStateName(cri.PodSandboxState.SANDBOX_READY), PodSandboxStateSchema.typeName, normalizeReference("busybox"), RuntimeType.RuncV2,
  config.default_runtime, MediaType.ociManifest, typeof CniManager, typeof OciRuntime, typeof startSandbox, parseNetDev("").length, stepChannelName, SPDY_PORT_FORWARD_PROTOCOL, typeof CriService,
  typeof validateLogPath, typeof createSpawner, ContainerState.CONTAINER_RUNNING,
];
console.log(name, checks.join(" "));
`;

/** Uses of the Connect-based entry points: a server and a client over a unix socket. */
const connectConsumer = `
import { CriServer } from "crikit/transport";
import { createCriClient } from "crikit/client";
import { CriService as RootCriService } from "crikit";

const socketPath = process.argv[2] ?? "";
const server = new CriServer({ socketPath, ready: true, runtime: { version: () => ({ runtimeName: "consumer", runtimeApiVersion: "v1" }) } });
await server.listen();
const client = createCriClient(socketPath);
const v = await client.runtime.version({});
client.close();
await server.close();
console.log(v.runtimeName, CriService === RootCriService);
`;

/**
 * crikitd's [metrics] and [tracing] started from the installed package: the
 * metrics endpoint (127.0.0.1, a free port) answers and tracing adds its
 * interceptor (no span is made, so nothing is exported). Prints what it saw,
 * or the error.
 */
const observabilityConsumer = `
import { resolveDaemonConfig } from "crikit/config";
const { startObservability } = await import(new URL("./node_modules/crikit/dist/examples/crikitd/observability.js", import.meta.url).href);
const config = resolveDaemonConfig({ root: "/tmp/crikit-consumer/root", state: "/tmp/crikit-consumer/state", metrics: { address: "127.0.0.1:0" }, tracing: { endpoint: "http://127.0.0.1:4318/v1/traces" } });
try {
  const obs = await startObservability(config, { info() {}, warn() {} }, "0.0.0");
  const text = await (await fetch(obs.metricsUrl)).text();
  await obs.close();
  console.log(text.includes("grpc_server_started_total"), obs.interceptors.length);
} catch (e) {
  console.log("error: " + e.message);
}
`;

const cjsConsumer = `
const { makeSandboxName } = require("crikit/naming");
const { SandboxStore } = require("crikit/stores");
const root = require("crikit");
const { CriServer } = require("crikit/transport");
const { createCriClient } = require("crikit/client");
console.log(makeSandboxName({ name: "a", namespace: "b", uid: "c", attempt: 1 }), typeof SandboxStore, typeof root.generateContainerSpec, typeof CriServer, typeof createCriClient);
`;

describe("the packed tarball in a fresh project", () => {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-consumer-"));
    const packed = await execa("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: repo });
    const tarball = join(dir, packed.stdout.trim().split("\n").at(-1) ?? "");
    await mkdir(join(dir, "app"));
    const app = join(dir, "app");
    await writeFile(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    const typesNode = JSON.parse(await readFile(join(repo, "node_modules/@types/node/package.json"), "utf8")) as { version: string };
    await execa("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, `@types/node@${typesNode.version}`], { cwd: app });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("ships what the code needs and nothing that points elsewhere", async () => {
    const listed = await execa("tar", ["-tzf", (await execa("sh", ["-c", `ls ${dir}/*.tgz`])).stdout.trim()]);
    const files = listed.stdout.split("\n");
    assert.ok(files.includes("package/LICENSE") && files.includes("package/NOTICE"), "LICENSE and NOTICE");
    assert.ok(files.includes("package/proto/cri-api/runtime/v1/api.proto"), "the CRI .proto");
    assert.ok(files.includes("package/dist/examples/crikitd/main.js"), "the daemon for the bin");
    assert.ok(files.includes("package/dist/examples/wasi-runtime/wasi-worker.js"), "the daemon's wasi handler, with its worker");
    assert.deepEqual(files.filter((f) => f.endsWith(".map")), [], "no source maps");
    assert.deepEqual(files.filter((f) => f.startsWith("package/src/") && f.endsWith(".ts")), [], "no TypeScript sources");
    const js = await readFile(join(dir, "app/node_modules/crikit/dist/src/index.js"), "utf8");
    assert.doesNotMatch(js, /sourceMappingURL/);
  });

  it("compiles, with no DOM lib and skipLibCheck false, a consumer of the entry points whose types are crikit's own", async () => {
    const app = join(dir, "app");
    await writeFile(join(app, "pure.ts"), pureConsumer);
    await writeFile(join(app, "tsconfig.pure.json"), JSON.stringify(tsconfig(["pure.ts"])));
    const r = await execa(process.execPath, [tsc, "-p", "tsconfig.pure.json"], { cwd: app, reject: false });
    assert.equal(r.exitCode, 0, r.stdout);
    const run = await execa("node", ["out/pure.js"], { cwd: app });
    assert.match(run.stdout, /^web_default_7f3c_0 0 true function function SANDBOX_READY runtime\.v1\.PodSandboxState docker\.io\/library\/busybox:latest io\.containerd\.runc\.v2 runc /);
    for (const entry of connectFree) assert.ok(pureConsumer.includes(`from "${entry}"`), entry);
  });

  it("compiles, with no DOM lib and no declaration of its own, and runs a consumer of every entry point", async () => {
    const app = join(dir, "app");
    await writeFile(join(app, "full.ts"), `${pureConsumer.replace("console.log(name, checks.join(\" \"));", "void checks;")}\n${connectConsumer}`);
    await writeFile(join(app, "tsconfig.full.json"), JSON.stringify(tsconfig(["full.ts"])));
    const r = await execa(process.execPath, [tsc, "-p", "tsconfig.full.json"], { cwd: app, reject: false });
    assert.equal(r.exitCode, 0, r.stdout);
    assert.doesNotMatch(await readFile(join(app, "full.ts"), "utf8"), /HeadersInit/);
    const source = await readFile(join(app, "full.ts"), "utf8");
    const all = await entryPoints();
    for (const entry of all) assert.ok(source.includes(`from "${entry}"`), `the consumer imports ${entry}`);
    assert.deepEqual([...connectFree, ...connectBased].sort(), [...all].sort(), "every entry point is in one list");
    const run = await execa("node", ["out/full.js", join(dir, "cri.sock")], { cwd: app });
    assert.equal(run.stdout.trim(), "consumer true");
  });

  it("compiles the same consumer in a project that has the DOM lib (no duplicate HeadersInit)", async () => {
    const app = join(dir, "app");
    const withDom = tsconfig(["full.ts"], ["ES2023", "ESNext.Disposable", "DOM", "DOM.Iterable"]);
    await writeFile(join(app, "tsconfig.dom.json"), JSON.stringify({ ...withDom, compilerOptions: { ...withDom.compilerOptions, noEmit: true } }));
    const r = await execa(process.execPath, [tsc, "-p", "tsconfig.dom.json"], { cwd: app, reject: false });
    assert.equal(r.exitCode, 0, r.stdout);
  });

  it("runs the daemon with `npx crikitd`, as the README shows", async () => {
    const app = join(dir, "app");
    const r = await execa("sh", ["-c", "npx crikitd --version"], { cwd: app });
    assert.match(r.stdout, /^crikitd \d+\.\d+\.\d+/);
  });

  it("enables crikitd's [metrics] and [tracing] with the optional dependencies npm installed with it", async () => {
    const app = join(dir, "app");
    await writeFile(join(app, "observability.mjs"), observabilityConsumer);
    const run = await execa("node", ["observability.mjs"], { cwd: app });
    assert.equal(run.stdout.trim(), "true 1");
  });

  it("says which package to install when an optional dependency was left out", async () => {
    const app = join(dir, "app");
    const pkg = join(app, "node_modules/prom-client");
    await rename(pkg, `${pkg}.off`);
    try {
      const run = await execa("node", ["observability.mjs"], { cwd: app });
      assert.match(run.stdout.trim(), /^error: \[metrics\] needs the optional dependency prom-client, which is not installed: run `npm install prom-client` beside crikit, or turn \[metrics\] off$/);
    } finally {
      await rename(`${pkg}.off`, pkg);
    }
  });

  it("is required by a CommonJS consumer", async () => {
    const app = join(dir, "app");
    await writeFile(join(app, "main.cjs"), cjsConsumer);
    const run = await execa("node", ["main.cjs"], { cwd: app });
    assert.equal(run.stdout.trim(), "a_b_c_1 function function function function");
  });
});
