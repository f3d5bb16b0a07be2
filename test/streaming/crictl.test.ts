/**
 * The streaming server driven by the real crictl (v1.26.1, SPDY/3.1),
 * through a CriServer whose Exec, Attach and PortForward return its URLs,
 * over a runtime of host processes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { CRICTL, crictlInPty, startHarness } from "./harness.js";

test("crictl exec -i: stdin piped in reaches the process and its output comes back", async (t) => {
  const h = await startHarness(t);
  const r = await h.crictl(["exec", "-i", "ctr", "sh", "-c", "tr a-z A-Z; echo done"], { input: "hello streaming\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "HELLO STREAMING\ndone\n");
  assert.equal(h.rt.live, 0);
});

test("crictl exec: stdout and stderr stay apart, and a non-zero exit code reaches crictl", async (t) => {
  const h = await startHarness(t);
  const ok = await h.crictl(["exec", "ctr", "sh", "-c", "echo out; echo err >&2"]);
  assert.equal(ok.code, 0);
  assert.equal(ok.stdout, "out\n");
  assert.match(ok.stderr, /^err$/m);
  const bad = await h.crictl(["exec", "ctr", "sh", "-c", "exit 3"]);
  // crictl 1.26 reports the code in its message and exits 1.
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /command terminated with exit code 3/);
});

test("crictl exec -it under a pseudo-terminal: the process sees a tty", async (t) => {
  const h = await startHarness(t);
  const r = await crictlInPty(h.socket, ["exec", "-it", "ctr", "sh", "-c", "tty; test -t 0 && echo stdin-is-a-tty"]);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /\/dev\/pts\/\d+/);
  assert.match(r.out, /stdin-is-a-tty/);
});

test("crictl port-forward reaches a loopback HTTP server, connection after connection, 8 MiB included", async (t) => {
  const h = await startHarness(t);
  const web = createServer((req, res) => res.end(req.url === "/big" ? Buffer.alloc(8 * 1024 * 1024, 0x61) : `hello from ${req.url}`));
  await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
  t.after(() => web.close());
  const port = (web.address() as AddressInfo).port;
  const local = 20000 + Math.floor(Math.random() * 20000);
  const pf = spawn(CRICTL, ["--runtime-endpoint", `unix://${h.socket}`, "port-forward", "pod", `${local}:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => {
    if (pf.exitCode === null) pf.kill("SIGKILL");
  });
  let out = "";
  pf.stdout.on("data", (c: Buffer) => (out += c.toString()));
  for (let i = 0; i < 100 && !out.includes("Forwarding from"); i++) await delay(50);
  assert.match(out, /Forwarding from 127\.0\.0\.1:\d+/);
  for (const path of ["/a", "/b", "/c"]) {
    const res = await fetch(`http://127.0.0.1:${local}${path}`, { headers: { connection: "close" } });
    assert.equal(await res.text(), `hello from ${path}`);
  }
  const res = await fetch(`http://127.0.0.1:${local}/big`);
  assert.equal((await res.arrayBuffer()).byteLength, 8 * 1024 * 1024, "8 MiB through the forward");
  pf.kill("SIGTERM");
  await new Promise((r) => pf.once("close", r));
});

test("crictl attach shows a running container's output until it is interrupted", async (t) => {
  const h = await startHarness(t);
  const ctr = spawn("sh", ["-c", "while :; do echo tick; sleep 0.1; done"], { stdio: ["pipe", "pipe", "ignore"] });
  t.after(() => {
    ctr.kill("SIGKILL");
  });
  h.rt.addContainer("ctr", ctr);
  const at = spawn(CRICTL, ["--runtime-endpoint", `unix://${h.socket}`, "attach", "ctr"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  at.stdout.on("data", (c: Buffer) => (out += c.toString()));
  for (let i = 0; i < 100 && !out.includes("tick\ntick"); i++) await delay(50);
  assert.match(out, /tick\ntick/);
  assert.equal(h.rt.live, 1);
  at.kill("SIGKILL");
  await new Promise((r) => at.once("close", r));
  // The client went away: the session ends, the container keeps running.
  for (let i = 0; i < 100 && h.rt.live > 0; i++) await delay(20);
  assert.equal(h.rt.live, 0);
  assert.equal(ctr.exitCode, null);
});

test("over TLS: crictl execs against an HTTPS streaming server", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "crikit-stream-tls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  const h = await startHarness(t, { tls: { cert: await readFile(join(dir, "cert.pem")), key: await readFile(join(dir, "key.pem")) } });
  assert.match(h.streaming.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const r = await h.crictl(["exec", "-i", "ctr", "cat"], { input: "over tls\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "over tls\n");
});

test("two crictl attach sessions to one container at once both see its output", async (t) => {
  const h = await startHarness(t);
  const ctr = spawn("sh", ["-c", "while :; do echo tock; sleep 0.1; done"], { stdio: ["pipe", "pipe", "ignore"] });
  t.after(() => {
    ctr.kill("SIGKILL");
  });
  h.rt.addContainer("ctr", ctr);
  const clients = [0, 1].map(() => spawn(CRICTL, ["--runtime-endpoint", `unix://${h.socket}`, "attach", "ctr"], { stdio: ["ignore", "pipe", "pipe"] }));
  const outs = ["", ""];
  clients.forEach((c, i) => c.stdout.on("data", (d: Buffer) => (outs[i] += d.toString())));
  for (let i = 0; i < 100 && !outs.every((o) => o.includes("tock\ntock")); i++) await delay(50);
  assert.ok(outs.every((o) => o.includes("tock\ntock")), JSON.stringify(outs));
  for (const c of clients) c.kill("SIGKILL");
  await Promise.all(clients.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once("close", r)))));
  for (let i = 0; i < 100 && h.rt.live > 0; i++) await delay(20);
  assert.equal(h.rt.live, 0);
});
