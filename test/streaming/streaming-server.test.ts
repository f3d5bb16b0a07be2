/**
 * The streaming server over HTTP and SPDY with a client of our own, for
 * what crictl cannot show: token answers, the resize channel, older
 * protocol versions, the stream-creation timeout, shutdown, and 1,000
 * sessions leaving nothing behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import type { SpdySession, SpdyStream } from "../../src/streaming/spdy-session.js";
import { hasErrorCode } from "../../src/errors.js";
import { httpStatus, spdyConnect, startHarness } from "./harness.js";
import { createHostRuntime } from "./host-runtime.js";
import { StreamingServer } from "../../src/streaming/index.js";

async function readAll(s: SpdyStream): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

/** Opens the channels as client-go does: error first, then the rest. */
async function openChannels(session: SpdySession, types: string[]): Promise<Record<string, SpdyStream>> {
  const out: Record<string, SpdyStream> = {};
  for (const type of ["error", ...types]) {
    const s = session.openStream({ streamtype: type });
    s.on("error", () => {});
    await s.replied;
    out[type] = s;
  }
  return out;
}

test("the URLs point at /exec, /attach and /portforward with a fresh token each", async (t) => {
  const h = await startHarness(t);
  const a = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  const b = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  assert.match(a, /^http:\/\/127\.0\.0\.1:\d+\/exec\/[A-Za-z0-9_-]{22}$/);
  assert.notEqual(a, b);
  assert.match(h.streaming.getAttach({ containerId: "c", stdout: true }).url, /\/attach\//);
  assert.match(h.streaming.getPortForward({ podSandboxId: "p", port: [80] }).url, /\/portforward\//);
});

test("requests are validated as the CRI requires", async (t) => {
  const h = await startHarness(t);
  const invalid = (e: unknown): boolean => hasErrorCode(e, "InvalidArgument");
  assert.throws(() => h.streaming.getExec({ containerId: "c", cmd: ["true"] }), invalid, "no stream");
  assert.throws(() => h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true, stderr: true, tty: true }), invalid, "tty with stderr");
  assert.throws(() => h.streaming.getExec({ containerId: "c", cmd: [], stdout: true }), invalid, "empty command");
  assert.throws(() => h.streaming.getAttach({ containerId: "c" }), invalid);
  assert.throws(() => h.streaming.getPortForward({ podSandboxId: "p", port: [70000] }), invalid);
});

test("a bad, reused, mismatched or expired token gets 404 or 410 and no stream; no upgrade is 400; no common protocol 403", async (t) => {
  const h = await startHarness(t, { tokenTtlMs: 100 });
  const base = h.streaming.baseUrl;
  assert.equal((await httpStatus(`${base}/exec/nosuchtoken`)).status, 404);
  assert.equal((await httpStatus(`${base}/elsewhere`)).status, 404);
  const spdy = { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "v4.channel.k8s.io" };
  const url = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  assert.equal((await httpStatus(url, {}, "POST")).status, 400, "no upgrade (the token is spent)");
  assert.equal((await httpStatus(url, spdy, "POST")).status, 404, "reused");
  const other = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  assert.equal((await httpStatus(other.replace("/exec/", "/attach/"), spdy, "POST")).status, 404, "a token of another kind");
  const late = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  await delay(150);
  assert.equal((await httpStatus(late, spdy, "POST")).status, 410, "expired");
  const mismatch = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  const r = await httpStatus(mismatch, { ...spdy, "X-Stream-Protocol-Version": "v9.channel.k8s.io" }, "POST");
  assert.equal(r.status, 403);
  assert.match(String(r.headers["x-accepted-stream-protocol-versions"]), /v4\.channel\.k8s\.io/);
  assert.equal(h.rt.execs, 0, "no session ran");
});

