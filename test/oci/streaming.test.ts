/**
 * Exec and attach sessions (OciRuntime.exec, OciRuntime.attach) against real
 * containers: runc and crun through conmon, busybox-static rootfs. Leak
 * checks count this process's descriptors, child processes and timers
 * before and after many sessions, and look for the sessions' processes.
 */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { PassThrough, Writable } from "node:stream";
import { OciRuntime } from "../../src/oci/index.js";
import { hasErrorCode } from "../../src/errors.js";
import type { StreamingIO, TerminalSize } from "../../src/streaming/runtime.js";
import { makeBundle, testRuntimes, removeTestCgroup, processesMatching, waitFor } from "../helpers/bundle.js";
import type { BundleInput, TestBundle } from "../helpers/bundle.js";

const runtimes = await testRuntimes();
const cgroupParent = "/crikit-test-stream";

/** A writable that keeps what it is given. */
class Collector extends Writable {
  chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
  until(re: RegExp, ms = 10_000): Promise<boolean> {
    return waitFor(async () => re.test(this.text), ms, 10);
  }
}

/** An async iterable of sizes the test pushes. */
function sizes(): { iter: AsyncIterable<TerminalSize>; push(s: TerminalSize): void; end(): void } {
  const queue: TerminalSize[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(s) {
      queue.push(s);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    iter: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const s = queue.shift();
          if (s) {
            yield s;
            continue;
          }
          if (ended) return;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      },
    },
  };
}

/** Child processes of this one, less those it had when the suite started (tsx's esbuild service). */
let baseChildren = new Set<number>();
async function childPids(): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(rest[1]) === process.pid && !baseChildren.has(Number(name))) out.push(Number(name));
  }
  return out;
}

