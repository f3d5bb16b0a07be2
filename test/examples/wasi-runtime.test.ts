import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { joinCriLogLines, parseCriLog } from "../../src/oci/index.js";
import { WasiRuntime } from "../../examples/wasi-runtime/wasi-runtime.js";
import { capMemory, wasm } from "../../examples/wasi-runtime/wasm-module.js";
import { clangWasi, wat2wasm, watPrintExit } from "../helpers/wasm.js";

const helloC = `
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  printf("args:");
  for (int i = 0; i < argc; i++) printf(" %s", argv[i]);
  printf("\\nGREETING=%s\\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
  fprintf(stderr, "a line on stderr\\n");
  char buf[128] = "";
  FILE *f = fopen("data.txt", "r");
  printf("cwd file: %s", f && fgets(buf, sizeof buf, f) ? buf : "(none)\\n");
  f = fopen("/config/setting", "r");
  printf("mounted: %s", f && fgets(buf, sizeof buf, f) ? buf : "(none)\\n");
  f = fopen("/config/new", "w");
  printf("write to read-only mount: %s\\n", f ? "allowed" : strerror(errno));
  f = fopen("/scratch/out.txt", "w");
  if (f) { fputs("written by the module\\n", f); fclose(f); }
  printf("no newline at the end");
  return argc > 1 ? atoi(argv[1]) : 0;
}`;

const spinWat = `(module (memory (export "memory") 1) (func (export "_start") (loop $l (br $l))))`;
const trapWat = `(module (memory (export "memory") 1) (func (export "_start") unreachable))`;
// Grows its memory one page at a time; unreachable when a grow fails.
const growWat = `(module (memory (export "memory") 1)
  (func (export "_start") (loop $l (br_if $l (i32.ne (memory.grow (i32.const 1)) (i32.const -1)))) unreachable))`;
const needsImportWat = `(module (import "env" "missing" (func)) (memory (export "memory") 1) (func (export "_start")))`;

/** Files this process holds under `dir` (a module's, left open, would keep its rootfs busy). */
function openFilesUnder(dir: string): string[] {
  return readdirSync("/proc/self/fd").flatMap((fd) => {
    try {
      const t = readlinkSync(`/proc/self/fd/${fd}`);
      return t === dir || t.startsWith(`${dir}/`) ? [t] : [];
    } catch {
      return [];
    }
  });
}

interface Bundle {
  bundle: string;
  logPath: string;
}