test("SPDY v4 with a terminal: stdin, the resize channel and the exit status", async (t) => {
  const h = await startHarness(t);
  const url = h.streaming.getExec({ containerId: "c", cmd: ["sh", "-c", "read line; echo got $line; exit 5"], stdin: true, stdout: true, tty: true }).url;
  const { session, protocol } = await spdyConnect(url, ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"]);
  assert.equal(protocol, "v4.channel.k8s.io");
  const ch = await openChannels(session, ["stdin", "stdout", "resize"]);
  ch["resize"]!.write('{"Width":100,"Height":30}');
  ch["resize"]!.write('{"Width":120,"Height":40}');
  ch["stdin"]!.end("line1\n");
  const [out, status] = await Promise.all([readAll(ch["stdout"]!), readAll(ch["error"]!)]);
  assert.match(out, /got line1/);
  const s = JSON.parse(status);
  assert.equal(s.reason, "NonZeroExitCode");
  assert.deepEqual(s.details.causes, [{ reason: "ExitCode", message: "5" }]);
  assert.deepEqual(h.rt.resizes, [
    { width: 100, height: 30 },
    { width: 120, height: 40 },
  ]);
  await session.done;
});

test("SPDY v2 and v1: plain-text status, and nothing on success", async (t) => {
  const h = await startHarness(t);
  for (const [protocol, cmd, want] of [
    ["v2.channel.k8s.io", "exit 2", /non-zero exit code: exit status 2/],
    ["channel.k8s.io", "true", /^$/],
  ] as const) {
    const url = h.streaming.getExec({ containerId: "c", cmd: ["sh", "-c", cmd], stdout: true, stderr: true }).url;
    const c = await spdyConnect(url, [protocol]);
    assert.equal(c.protocol, protocol);
    const ch = await openChannels(c.session, ["stdout", "stderr"]);
    const [, , status] = await Promise.all([readAll(ch["stdout"]!), readAll(ch["stderr"]!), readAll(ch["error"]!)]);
    assert.match(status, want);
    await c.session.done;
  }
});

test("a client that does not open its streams in time is disconnected; the runtime is never called", async (t) => {
  const h = await startHarness(t, { streamCreationTimeoutMs: 200 });
  const url = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdin: true, stdout: true }).url;
  const { session } = await spdyConnect(url, ["v4.channel.k8s.io"]);
  await openChannels(session, ["stdout"]);
  const started = Date.now();
  await session.done;
  assert.ok(Date.now() - started < 2000);
  assert.equal(h.rt.execs, 0);
  assert.equal(h.streaming.sessionCount, 0);
});

test("an exec session ends, its process killed, when the client goes away; closing the server aborts the rest", async (t) => {
  const h = await startHarness(t);
  const url = h.streaming.getExec({ containerId: "c", cmd: ["sleep", "60"], stdout: true }).url;
  const c = await spdyConnect(url, ["v4.channel.k8s.io"]);
  await openChannels(c.session, ["stdout"]);
  for (let i = 0; i < 100 && h.rt.pids.size === 0; i++) await delay(10);
  assert.equal(h.rt.pids.size, 1);
  c.socket.destroy();
  for (let i = 0; i < 200 && h.rt.live > 0; i++) await delay(10);
  assert.equal(h.rt.live, 0);
  assert.equal(h.rt.pids.size, 0);
  const url2 = h.streaming.getExec({ containerId: "c", cmd: ["sleep", "60"], stdout: true }).url;
  const c2 = await spdyConnect(url2, ["v4.channel.k8s.io"]);
  await openChannels(c2.session, ["stdout"]);
  for (let i = 0; i < 100 && h.rt.live === 0; i++) await delay(10);
  await h.streaming.close();
  assert.equal(h.rt.live, 0);
  await c2.session.done;
  assert.throws(() => h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }), (e: unknown) => hasErrorCode(e, "Unavailable"));
});

test("more pending tokens than the bound is ResourceExhausted", async (t) => {
  const h = await startHarness(t, { maxPendingTokens: 3 });
  for (let i = 0; i < 3; i++) h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true });
  assert.throws(() => h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }), (e: unknown) => hasErrorCode(e, "ResourceExhausted"));
});

test("1,000 short exec sessions leave no process, descriptor, connection, session or timer behind", async (t) => {
  const h = await startHarness(t);
  const fds = (): number => readdirSync("/proc/self/fd").length;
  const handles = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap");
  // Warm up once so lazily created handles (the zlib pool, DNS) exist before counting.
  const once = async (): Promise<void> => {
    const url = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
    const c = await spdyConnect(url, ["v4.channel.k8s.io"]);
    const ch = await openChannels(c.session, ["stdout"]);
    const [, status] = await Promise.all([readAll(ch["stdout"]!), readAll(ch["error"]!)]);
    assert.equal(JSON.parse(status).status, "Success");
    await c.session.done;
  };
  await once();
  await delay(100);
  const fdsBefore = fds();
  const handlesBefore = handles().length;
  for (let i = 0; i < 1000; i++) await once();
  for (let i = 0; i < 100 && (h.streaming.connectionCount > 0 || h.streaming.sessionCount > 0); i++) await delay(20);
  await delay(100);
  assert.equal(h.rt.execs, 1001);
  assert.equal(h.rt.live, 0);
  assert.equal(h.rt.pids.size, 0);
  assert.equal(h.streaming.sessionCount, 0);
  assert.equal(h.streaming.connectionCount, 0);
  assert.equal(h.streaming.pendingTokens, 0);
  assert.ok(fds() <= fdsBefore, `descriptors: ${fdsBefore} before, ${fds()} after`);
  assert.ok(handles().length <= handlesBefore, `handles: ${handlesBefore} before, ${handles().join(",")} after`);
});

