/**
 * crikitd driven by real clients: crictl (cri-tools v1.26.1, grpc-go, which
 * sends the socket path as `:authority`) walks the crictl session of docs/crictl.md
 * as a person would, meets the error paths a person meets, and grpc-js
 * calls with a path and an empty `:authority` get their answers.
 *
 * The session is read from docs/crictl.md as written: crictl's minimal
 * `pod.json` and `container.json` (the two `json` blocks) and the `sh` block
 * of crictl commands. The test substitutes only the endpoint (the daemon's
 * temporary socket for `unix:///run/crikit/crikit.sock`) and the IDs the
 * session itself captures (`POD_ID=$(crictl runp ...)`), and rewrites one
 * field: the pod's `log_directory` (`/tmp` in the guide) becomes a
 * directory of this test, so runs at the same time do not share
 * `/tmp/busybox.0.log` and nothing is left in /tmp. `crictl pull busybox`
 * works offline through a `[registry.mirrors."docker.io"]` pointing at the
 * harness's local registry, which holds the test busybox (with a `top`
 * applet) as `library/busybox:latest`. crictl reads its config from a
 * temporary file (`CRI_CONFIG_FILE`) that the session's first line writes,
 * never from /etc/crictl.yaml.
 *
 * Skipped when neither ../shared/bin/crictl nor a crictl on PATH exists.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { createCriClient, type Msg } from "../helpers/cri-client.js";
import { buildOciLayout } from "../helpers/oci-layout.js";
import { pushLayout } from "../helpers/registry.js";
import { e2eImage, leakedMounts, netnsPins, repoRoot, setupE2e, type E2eEnv } from "./harness.js";

// --- crictl -------------------------------------------------------------------

const sharedCrictl = fileURLToPath(new URL("../../../shared/bin/crictl", import.meta.url));

/** ../shared/bin/crictl, else the first crictl on PATH. */
function findCrictl(): string | undefined {
  if (existsSync(sharedCrictl)) return sharedCrictl;
  for (const dir of (process.env["PATH"] ?? "").split(":")) {
    if (dir !== "" && existsSync(join(dir, "crictl"))) return join(dir, "crictl");
  }
  return undefined;
}
const crictl = findCrictl();

/** The endpoint the guide's session names; the test's socket replaces it. */
const readmeEndpoint = "unix:///run/crikit/crikit.sock";

// --- the session of docs/crictl.md -----------------------------------------------------

/** One line of the session: the crictl command, its words after `crictl` (variables unexpanded), and the variable that captures its output. */
interface SessionStep {
  line: string;
  command: string;
  args: string[];
  capture?: string;
}

interface ReadmeSession {
  podJson: string;
  containerJson: string;
  steps: SessionStep[];
}

/** Splits a shell line into words: single and double quotes, `$NAME` expansion outside single quotes, `#` comments. */
function shellWords(line: string, vars: Readonly<Record<string, string>>): string[] {
  const words: string[] = [];
  let cur: string | undefined;
  let i = 0;
  const expand = (): void => {
    const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(line.slice(i));
    if (m === null) throw new Error(`cannot read "$" at column ${i} of: ${line}`);
    const name = (m[1] ?? m[2]) as string;
    const v = vars[name];
    if (v === undefined) throw new Error(`$${name} is not set before: ${line}`);
    cur = (cur ?? "") + v;
    i += m[0].length;
  };
  while (i < line.length) {
    const c = line[i] as string;
    if (c === " " || c === "\t") {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
      i++;
    } else if (c === "#" && cur === undefined) {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      cur = (cur ?? "") + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      cur ??= "";
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === "$") expand();
        else cur += line[i++];
      }
      if (i >= line.length) throw new Error(`unterminated " in: ${line}`);
      i++;
    } else if (c === "$") {
      expand();
    } else if (/[;&|<>()`\\]/.test(c)) {
      throw new Error(`the session's lines are plain commands; "${c}" in: ${line}`);
    } else {
      cur = (cur ?? "") + c;
      i++;
    }
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

/** The fenced code blocks of a Markdown text, with their info strings. */
function fencedBlocks(markdown: string): { lang: string; body: string }[] {
  return [...markdown.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? "", body: m[2] ?? "" }));
}

