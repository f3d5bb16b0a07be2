import { describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { link, lstat, readFile, readdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CriServer, probeUnixSocket } from "../../src/transport/index.js";
import { createCriClient } from "../helpers/cri-client.js";
import { createTestService, tempDir } from "./test-service.js";

/** A socket file whose server is gone: bind, hard-link the inode elsewhere, close (Node unlinks the original). */
async function makeStaleSocket(path: string, scratch: string): Promise<void> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(scratch, () => r()));
  await link(scratch, path);
  await new Promise<void>((r) => srv.close(() => r()));
}

/** A plain net server listening on `path`, closed after the test. */
async function liveSocket(t: import("node:test").TestContext, path: string): Promise<net.Server> {
  const srv = net.createServer((c) => c.end());
  await new Promise<void>((r) => srv.listen(path, () => r()));
  t.after(() => new Promise<void>((r) => srv.close(() => r())));
  return srv;
}

function newServer(socketPath: string, extra: Partial<ConstructorParameters<typeof CriServer>[0]> = {}): CriServer {
  const { runtime, image } = createTestService();
  return new CriServer({ socketPath, runtime, image, ready: true, ...extra });
}

describe("the CRI unix socket", () => {
  it("is created with mode 0660, owned by root, in a parent directory created on demand, and removed on close", async (t) => {
    assert.equal(process.getuid?.(), 0, "this test checks root ownership and must run as root");
    const dir = await tempDir(t);
    const socketPath = join(dir, "a", "b", "crikit.sock");
    const server = newServer(socketPath);
    t.after(() => server.destroy());
    const listening = server.listen();
    assert.equal(server.listen(), listening, "listen() is idempotent");
    await listening;
    const st = await lstat(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, 0);
    assert.equal(st.gid, 0);
    await server.close();
    await assert.rejects(lstat(socketPath), { code: "ENOENT" });
  });

  it("takes a configured group and mode", async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, "crikit.sock");
    const server = newServer(socketPath, { socket: { gid: 4321, mode: 0o600 } });
    t.after(() => server.destroy());
    await server.listen();
    const st = await stat(socketPath);
    assert.equal(st.gid, 4321);
    assert.equal(st.mode & 0o777, 0o600);
  });

  it("replaces a stale socket and serves on it", async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, "crikit.sock");
    await makeStaleSocket(socketPath, join(dir, "scratch.sock"));
    assert.equal(await probeUnixSocket(socketPath), "stale");
    const server = newServer(socketPath);
    t.after(() => server.destroy());
    await server.listen();
    assert.equal(await probeUnixSocket(socketPath), "live");
    const client = createCriClient(socketPath);
    t.after(() => client.close());
    assert.equal((await client.unary("Version", {}))["runtime_name"], "crikit-test");
  });

  it("removes temporary sockets a crashed server left behind, but not live ones", async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, "crikit.sock");
    const leftover = join(dir, ".crikit.sock.4242.abcdef");
    await makeStaleSocket(leftover, join(dir, "scratch.sock"));
    const liveTmp = join(dir, ".crikit.sock.4243.fedcba");
    await liveSocket(t, liveTmp);
    const server = newServer(socketPath);
    t.after(() => server.destroy());
    await server.listen();
    await assert.rejects(lstat(leftover), { code: "ENOENT" });
    assert.ok((await lstat(liveTmp)).isSocket());
  });

  it("never steals a live socket", async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, "crikit.sock");
    await liveSocket(t, socketPath);
    const before = await lstat(socketPath);
    const server = newServer(socketPath);
    t.after(() => server.destroy());
    await assert.rejects(server.listen(), (e: Error & { code?: string }) => {
      assert.equal(e.code, "AlreadyExists");
      assert.match(e.message, /is in use: another server accepts connections on it/);
      return true;
    });
    const after = await lstat(socketPath);
    assert.equal(after.ino, before.ino, "the live socket file is untouched");
    assert.equal(await probeUnixSocket(socketPath), "live");
    assert.deepEqual(await readdir(dir), ["crikit.sock"], "no temporary socket is left behind");
  });

  it("refuses a path that is not a socket and leaves the file alone", async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, "crikit.sock");
    await writeFile(socketPath, "precious");
    const server = newServer(socketPath);
    t.after(() => server.destroy());
    await assert.rejects(server.listen(), (e: Error & { code?: string }) => {
      assert.equal(e.code, "FailedPrecondition");
      assert.match(e.message, /not a socket/);
      return true;
    });
    assert.equal(await readFile(socketPath, "utf8"), "precious");
  });

  it("refuses a socket path longer than the unix limit", async (t) => {
    const dir = await tempDir(t);
    const server = newServer(join(dir, "x".repeat(120) + ".sock"));
    t.after(() => server.destroy());
    await assert.rejects(server.listen(), (e: Error & { code?: string }) => e.code === "InvalidArgument" && /limited to 107 bytes/.test(e.message));
  });

  it("binds directly when the temporary name would be too long, still with mode 0660", async (t) => {
    const dir = await tempDir(t);
    const name = "s".repeat(107 - dir.length - 1);
    const socketPath = join(dir, name);
    assert.equal(Buffer.byteLength(socketPath), 107);
    const server = newServer(socketPath);
    t.after(() => server.destroy());
    await server.listen();
    assert.equal((await stat(socketPath)).mode & 0o777, 0o660);
  });

  it("does not remove a newer server's socket on close", async (t) => {
    const dir = await tempDir(t);
    const socketPath = join(dir, "crikit.sock");
    const first = newServer(socketPath);
    t.after(() => first.destroy());
    await first.listen();
    // Simulate an operator moving the socket away and another server taking the path.
    await rename(socketPath, join(dir, "moved.sock"));
    await liveSocket(t, socketPath);
    const newer = (await lstat(socketPath)).ino;
    await first.close();
    assert.equal((await lstat(socketPath)).ino, newer);
  });
});