test("a client that vanishes mid-stream ends its own session and nothing else", async (t) => {
  const h = await startHarness(t);
  const open = async (): Promise<{ c: Awaited<ReturnType<typeof spdyConnect>>; ch: Record<string, SpdyStream> }> => {
    const url = h.streaming.getExec({ containerId: "c", cmd: ["cat"], stdin: true, stdout: true }).url;
    const c = await spdyConnect(url, ["v4.channel.k8s.io"]);
    return { c, ch: await openChannels(c.session, ["stdin", "stdout"]) };
  };
  const a = await open();
  const b = await open();
  for (let i = 0; i < 100 && h.rt.live < 2; i++) await delay(10);
  assert.equal(h.rt.live, 2);
  a.c.socket.destroy();
  for (let i = 0; i < 100 && h.rt.live > 1; i++) await delay(10);
  assert.equal(h.rt.live, 1);
  b.ch["stdin"]!.write("still here\n");
  const got = await new Promise<string>((r) => b.ch["stdout"]!.once("data", (d: Buffer) => r(d.toString())));
  assert.equal(got, "still here\n");
  b.ch["stdin"]!.end();
  const status = await readAll(b.ch["error"]!);
  assert.equal(JSON.parse(status).status, "Success");
  await b.c.session.done;
});

test("a connection idle past the idle timeout is closed and its session aborted", async (t) => {
  const h = await startHarness(t, { idleTimeoutMs: 200 });
  const url = h.streaming.getExec({ containerId: "c", cmd: ["sleep", "30"], stdout: true }).url;
  const c = await spdyConnect(url, ["v4.channel.k8s.io"]);
  await openChannels(c.session, ["stdout"]);
  const started = Date.now();
  await c.session.done;
  assert.ok(Date.now() - started < 3000);
  for (let i = 0; i < 100 && h.rt.live > 0; i++) await delay(10);
  assert.equal(h.rt.live, 0);
  assert.equal(h.rt.pids.size, 0);
});

test("SPDY port-forward: concurrent connections pair by requestid; a refused port is reported on the error stream", async (t) => {
  const h = await startHarness(t);
  const { createServer } = await import("node:net");
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  t.after(() => echo.close());
  const port = String((echo.address() as import("node:net").AddressInfo).port);
  const url = h.streaming.getPortForward({ podSandboxId: "pod" }).url;
  const { session, protocol } = await spdyConnect(url, ["portforward.k8s.io"]);
  assert.equal(protocol, "portforward.k8s.io");
  const pair = async (id: string, p: string): Promise<{ error: SpdyStream; data: SpdyStream }> => {
    const error = session.openStream({ streamtype: "error", port: p, requestid: id });
    error.on("error", () => {});
    await error.replied;
    error.end();
    const data = session.openStream({ streamtype: "data", port: p, requestid: id });
    data.on("error", () => {});
    await data.replied;
    return { error, data };
  };
  const conns = await Promise.all(["0", "1", "2"].map((id) => pair(id, port)));
  const answers = await Promise.all(
    conns.map(async ({ data }, i) => {
      data.end(`conn ${i}`);
      return readAll(data);
    }),
  );
  assert.deepEqual(answers, ["conn 0", "conn 1", "conn 2"]);
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const closedPort = String((probe.address() as import("node:net").AddressInfo).port);
  await new Promise((r) => probe.close(r));
  const bad = await pair("3", closedPort);
  assert.match(await readAll(bad.error), new RegExp(`error forwarding port ${closedPort} to pod pod: .*ECONNREFUSED`));
  session.destroy();
  for (let i = 0; i < 100 && h.streaming.sessionCount > 0; i++) await delay(10);
  assert.equal(h.streaming.sessionCount, 0);
  assert.equal(h.rt.live, 0);
});

test("close() cuts the connections of a runtime that ignores the abort after closeTimeoutMs", async (t) => {
  const h = await startHarness(t, { closeTimeoutMs: 200 });
  const stuck = new Promise<number>(() => {});
  h.rt.exec = () => stuck;
  const url = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  const c = await spdyConnect(url, ["v4.channel.k8s.io"]);
  await openChannels(c.session, ["stdout"]);
  await delay(50);
  const started = Date.now();
  await h.streaming.close();
  assert.ok(Date.now() - started < 2000);
  await c.session.done;
});

test("a PortForward URL lets the runtime prepare the pod (preparePortForward), and a failing preparation leaves the URL usable", async (t) => {
  const prepared: string[] = [];
  const rt = createHostRuntime();
  const streaming = new StreamingServer({
    runtime: Object.assign(Object.create(rt) as typeof rt, {
      preparePortForward: async (pod: string): Promise<void> => {
        prepared.push(pod);
        if (pod === "bad") throw new Error("no such namespace");
      },
    }),
  });
  await streaming.listen();
  t.after(() => streaming.close());
  const url = streaming.getPortForward({ podSandboxId: "pod-a", port: [80] }).url;
  assert.match(url, /\/portforward\//);
  const bad = streaming.getPortForward({ podSandboxId: "bad", port: [80] }).url;
  assert.match(bad, /\/portforward\//);
  for (let i = 0; i < 50 && prepared.length < 2; i++) await delay(10);
  assert.deepEqual(prepared, ["pod-a", "bad"]);
  assert.equal((await httpStatus(bad, { Connection: "Upgrade", Upgrade: "SPDY/3.1", "X-Stream-Protocol-Version": "portforward.k8s.io" }, "POST")).status, 101, "the token still opens a session");
});