/** Reads crictl's two configs and the session's lines from the guide (docs/crictl.md). */
function readReadmeSession(markdown: string): ReadmeSession {
  const blocks = fencedBlocks(markdown);
  const one = (what: string, pick: (b: { lang: string; body: string }) => boolean): string => {
    const found = blocks.filter(pick);
    assert.equal(found.length, 1, `docs/crictl.md has exactly one ${what}`);
    return (found[0] as { body: string }).body.trim();
  };
  const podJson = one("pod.json block", (b) => b.lang === "json" && b.body.includes('"nginx-sandbox"'));
  const containerJson = one("container.json block", (b) => b.lang === "json" && b.body.includes('"log_path"'));
  const session = one("crictl session block", (b) => b.lang === "sh" && b.body.includes("crictl runp "));
  const steps: SessionStep[] = [];
  for (const raw of session.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const captured = /^([A-Za-z_][A-Za-z0-9_]*)=\$\((.*)\)(\s+#.*)?$/.exec(line);
    const command = captured ? (captured[2] as string) : line;
    // Variables are expanded when the step runs; here each reads as its own name.
    const words = shellWords(command, new Proxy({}, { get: (_t, name) => `$${String(name)}` }));
    assert.equal(words[0], "crictl", `each line of the session runs crictl: ${line}`);
    steps.push({ line, command, args: words.slice(1), ...(captured ? { capture: captured[1] as string } : {}) });
  }
  return { podJson, containerJson, steps };
}

const readme = readFileSync(join(repoRoot, "docs/crictl.md"), "utf8");
const session = readReadmeSession(readme);

// --- running crictl -----------------------------------------------------------

interface CrictlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** What the checks of one step see. */
interface StepContext {
  env: E2eEnv;
  vars: Record<string, string>;
  /** The crictl config file the session writes. */
  configFile: string;
  run(args: string[]): Promise<CrictlResult>;
  /** The step before this one, when it was a crictl update: the values it set. */
  updated?: { cpuPeriod?: string; cpuQuota?: string; memory?: string };
}

/** The value following `flag` in `args`. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A crictl table's rows (after the header), as arrays of cells. */
function tableRows(out: string): string[][] {
  // `crictl stats` clears the screen first (ESC[2J ESC[H).
  const lines = out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").split("\n").filter((l) => l.trim() !== "");
  return lines.slice(1).map((l) => l.trim().split(/\s{2,}/));
}

const hex64 = /^[0-9a-f]{64}$/;

/**
 * What a person expects from each crictl command of the session, by
 * subcommand. A subcommand the guide gains without an entry here fails the
 * test, so the guide and the checks move together.
 */
const checks: Record<string, (r: CrictlResult, args: string[], c: StepContext) => Promise<void>> = {
  async config(_r, _args, c) {
    const text = await readFile(c.configFile, "utf8");
    const endpoint = `unix://${c.env.socket}`;
    assert.match(text, new RegExp(`^runtime-endpoint: ${endpoint}$`, "m"), text);
    assert.match(text, new RegExp(`^image-endpoint: ${endpoint}$`, "m"), text);
  },
  async version(r) {
    assert.match(r.stdout, /^RuntimeName:\s+crikit$/m);
    assert.match(r.stdout, /^RuntimeApiVersion:\s+v1$/m);
    assert.match(r.stdout, /^RuntimeVersion:\s+\d+\.\d+\.\d+/m);
  },
  async info(r) {
    const info = JSON.parse(r.stdout) as { status: { conditions: { type: string; status: boolean }[] } };
    const conds = Object.fromEntries(info.status.conditions.map((x) => [x.type, x.status]));
    assert.deepEqual(conds, { RuntimeReady: true, NetworkReady: true });
  },
  async pull(r, args, c) {
    const m = /^Image is up to date for (sha256:[0-9a-f]{64})$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    c.vars["__image_id"] = m[1] as string;
    assert.deepEqual(args, ["pull", "busybox"], "the session pulls the image container.json names");
  },
  async images(r, _args, c) {
    const id = (c.vars["__image_id"] ?? "").slice("sha256:".length, "sha256:".length + 13);
    const rows = tableRows(r.stdout);
    assert.deepEqual(
      rows.map((row) => row.slice(0, 3)),
      [["docker.io/library/busybox", "latest", id]],
      r.stdout,
    );
  },
  async runp(r) {
    assert.match(r.stdout.trim(), hex64);
  },
  async pods(r, _args, c) {
    const rows = tableRows(r.stdout);
    assert.equal(rows.length, 1, r.stdout);
    const [id, , state, name, ns, attempt] = rows[0] as string[];
    assert.deepEqual([id, state, name, ns, attempt], [(c.vars["POD_ID"] ?? "").slice(0, 13), "Ready", "nginx-sandbox", "default", "1"], r.stdout);
  },
  async create(r) {
    assert.match(r.stdout.trim(), hex64);
  },
  async start(r, args) {
    assert.equal(r.stdout.trim(), args.at(-1));
  },
  async ps(r, _args, c) {
    const rows = tableRows(r.stdout);
    assert.equal(rows.length, 1, r.stdout);
    const row = rows[0] as string[];
    assert.equal(row[0], (c.vars["CTR_ID"] ?? "").slice(0, 13), r.stdout);
    assert.ok(row.includes("Running") && row.includes("busybox") && row.includes((c.vars["POD_ID"] ?? "").slice(0, 13)), r.stdout);
  },
  async inspect(r, args, c) {
    if (flagValue(args, "-o") === "go-template") {
      // After crictl update: the template prints the memory limit it set.
      assert.ok(c.updated?.memory, "a templated inspect follows crictl update in the session");
      assert.equal(r.stdout.trim(), c.updated.memory);
      const st = await c.env.client.unary("ContainerStatus", { container_id: c.vars["CTR_ID"] });
      const res = st["status"]["resources"]["linux"];
      assert.equal(res["memory_limit_in_bytes"], c.updated.memory);
      if (c.updated.cpuQuota) assert.equal(res["cpu_quota"], c.updated.cpuQuota);
      if (c.updated.cpuPeriod) assert.equal(res["cpu_period"], c.updated.cpuPeriod);
      return;
    }
    const out = JSON.parse(r.stdout) as { status: { id: string; state: string; metadata: { name: string }; logPath: string }; info: { pid: number } };
    assert.equal(out.status.id, c.vars["CTR_ID"]);
    assert.equal(out.status.state, "CONTAINER_RUNNING");
    assert.equal(out.status.metadata.name, "busybox");
    assert.equal(out.status.logPath, join(c.env.logDir, "busybox.0.log"));
    assert.ok(out.info.pid > 0, "info names the container's pid");
  },
  async inspectp(r, _args, c) {
    const out = JSON.parse(r.stdout) as { status: { id: string; state: string; network: { ip: string }; metadata: Record<string, unknown> } };
    assert.equal(out.status.id, c.vars["POD_ID"]);
    assert.equal(out.status.state, "SANDBOX_READY");
    assert.deepEqual(out.status.metadata, JSON.parse(session.podJson).metadata);
    const prefix = c.env.net.subnet.replace(/\.0\/24$/, ".");
    assert.ok(out.status.network.ip.startsWith(prefix), `the pod's IP ${out.status.network.ip} is on the test network ${c.env.net.subnet}`);
  },
  async exec(r, args) {
    const cmd = args.slice(args.indexOf(args.find((a) => hex64.test(a)) as string) + 1);
    assert.equal(cmd[0], "echo", "the session's exec runs echo");
    assert.equal(r.stdout.trim(), cmd.slice(1).join(" "));
  },
  async logs(r) {
    // top's screen: the memory and CPU summary, the process table with top itself.
    assert.match(r.stdout, /Mem: \d+K used/);
    assert.match(r.stdout, /PID\s+PPID\s+USER/);
    assert.match(r.stdout, /\btop\b/);
  },
  async stats(r, _args, c) {
    const rows = tableRows(r.stdout);
    assert.equal(rows.length, 1, r.stdout);
    const [id, name, cpu, mem] = rows[0] as string[];
    assert.equal(id, (c.vars["CTR_ID"] ?? "").slice(0, 13));
    assert.equal(name, "busybox");
    assert.match(cpu ?? "", /^\d+\.\d\d$/);
    assert.match(mem ?? "", /^\d+(\.\d+)?[kMG]?B$/);
  },
  async statsp(r, _args, c) {
    const rows = tableRows(r.stdout);
    assert.equal(rows.length, 1, r.stdout);
    const [name, id, cpu, mem] = rows[0] as string[];
    assert.deepEqual([name, id], ["nginx-sandbox", (c.vars["POD_ID"] ?? "").slice(0, 13)]);
    assert.match(cpu ?? "", /^\d+\.\d\d$/);
    assert.match(mem ?? "", /^\d+(\.\d+)?[kMG]?B$/);
  },
  async imagefsinfo(r, _args, c) {
    const out = JSON.parse(r.stdout) as { status: { fsId: { mountpoint: string }; usedBytes: { value: string } } };
    assert.ok(out.status.fsId.mountpoint.startsWith(c.env.root), out.status.fsId.mountpoint);
    assert.ok(Number(out.status.usedBytes.value) > 0);
  },
  async update(r, args, c) {
    assert.equal(r.stdout.trim(), c.vars["CTR_ID"]);
    const memory = flagValue(args, "--memory");
    const cpuQuota = flagValue(args, "--cpu-quota");
    const cpuPeriod = flagValue(args, "--cpu-period");
    c.updated = { ...(memory ? { memory } : {}), ...(cpuQuota ? { cpuQuota } : {}), ...(cpuPeriod ? { cpuPeriod } : {}) };
  },
  async stop(r, _args, c) {
    assert.equal(r.stdout.trim(), c.vars["CTR_ID"]);
    const st = await c.env.client.unary("ContainerStatus", { container_id: c.vars["CTR_ID"] });
    assert.equal(st["status"]["state"], "CONTAINER_EXITED");
  },
  async rm(r, _args, c) {
    assert.equal(r.stdout.trim(), c.vars["CTR_ID"]);
    assert.equal((await c.run(["ps", "-a", "-q"])).stdout.trim(), "", "no container is left");
  },
  async stopp(r, _args, c) {
    assert.equal(r.stdout.trim(), `Stopped sandbox ${c.vars["POD_ID"]}`);
    const rows = tableRows((await c.run(["pods"])).stdout);
    assert.equal(rows[0]?.[2], "NotReady");
  },
  async rmp(r, _args, c) {
    assert.equal(r.stdout.trim(), `Removed sandbox ${c.vars["POD_ID"]}`);
    assert.equal((await c.run(["pods", "-q"])).stdout.trim(), "", "no pod is left");
    assert.deepEqual(await netnsPins(c.env, [c.vars["POD_ID"] ?? ""]), [], "the pod's netns pin is gone");
  },
  async rmi(r, _args, c) {
    assert.equal(r.stdout.trim(), "Deleted: docker.io/library/busybox:latest");
    assert.equal((await c.run(["images", "-q"])).stdout.trim(), "", "no image is left");
  },
};

/** The subcommand of a crictl command line (the first word that is not a global flag). */
function subcommand(args: readonly string[]): string {
  return args.find((a) => !a.startsWith("-")) ?? "";
}

/**
 * The gRPC code and message crictl printed for a failed call: its last line
 * that has one, a logrus line (`level=fatal msg="..."`, the message quoted
 * last) or a plain one.
 */
function grpcFailure(r: CrictlResult): { code: string; desc: string } {
  assert.equal(r.exitCode, 1, `crictl failed with exit code 1 (stdout: ${r.stdout}; stderr: ${r.stderr})`);
  let line = r.stderr.split("\n").filter((l) => l.includes("rpc error: code = ")).at(-1) ?? "";
  if (/ level=\w+ msg="/.test(line)) line = JSON.parse(line.slice(line.indexOf(' msg="') + 5)) as string;
  const m = /rpc error: code = (\w+) desc = (.*)$/s.exec(line);
  assert.ok(m, `crictl printed a gRPC status: ${r.stderr}`);
  const desc = m[2] as string;
  assert.doesNotMatch(desc, /\n\s+at /, "the message carries no stack trace");
  return { code: m[1] as string, desc };
}

describe("crictl against crikitd", { timeout: 240_000 }, () => {
  it("has crictl: ../shared/bin/crictl or one on PATH (docs/crictl.md says where to get it)", () => {
    assert.ok(crictl !== undefined, "no crictl: ../shared/bin/crictl or one on PATH; see docs/crictl.md");
  });

  let env: E2eEnv;
  let work = "";
  let configFile = "";
  const vars: Record<string, string> = {};

  const run = async (args: string[], environment: Record<string, string> = { CRI_CONFIG_FILE: configFile }): Promise<CrictlResult> => {
    // Only the variables given: an endpoint variable in the test's own environment would override the config file.
    const r = await execa(crictl as string, args, { cwd: work, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...environment }, extendEnv: false, reject: false, timeout: 60_000 });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };

  before(async () => {
    env = await setupE2e({ logLevel: "info", extraToml: (host) => `[registry.mirrors."docker.io"]\nendpoints = ["http://${host}"]\n` });
    // The image container.json names, `busybox`: the harness's busybox plus top.
    const img = e2eImage();
    img.layers[0]?.entries.push({ path: "bin/top", type: "symlink", target: "busybox" });
    const layout = join(env.dir, "busybox-layout");
    await buildOciLayout(layout, [{ tag: "latest", image: img }]);
    await pushLayout(layout, "latest", `${env.registry.host}/library/busybox:latest`);
    work = join(env.dir, "crictl");
    await mkdir(work, { recursive: true });
    await mkdir(env.logDir, { recursive: true });
    configFile = join(work, "crictl.yaml");
    // crictl refuses a config path that does not exist; the session's `crictl config --set` fills it.
    await writeFile(configFile, "");
    // The guide's pod.json with its log directory moved from /tmp into this test's directory.
    const pod = JSON.parse(session.podJson) as Record<string, unknown>;
    assert.equal(pod["log_directory"], "/tmp");
    await writeFile(join(work, "pod.json"), JSON.stringify({ ...pod, log_directory: env.logDir }));
    await writeFile(join(work, "container.json"), session.containerJson);
  });
  after(async () => {
    await env?.cleanup();
  });

  describe("the crictl session of docs/crictl.md", () => {
    it("covers the steps a person takes, in order", () => {
      const want = ["version", "info", "pull", "images", "runp", "pods", "create", "start", "ps", "inspect", "inspectp", "exec", "logs", "stats", "statsp", "imagefsinfo", "update", "stop", "rm", "stopp", "rmp", "rmi"];
      const got = session.steps.map((s) => subcommand(s.args)).filter((s) => want.includes(s));
      assert.deepEqual([...new Set(got)], want);
      assert.ok(session.steps.every((s) => !s.line.includes(readmeEndpoint) || subcommand(s.args) === "config"), "only crictl config names the endpoint");
      assert.ok(session.steps.some((s) => s.args.includes("-s") && subcommand(s.args) === "exec"), "exec -s (ExecSync)");
    });

    let updated: StepContext["updated"];
    for (const step of session.steps) {
      it(step.line.replace(/\s+#.*$/, ""), async () => {
        const args = shellWords(step.command, vars)
          .slice(1)
          .map((a) => a.replaceAll(readmeEndpoint, `unix://${env.socket}`));
        const check = checks[subcommand(args)];
        assert.ok(check, `the test knows what "crictl ${subcommand(args)}" should print`);
        const r = await run(args);
        assert.equal(r.exitCode, 0, `crictl ${args.join(" ")} exited ${r.exitCode}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
        if (step.capture) vars[step.capture] = r.stdout.trim();
        const ctx: StepContext = { env, vars, configFile, run, ...(updated ? { updated } : {}) };
        await check(r, args, ctx);
        updated = ctx.updated;
      });
    }

    it("leaves no mounts and no netns pins behind", async () => {
      assert.deepEqual(await leakedMounts(env), []);
      assert.deepEqual(await netnsPins(env, []), []);
    });
  });

  it("takes the endpoint from --runtime-endpoint or CONTAINER_RUNTIME_ENDPOINT as well as from its config file", async () => {
    const empty = join(work, "empty-crictl.yaml");
    await writeFile(empty, "");
    const endpoint = `unix://${env.socket}`;
    for (const [args, environment] of [
      [["--runtime-endpoint", endpoint, "--image-endpoint", endpoint, "version"], { CRI_CONFIG_FILE: empty }],
      [["version"], { CRI_CONFIG_FILE: empty, CONTAINER_RUNTIME_ENDPOINT: endpoint, IMAGE_SERVICE_ENDPOINT: endpoint }],
    ] as const) {
      const r = await run([...args], environment);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.match(r.stdout, /^RuntimeName:\s+crikit$/m);
    }
  });

  describe("error paths a person meets", () => {
    const unknown = "0123456789ab";

    it("an unknown container ID: NotFound, and how to list the containers", async () => {
      for (const args of [["inspect", unknown], ["logs", unknown], ["start", unknown], ["stop", unknown], ["rm", unknown], ["exec", "-s", unknown, "true"]]) {
        const f = grpcFailure(await run(args));
        assert.equal(f.code, "NotFound", args.join(" "));
        assert.match(f.desc, new RegExp(`^container "${unknown}" not found: .*crictl ps -a`), args.join(" "));
      }
      for (const args of [["inspectp", unknown], ["rmp", unknown]]) {
        const f = grpcFailure(await run(args));
        assert.equal(f.code, "NotFound", args.join(" "));
        assert.match(f.desc, new RegExp(`^pod sandbox "${unknown}" not found: .*crictl pods`), args.join(" "));
      }
    });

    it("a bad image name: InvalidArgument that says what is wrong; an unknown image: NotFound", async () => {
      const bad = grpcFailure(await run(["pull", "BusyBox"]));
      assert.equal(bad.code, "InvalidArgument");
      assert.equal(bad.desc, 'invalid image reference "BusyBox": repository name "library/BusyBox" must be lowercase');
      // On the local registry: nothing leaves the machine.
      const absent = grpcFailure(await run(["pull", `${env.registry.host}/library/nosuch:1`]));
      assert.equal(absent.code, "NotFound");
      assert.match(absent.desc, new RegExp(`^image "${env.registry.host}/library/nosuch:1" not found: .*; check the repository name and the tag or digest$`));
    });

    it("a name conflict: AlreadyExists naming the holder and how to free the name", async () => {
      const first = await run(["runp", "pod.json"]);
      assert.equal(first.exitCode, 0, first.stderr);
      const podId = first.stdout.trim();
      // The first call finished within its deadline, so the second is not a retry
      // of a late result (which would get the same ID) but a conflict.
      const again = grpcFailure(await run(["runp", "pod.json"]));
      assert.equal(again.code, "AlreadyExists");
      assert.match(again.desc, new RegExp(`^pod sandbox name ".*nginx-sandbox.*" is already reserved for pod sandbox "${podId}": stop and remove that pod first .*crictl stopp, crictl rmp.*metadata\\.attempt`));

      // The image is gone since the session's rmi: CreateContainer says to pull it.
      const noImage = grpcFailure(await run(["create", podId, "container.json", "pod.json"]));
      assert.equal(noImage.code, "NotFound");
      assert.match(noImage.desc, /^image "busybox" not found; pull it first/);
      assert.equal((await run(["pull", "busybox"])).exitCode, 0);

      const created = await run(["create", podId, "container.json", "pod.json"]);
      assert.equal(created.exitCode, 0, created.stderr);
      const ctrId = created.stdout.trim();
      const twice = grpcFailure(await run(["create", podId, "container.json", "pod.json"]));
      assert.equal(twice.code, "AlreadyExists");
      assert.match(twice.desc, new RegExp(`^container name ".*busybox.*" is already reserved for container "${ctrId}": remove that container first .*crictl rm.*metadata\\.attempt`));
      vars["ERR_POD"] = podId;
    });

    it("a container in a pod that is stopped or gone: FailedPrecondition, then NotFound, each saying to run the pod again", async () => {
      const podId = vars["ERR_POD"] ?? assert.fail("the previous test ran a pod");
      assert.equal((await run(["stopp", podId])).exitCode, 0);
      const stopped = grpcFailure(await run(["create", podId, "container.json", "pod.json"]));
      assert.equal(stopped.code, "FailedPrecondition");
      assert.match(stopped.desc, new RegExp(`^pod sandbox "${podId}" is not ready: .*crictl runp`));
      assert.equal((await run(["rmp", podId])).exitCode, 0);
      const gone = grpcFailure(await run(["create", podId, "container.json", "pod.json"]));
      assert.equal(gone.code, "NotFound");
      assert.match(gone.desc, new RegExp(`^pod sandbox "${podId}" not found: .*run a removed pod again`));
      assert.equal((await run(["rmi", "busybox"])).exitCode, 0);
      assert.equal((await run(["pods", "-q"])).stdout.trim(), "");
      assert.equal((await run(["ps", "-a", "-q"])).stdout.trim(), "");
    });
  });

  describe("grpc-js with the socket path and an empty :authority", () => {
    for (const [what, authority] of [
      ["the socket path", "SOCKET"],
      ["an empty authority", ""],
    ] as const) {
      it(`answers Version, Status and the List calls with ${what} as :authority`, async () => {
        const client = createCriClient(env.socket, { channelOptions: { "grpc.default_authority": authority === "SOCKET" ? env.socket : authority } });
        try {
          const v = await client.unary("Version", {}, { timeoutMs: 10_000 });
          assert.equal(v["runtime_name"], "crikit");
          assert.equal(v["runtime_api_version"], "v1");
          const s = await client.unary("Status", {}, { timeoutMs: 10_000 });
          assert.deepEqual((s["status"]["conditions"] as Msg[]).map((c) => [c["type"], c["status"]]), [
            ["RuntimeReady", true],
            ["NetworkReady", true],
          ]);
          for (const [rpc, field] of [
            ["ListPodSandbox", "items"],
            ["ListContainers", "containers"],
            ["ListImages", "images"],
          ] as const) {
            const r = await client.unary(rpc, {}, { timeoutMs: 10_000 });
            assert.ok(Array.isArray(r[field]), `${rpc} answers a list`);
          }
        } finally {
          client.close();
        }
      });
    }
  });
});