async function openFds(): Promise<number> {
  return (await readdir("/proc/self/fd")).length;
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

for (const runtime of runtimes) {
  describe(`streaming exec and attach with ${runtime.name}`, () => {
    let tmp = "";
    let rt: OciRuntime;
    let used: { id: string; bundle: TestBundle }[] = [];

    before(async () => {
      tmp = await mkdtemp(join(tmpdir(), `crikit-stream-${runtime.name}-`));
      baseChildren = new Set();
      baseChildren = new Set(await childPids());
      rt = new OciRuntime({ stateDir: join(tmp, "state"), runtime: runtime.binary, runtimeRoot: join(tmp, "root") });
    });

    after(async () => {
      await rt.close();
      await rm(tmp, { recursive: true, force: true });
    });

    afterEach(async () => {
      const list = used;
      used = [];
      for (const u of list) {
        await rt.remove(u.id).catch(() => undefined);
        await removeTestCgroup(`${cgroupParent}/${u.id}`);
        assert.deepEqual(await processesMatching(u.id), [], `processes left for ${u.id}`);
        await u.bundle.cleanup();
      }
    });

    async function container(what: string, input: Omit<BundleInput, "cgroupsPath">, opts: { terminal?: boolean; stdin?: boolean; stdinOnce?: boolean } = {}): Promise<string> {
      const id = `crikit-st-${runtime.name}-${what}-${randomBytes(3).toString("hex")}`;
      const bundle = await makeBundle({ ...input, cgroupsPath: `${cgroupParent}/${id}` });
      used.push({ id, bundle });
      if (opts.terminal === true) {
        const cfg = JSON.parse(await readFile(join(bundle.dir, "config.json"), "utf8")) as { process: { terminal: boolean; env: string[] } };
        cfg.process.terminal = true;
        cfg.process.env.push("TERM=xterm");
        await writeFile(join(bundle.dir, "config.json"), JSON.stringify(cfg));
      }
      await rt.create({
        id,
        bundle: bundle.dir,
        logPath: join(tmp, `${id}.log`),
        terminal: opts.terminal === true,
        stdin: opts.stdin === true,
        leaveStdinOpen: opts.stdin === true && opts.stdinOnce !== true,
      });
      await rt.start(id);
      return id;
    }

    const signal = (): AbortSignal => AbortSignal.timeout(30_000);

    it("execs with stdin piped in and stdout and stderr apart", async () => {
      const id = await container("pipes", { args: ["sleep", "1000"] });
      const stdin = new PassThrough();
      const stdout = new Collector();
      const stderr = new Collector();
      stdin.end("hello from stdin\n");
      const code = await rt.exec(id, ["sh", "-c", "cat; echo to-stderr >&2"], { stdin, stdout, stderr, tty: false }, { signal: signal() });
      assert.equal(code, 0);
      assert.equal(stdout.text, "hello from stdin\n");
      assert.equal(stderr.text, "to-stderr\n");
    });

    it("returns the command's exit code, and 128+N for a signal", async () => {
      const id = await container("exit", { args: ["sleep", "1000"] });
      assert.equal(await rt.exec(id, ["sh", "-c", "exit 3"], { tty: false }, { signal: signal() }), 3);
      assert.equal(await rt.exec(id, ["sh", "-c", "kill -9 $$"], { tty: false }, { signal: signal() }), 137);
    });

    it("rejects a command that cannot start with the runtime's error", async () => {
      const id = await container("nocmd", { args: ["sleep", "1000"] });
      await assert.rejects(rt.exec(id, ["/no/such/binary"], { tty: false, stdout: new Collector() }, { signal: signal() }), (e: unknown) => {
        assert.match(String(e), /no such file|not found|executable/i);
        return true;
      });
    });

    it("gives a tty exec a terminal that follows resizes", async () => {
      const id = await container("tty", { args: ["sleep", "1000"] });
      const stdin = new PassThrough();
      const stdout = new Collector();
      const rs = sizes();
      rs.push({ width: 100, height: 30 });
      const p = rt.exec(id, ["sh", "-c", "[ -t 0 ] && echo IS-A-TTY; read x; stty size; read y; stty size; echo got-$y"], { stdin, stdout, tty: true, resize: rs.iter }, { signal: signal() });
      assert.ok(await stdout.until(/IS-A-TTY/), `no terminal: ${JSON.stringify(stdout.text)}`);
      stdin.write("\r");
      assert.ok(await stdout.until(/30 100/), `first size: ${JSON.stringify(stdout.text)}`);
      rs.push({ width: 132, height: 43 });
      await new Promise((r) => setTimeout(r, 100));
      stdin.write("abc\r");
      assert.equal(await p, 0);
      rs.end();
      assert.match(stdout.text, /43 132/);
      assert.match(stdout.text, /got-abc/);
      // Typed once, echoed once (by the container's terminal).
      assert.equal(stdout.text.split("abc").length - 1, 2, `echo and output: ${JSON.stringify(stdout.text)}`);
    });

    it("sends the end of a tty session's stdin as end of file", async () => {
      const id = await container("ttyeof", { args: ["sleep", "1000"] });
      const stdin = new PassThrough();
      const stdout = new Collector();
      stdin.end("line one\r");
      assert.equal(await rt.exec(id, ["sh", "-c", "cat; echo after-eof"], { stdin, stdout, tty: true }, { signal: signal() }), 0);
      assert.match(stdout.text, /line one/);
      assert.match(stdout.text, /after-eof/);
    });

    it("ends the session and its processes when the signal aborts", async () => {
      const id = await container("abort", { args: ["sleep", "1000"] });
      for (const tty of [false, true]) {
        const ac = new AbortController();
        const stdout = new Collector();
        const marker = tty ? "1234" : "1233";
        const p = rt.exec(id, ["sh", "-c", `sleep ${marker} & sleep ${marker}; echo never`], { stdout, tty }, { signal: ac.signal });
        assert.ok(await waitFor(async () => (await processesMatching(`sleep ${marker}`)).length >= 2, 5000), "the command runs");
        ac.abort();
        await assert.rejects(p, (e: unknown) => hasErrorCode(e, "Canceled"));
        assert.deepEqual(await processesMatching(`sleep ${marker}`), [], "the command and its child are gone");
        assert.deepEqual(await childPids(), [], "no child process of ours is left");
        assert.doesNotMatch(stdout.text, /never/);
      }
      // Aborted while the runtime is still starting the command.
      for (const tty of [false, true]) {
        const ac = new AbortController();
        const marker = tty ? "1236" : "1235";
        const p = rt.exec(id, ["sh", "-c", `sleep ${marker} & sleep ${marker}`], { tty }, { signal: ac.signal });
        setTimeout(() => ac.abort(), 5);
        await assert.rejects(p, (e: unknown) => hasErrorCode(e, "Canceled"));
        assert.deepEqual(await processesMatching(`sleep ${marker}`), [], "nothing of the command is left");
        assert.deepEqual(await childPids(), [], "no child process of ours is left");
      }
    });

    it("leaves no process, descriptor or timer behind after 100+ short sessions", async () => {
      const id = await container("many", { args: ["sleep", "1000"] });
      // Warm up lazy loads (node-pty's binding, the process cache).
      await rt.exec(id, ["true"], { tty: false }, { signal: signal() });
      await rt.exec(id, ["true"], { tty: true, stdout: new Collector() }, { signal: signal() });
      const fds0 = await openFds();
      const timers0 = timers();
      const t0 = performance.now();
      for (let i = 0; i < 100; i++) {
        const stdout = new Collector();
        const stdin = new PassThrough();
        stdin.end(`${i}\n`);
        assert.equal(await rt.exec(id, ["cat"], { stdin, stdout, tty: false }, { signal: signal() }), 0);
        assert.equal(stdout.text, `${i}\n`);
      }
      const pipesMs = (performance.now() - t0) / 100;
      const t1 = performance.now();
      for (let i = 0; i < 20; i++) {
        const stdout = new Collector();
        assert.equal(await rt.exec(id, ["sh", "-c", "exit 0"], { stdout, tty: true }, { signal: signal() }), 0);
      }
      const ttyMs = (performance.now() - t1) / 20;
      console.log(`# ${runtime.name}: exec with pipes ${pipesMs.toFixed(1)} ms/session, with a terminal ${ttyMs.toFixed(1)} ms/session`);
      assert.ok(await waitFor(async () => (await childPids()).length === 0, 3000), `child processes left: ${String(await childPids())}`);
      assert.ok(await waitFor(async () => (await openFds()) <= fds0, 3000), `descriptors: ${fds0} before, ${await openFds()} after`);
      assert.ok(await waitFor(async () => timers() <= timers0, 3000), `timers: ${timers0} before, ${timers()} after`);
      const left = (await readdir(rt.containerDir(id))).filter((f) => f.startsWith("exec-"));
      assert.deepEqual(left, [], "no process spec or pid file left");
    });

    it("attaches to a running container's output and detaches on abort", async () => {
      const id = await container("out", { args: ["sh", "-c", "i=0; while true; do echo tick $i; echo tock $i >&2; i=$((i+1)); sleep 0.1; done"] });
      const ac = new AbortController();
      const stdout = new Collector();
      const stderr = new Collector();
      const p = rt.attach(id, { stdout, stderr, tty: false }, { signal: ac.signal });
      assert.ok(await stdout.until(/tick \d+\n/), "stdout arrives");
      assert.ok(await stderr.until(/tock \d+\n/), "stderr arrives apart");
      assert.doesNotMatch(stdout.text, /tock/);
      ac.abort();
      await p;
      assert.equal((await rt.status(id)).state, "running", "detaching leaves the container running");
      // Attach and detach again and again: nothing stays open.
      const fds0 = await openFds();
      const timers0 = timers();
      for (let i = 0; i < 30; i++) {
        const again = new AbortController();
        const out = new Collector();
        const session = rt.attach(id, { stdout: out, tty: false }, { signal: again.signal });
        assert.ok(await out.until(/tick/), "output arrives");
        again.abort();
        await session;
      }
      assert.ok(await waitFor(async () => (await openFds()) <= fds0, 3000), `descriptors: ${fds0} before, ${await openFds()} after`);
      assert.ok(await waitFor(async () => timers() <= timers0, 3000), `timers: ${timers0} before, ${timers()} after`);
    });

    it("writes stdin to a cat container with two clients attached at once", async () => {
      const id = await container("cat", { args: ["cat"] }, { stdin: true, stdinOnce: true });
      const a = { stdin: new PassThrough(), stdout: new Collector(), stderr: new Collector() };
      const b = { stdout: new Collector() };
      const pa = rt.attach(id, { ...a, tty: false }, { signal: signal() });
      const pb = rt.attach(id, { ...b, tty: false }, { signal: signal() });
      // Output written before a client is connected is not replayed: ping until both see it.
      for (let i = 0; i < 100 && !(/ping/.test(a.stdout.text) && /ping/.test(b.stdout.text)); i++) {
        a.stdin.write("ping\n");
        await new Promise((r) => setTimeout(r, 100));
      }
      a.stdin.write("hello cat\n");
      assert.ok(await a.stdout.until(/hello cat\n/), "the writer sees the echo");
      assert.ok(await b.stdout.until(/hello cat\n/), "the second client sees it too");
      // More than one conmon packet of input.
      const big = "x".repeat(20_000) + "\n";
      a.stdin.write(big);
      assert.ok(await b.stdout.until(/x{20000}\n/), "large input arrives whole");
      // stdin_once: the end of the first session's stdin closes the container's stdin: cat exits.
      a.stdin.end();
      await Promise.all([pa, pb]);
      assert.ok(await waitFor(async () => (await rt.status(id)).state === "exited", 5000), "cat exited on EOF");
    });

    it("attaches to a terminal container and resizes it through conmon", async () => {
      const id = await container("ttyattach", { args: ["sh", "-c", "while true; do read x; stty size; done"] }, { terminal: true, stdin: true });
      const ac = new AbortController();
      const stdin = new PassThrough();
      const stdout = new Collector();
      const rs = sizes();
      const p = rt.attach(id, { stdin, stdout, tty: true, resize: rs.iter }, { signal: ac.signal });
      await new Promise((r) => setTimeout(r, 200));
      rs.push({ width: 111, height: 33 });
      await new Promise((r) => setTimeout(r, 200));
      stdin.write("\r");
      assert.ok(await stdout.until(/33 111/), `size after resize: ${JSON.stringify(stdout.text)}`);
      ac.abort();
      rs.end();
      await p;
    });

    it("refuses exec and attach on a container that has exited", async () => {
      const id = await container("gone", { args: ["true"] });
      assert.ok(await waitFor(async () => (await rt.status(id)).state === "exited", 5000));
      await assert.rejects(rt.exec(id, ["true"], { tty: false }, { signal: signal() }), (e: unknown) => hasErrorCode(e, "FailedPrecondition"));
      await assert.rejects(rt.attach(id, { tty: false, stdout: new Collector() }, { signal: signal() }), (e: unknown) => hasErrorCode(e, "FailedPrecondition"));
    });
  });
}

// StreamingIO is the contract's type; this file only uses it through OciRuntime.
export type { StreamingIO };
