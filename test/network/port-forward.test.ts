/**
 * forwardPort against real servers: busybox httpd inside a network
 * namespace the test pins (reached through the namespace's helper, which
 * connects inside it and hands the socket over), and a Node
 * server on the host's loopback (a host-network pod). Each forwarded
 * connection is the socket of a local test server, as a streaming server
 * would hand it over. Traffic stays on loopbacks.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createServer, connect, type Server, type Socket } from "node:net";
import { createServer as createHttpServer, get as httpGet } from "node:http";
import { open, readdir, writeFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { createNetnsManager, forwardPort } from "../../src/network/index.js";
import { hasErrorCode } from "../../src/errors.js";
import { closeNamespaceHelpers, connectInNamespace, namespaceHelperPids, warmNamespace } from "../../src/network/port-forward-netns.js";
import { removeTree, tempDir, shortId } from "./net-helpers.js";
import { waitFor } from "../helpers/bundle.js";

/** A local TCP server whose every connection is forwarded with `forwardPort`. */
async function forwarder(target: { netnsPath?: string; port: number }, onDone?: (err: unknown) => void): Promise<{ server: Server; port: number; sessions: Set<Promise<void>>; aborts: Set<AbortController> }> {
  const sessions = new Set<Promise<void>>();
  const aborts = new Set<AbortController>();
  const server = createServer({ allowHalfOpen: true }, (sock: Socket) => {
    const ac = new AbortController();
    aborts.add(ac);
    const p = forwardPort({ ...target, stream: sock, signal: ac.signal }).then(
      () => onDone?.(undefined),
      (e: unknown) => {
        onDone?.(e);
        sock.destroy();
      },
    );
    const tracked = p.finally(() => {
      sessions.delete(tracked);
      aborts.delete(ac);
    });
    sessions.add(tracked);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  return { server, port: typeof addr === "object" && addr ? addr.port : 0, sessions, aborts };
}

function fetchBody(port: number, path: string): Promise<{ status: number; bytes: number; text: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    httpGet({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let bytes = 0;
      let text = "";
      res.on("data", (b: Buffer) => {
        bytes += b.length;
        if (text.length < 256) text += b.toString("utf8");
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes, text, ms: performance.now() - t0 }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

/** Child processes of this test process. */
async function ourChildren(): Promise<number[]> {
  return (await execa("ps", ["-eo", "pid,ppid"])).stdout
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter(([pid, ppid]) => ppid === process.pid && pid !== undefined)
    .map(([pid]) => pid as number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("forwardPort into a pod network namespace (a helper in it hands the connection over)", () => {
  let root = "";
  let netnsPath = "";
  let httpd: ChildProcess | undefined;
  const netns = () => createNetnsManager({ dir: join(root, "netns") });
  const bigSize = 100 * 1024 * 1024;

  before(async () => {
    root = await tempDir("pf");
    netnsPath = await netns().create(`pf-${shortId()}`);
    await execa("nsenter", [`--net=${netnsPath}`, "ip", "link", "set", "lo", "up"]);
    const www = join(root, "www");
    await mkdir(www);
    await writeFile(join(www, "index.html"), "hello from the pod\n");
    const fh = await open(join(www, "big"), "w");
    await fh.truncate(bigSize);
    await fh.close();
    httpd = spawn("nsenter", [`--net=${netnsPath}`, "busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", www], { stdio: "ignore" });
    const up = await waitFor(async () => (await execa("nsenter", [`--net=${netnsPath}`, "busybox", "wget", "-q", "-O", "-", "http://127.0.0.1:8080/index.html"], { reject: false })).exitCode === 0, 5000);
    assert.ok(up, "busybox httpd did not come up in the namespace");
  });

  after(async () => {
    closeNamespaceHelpers();
    if (httpd?.pid !== undefined) {
      const gone = new Promise((r) => httpd?.once("exit", r));
      httpd.kill("SIGKILL");
      await gone;
    }
    if (netnsPath !== "") await netns().remove(netnsPath);
    await removeTree(root);
  });

  it("reaches an HTTP server on the pod's loopback, which the host cannot reach", async () => {
    const hostTry = await fetchBody(8080, "/index.html").then(
      (r) => r.text,
      () => "refused",
    );
    assert.notEqual(hostTry, "hello from the pod\n", "the host's 127.0.0.1:8080 must not be the pod's server");
    const f = await forwarder({ netnsPath, port: 8080 });
    try {
      const r = await fetchBody(f.port, "/index.html");
      assert.equal(r.status, 200);
      assert.equal(r.text, "hello from the pod\n");
      assert.ok(await waitFor(async () => f.sessions.size === 0, 5000), "the session ends with the connection");
    } finally {
      f.server.close();
    }
  });

  it("moves 100 MB and reports the throughput", async () => {
    const f = await forwarder({ netnsPath, port: 8080 });
    try {
      const r = await fetchBody(f.port, "/big");
      assert.equal(r.status, 200);
      assert.equal(r.bytes, bigSize);
      const mbps = bigSize / 1e6 / (r.ms / 1000);
      console.log(`# port-forward (namespace helper): 100 MB in ${r.ms.toFixed(0)} ms = ${mbps.toFixed(0)} MB/s`);
      assert.ok(mbps > 10, `throughput ${mbps.toFixed(1)} MB/s is far too low`);
      assert.ok(await waitFor(async () => f.sessions.size === 0, 5000));
    } finally {
      f.server.close();
    }
  });

  it("serves many connections from one helper, and leaves no descriptor behind", async () => {
    const f = await forwarder({ netnsPath, port: 8080 });
    try {
      await fetchBody(f.port, "/index.html");
      assert.ok(await waitFor(async () => f.sessions.size === 0, 5000));
      const fds0 = (await readdir("/proc/self/fd")).length;
      for (let i = 0; i < 50; i++) assert.equal((await fetchBody(f.port, "/index.html")).text, "hello from the pod\n");
      assert.ok(await waitFor(async () => f.sessions.size === 0, 5000), "every session ended");
      assert.ok(await waitFor(async () => (await readdir("/proc/self/fd")).length <= fds0, 3000), "descriptors are closed");
      const helpers = namespaceHelperPids();
      assert.equal(helpers.length, 1, "one helper for the namespace");
      assert.ok((await ourChildren()).includes(helpers[0] as number), "the helper is our child");
    } finally {
      f.server.close();
    }
  });

  it("rejects with Unavailable when nothing listens on the port", async () => {
    let err: unknown;
    const f = await forwarder({ netnsPath, port: 8081 }, (e) => {
      err = e;
    });
    try {
      const c = connect({ host: "127.0.0.1", port: f.port });
      await new Promise((r) => c.once("close", r));
      assert.ok(await waitFor(async () => err !== undefined, 5000), "the session settled");
      assert.ok(hasErrorCode(err, "Unavailable"), String(err));
    } finally {
      f.server.close();
    }
  });

  it("ends the connection when the signal aborts mid-transfer", async () => {
    const f = await forwarder({ netnsPath, port: 8080 });
    try {
      const seen = await new Promise<{ bytes: number; closed: boolean }>((resolve, reject) => {
        let bytes = 0;
        const req = httpGet({ host: "127.0.0.1", port: f.port, path: "/big", agent: false }, (res) => {
          res.on("data", (b: Buffer) => {
            bytes += b.length;
            if (bytes > 1_000_000 && f.aborts.size > 0) for (const a of f.aborts) a.abort();
          });
          res.on("error", () => resolve({ bytes, closed: true }));
          res.on("close", () => resolve({ bytes, closed: true }));
        });
        req.on("error", reject);
      });
      assert.ok(seen.bytes < bigSize, "the transfer was cut");
      assert.ok(await waitFor(async () => f.sessions.size === 0, 5000), "the session settled after the abort");
    } finally {
      f.server.close();
    }
  });

  it("warms the namespace's helper before the first connection, and that connection uses it", async () => {
    closeNamespaceHelpers();
    await warmNamespace(netnsPath, { idleMs: 2000 });
    const [warm] = namespaceHelperPids();
    assert.ok(warm !== undefined && alive(warm), "a helper runs before any connection");
    await warmNamespace(netnsPath, { idleMs: 2000 });
    assert.deepEqual(namespaceHelperPids(), [warm], "warming again starts no second helper");
    const c = await connectInNamespace(netnsPath, 8080, { idleMs: 2000 });
    c.destroy();
    assert.deepEqual(namespaceHelperPids(), [warm], "the connection went through the warm helper");
    closeNamespaceHelpers();
    assert.ok(await waitFor(async () => !alive(warm), 5000), "the helper is gone after close");
  });

  it("stops an idle helper, and a later connection starts a new one", async () => {
    closeNamespaceHelpers();
    const a = await connectInNamespace(netnsPath, 8080, { idleMs: 100 });
    a.destroy();
    const [first] = namespaceHelperPids();
    assert.ok(first !== undefined);
    assert.ok(await waitFor(async () => !alive(first) && namespaceHelperPids().length === 0, 5000), "the idle helper exited");
    const b = await connectInNamespace(netnsPath, 8080, { idleMs: 100 });
    b.destroy();
    const [second] = namespaceHelperPids();
    assert.ok(second !== undefined && second !== first, "a new helper");
    assert.ok(await waitFor(async () => !alive(second) && !(await ourChildren()).includes(second), 5000), "and it exits when idle too, and is reaped");
  });
});

describe("forwardPort on the host's network (host-network pod)", () => {
  it("reaches a server on the host's loopback and passes half-close on", async () => {
    const http = createHttpServer((_req, res) => res.end("hello from the host\n"));
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const addr = http.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const f = await forwarder({ port });
    try {
      const r = await fetchBody(f.port, "/");
      assert.equal(r.text, "hello from the host\n");
      // A raw client that half-closes after its request still gets the answer.
      const c = connect({ host: "127.0.0.1", port: f.port, allowHalfOpen: true });
      let text = "";
      c.on("data", (b: Buffer) => (text += b.toString()));
      c.end("GET / HTTP/1.0\r\n\r\n");
      await new Promise((res) => c.once("close", res));
      assert.match(text, /hello from the host/);
      assert.ok(await waitFor(async () => f.sessions.size === 0, 5000));
    } finally {
      f.server.close();
      http.close();
    }
  });
});