describe("examples/wasi-runtime: WASI modules in worker threads", () => {
  let tmp: string;
  let rt: WasiRuntime;
  let n = 0;

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), "crikit-wasi-"));
    rt = new WasiRuntime({ stateDir: join(tmp, "state") });
  });
  after(async () => {
    await rt.close();
    await rm(tmp, { recursive: true, force: true });
  });

  async function bundleOf(module: Uint8Array, spec: { args?: string[]; env?: string[]; cwd?: string; mounts?: object[]; memoryLimit?: number } = {}): Promise<Bundle> {
    const bundle = join(tmp, `b${++n}`);
    await mkdir(join(bundle, "rootfs", "app"), { recursive: true });
    await writeFile(join(bundle, "rootfs", "app", "main.wasm"), module);
    const config = {
      ociVersion: "1.2.1",
      root: { path: "rootfs" },
      process: { args: spec.args ?? ["/app/main.wasm"], env: spec.env ?? ["PATH=/usr/bin:/app"], cwd: spec.cwd ?? "/" },
      mounts: spec.mounts ?? [],
      linux: spec.memoryLimit !== undefined ? { resources: { memory: { limit: spec.memoryLimit } } } : {},
    };
    await writeFile(join(bundle, "config.json"), JSON.stringify(config));
    return { bundle, logPath: join(bundle, "container.log") };
  }

  async function runToExit(id: string, b: Bundle): Promise<Awaited<ReturnType<WasiRuntime["status"]>>> {
    await rt.create({ id, ...b });
    await rt.start(id);
    for (;;) {
      const st = await rt.status(id);
      if (st.state === "exited") return st;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async function logLines(b: Bundle): Promise<{ stream: string; line: string }[]> {
    return joinCriLogLines(parseCriLog(await readFile(b.logPath, "utf8"))).map(({ stream, line }) => ({ stream, line }));
  }

  it("runs a C program with its args, env, cwd and mounts; output in the CRI log; its exit code", async () => {
    const config = join(tmp, "config");
    const scratch = join(tmp, "scratch");
    await mkdir(config);
    await mkdir(scratch);
    await writeFile(join(config, "setting"), "from a read-only mount\n");
    const b = await bundleOf(clangWasi(helloC), {
      args: ["main.wasm", "7"],
      env: ["PATH=/usr/bin:/app", "GREETING=hello"],
      cwd: "/app",
      mounts: [
        { destination: "/config", type: "bind", source: config, options: ["rbind", "ro"] },
        { destination: "/scratch", type: "bind", source: scratch, options: ["rbind", "rw"] },
        { destination: "/proc", type: "proc", source: "proc" },
      ],
    });
    await writeFile(join(b.bundle, "rootfs", "app", "data.txt"), "in the working directory\n");
    const st = await runToExit("hello", b);
    assert.equal(st.exitCode, 7);
    assert.equal(st.reason, "Error");
    assert.ok(st.startedAt && st.finishedAt && st.finishedAt >= st.startedAt);
    const lines = await logLines(b); // stdout is buffered (not a terminal): the streams interleave as libc flushes
    assert.deepEqual(lines.filter((l) => l.stream === "stderr").map((l) => l.line), ["a line on stderr"]);
    assert.deepEqual(lines.filter((l) => l.stream === "stdout").map((l) => l.line), [
      "args: main.wasm 7",
      "GREETING=hello",
      "cwd file: in the working directory",
      "mounted: from a read-only mount",
      "write to read-only mount: Read-only file system",
      "no newline at the end",
    ]);
    assert.match(await readFile(b.logPath, "utf8"), / stdout P no newline at the end\n$/);
    assert.equal(await readFile(join(scratch, "out.txt"), "utf8"), "written by the module\n");
    await assert.rejects(stat(join(config, "new")), { code: "ENOENT" });
    assert.deepEqual([...openFilesUnder(b.bundle), ...openFilesUnder(config), ...openFilesUnder(scratch)], []);
  });

  it("reports exit 0 as Completed", async () => {
    const st = await runToExit("zero", await bundleOf(wat2wasm(watPrintExit("done\n", 0))));
    assert.deepEqual([st.exitCode, st.reason], [0, "Completed"]);
  });

  it("reports a trap as exit 134 with the trap in the message", async () => {
    const st = await runToExit("trap", await bundleOf(wat2wasm(trapWat)));
    assert.deepEqual([st.exitCode, st.reason], [134, "Error"]);
    assert.match(st.message ?? "", /unreachable/);
  });

  it("caps the module's memory at the limit: a trap at the cap is OOMKilled", async () => {
    const st = await runToExit("grow", await bundleOf(wat2wasm(growWat), { memoryLimit: 4 * 65536 }));
    assert.deepEqual([st.exitCode, st.reason], [137, "OOMKilled"]);
  });

  it("refuses at create a module that starts above the memory limit", async () => {
    const big = wat2wasm(`(module (memory (export "memory") 8) (func (export "_start")))`);
    await assert.rejects(rt.create({ id: "big", ...(await bundleOf(big, { memoryLimit: 65536 })) }), { code: "InvalidArgument", message: /above the memory limit/ });
  });

  it("fails start, not create, for a module whose imports are missing", async () => {
    const b = await bundleOf(wat2wasm(needsImportWat));
    await rt.create({ id: "noimport", ...b });
    await assert.rejects(rt.start("noimport"), { code: "FailedPrecondition", message: /cannot start.*instantiate/ });
  });

  it("refuses an entrypoint that is not a WebAssembly module", async () => {
    const b = await bundleOf(Buffer.from("#!/bin/sh\necho hi\n"));
    await assert.rejects(rt.create({ id: "notwasm", ...b }), { code: "InvalidArgument", message: /not a WebAssembly module/ });
  });

  it("stops a module that ignores the grace period by terminating its worker (137)", async () => {
    const b = await bundleOf(wat2wasm(spinWat));
    await rt.create({ id: "spin", ...b });
    await rt.start("spin");
    assert.equal((await rt.status("spin")).state, "running");
    const t0 = performance.now();
    const st = await rt.stop("spin", { timeoutMs: 300, stopSignal: "SIGTERM" });
    const took = performance.now() - t0;
    assert.ok(took >= 290, `waited the grace period (${took} ms)`);
    assert.deepEqual([st.state, st.exitCode, st.reason], ["exited", 137, "Error"]);
    assert.deepEqual(openFilesUnder(b.bundle), [], "the terminated module's files are closed");
    await rt.remove("spin");
    await assert.rejects(rt.status("spin"), { code: "NotFound" });
  });

  it("recovers after a restart: a module running then is exited Unknown, an exited one keeps its code", async () => {
    const spin = await bundleOf(wat2wasm(spinWat));
    const done = await bundleOf(wat2wasm(watPrintExit("x\n", 3)));
    const before = new WasiRuntime({ stateDir: join(tmp, "state2"), warmWorker: false });
    await before.create({ id: "was-running", ...spin });
    await before.start("was-running");
    await before.create({ id: "was-done", ...done });
    await before.start("was-done");
    while ((await before.status("was-done")).state !== "exited") await new Promise((r) => setTimeout(r, 10));
    await before.close(); // what a daemon restart does to its workers, minus the exit records
    const meta = join(tmp, "state2", "was-running.json");
    const m = JSON.parse(await readFile(meta, "utf8")) as Record<string, unknown>;
    delete m["exit"];
    await writeFile(meta, JSON.stringify(m));
    const after = new WasiRuntime({ stateDir: join(tmp, "state2") });
    const rec = await after.recover();
    const by = Object.fromEntries(rec.containers.map((c) => [c.id, [c.state, c.exitCode, c.reason]]));
    assert.deepEqual(by, { "was-done": ["exited", 3, "Error"], "was-running": ["exited", 255, "Unknown"] });
    await after.close();
  });

  it("sets a module's memory maximum in the binary", async () => {
    const capped = capMemory(wat2wasm(`(module (memory (export "memory") 1) (func (export "_start")))`), 3 * 65536);
    const inst = await wasm.instantiate(await wasm.compile(capped), {});
    const mem = inst.exports["memory"] as { grow(n: number): number; buffer: ArrayBuffer };
    assert.equal(mem.grow(2), 1);
    assert.throws(() => mem.grow(1), RangeError);
  });
});
