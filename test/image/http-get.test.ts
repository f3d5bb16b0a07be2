import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { httpGet } from "../../src/image/http-get.js";
import { freePort } from "../helpers/registry.js";

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return { server, origin: `http://127.0.0.1:${port}` };
}

describe("httpGet", () => {
  const seen: Seen[] = [];
  let a: { server: Server; origin: string };
  let b: { server: Server; origin: string };
  const body = Buffer.alloc(300_000, 7);

  before(async () => {
    b = await listen((req, res) => {
      seen.push({ path: `b${req.url ?? ""}`, headers: req.headers });
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(body.length) });
      res.end(body);
    });
    a = await listen((req, res) => {
      seen.push({ path: `a${req.url ?? ""}`, headers: req.headers });
      const url = req.url ?? "";
      if (url === "/blob") {
        res.writeHead(200, { "content-type": "application/octet-stream", "x-two": ["1", "2"] });
        res.end(body);
      } else if (url === "/same") {
        res.writeHead(307, { location: "/blob" });
        res.end();
      } else if (url === "/cross") {
        res.writeHead(307, { location: `${b.origin}/elsewhere` });
        res.end();
      } else if (url.startsWith("/loop")) {
        res.writeHead(302, { location: `/loop${url.length}` });
        res.end();
      } else {
        res.writeHead(404);
        res.end("nope");
      }
    });
  });
  after(async () => {
    for (const s of [a.server, b.server]) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const read = async (it: AsyncIterable<Uint8Array>): Promise<Buffer> => {
    const parts: Buffer[] = [];
    for await (const c of it) parts.push(Buffer.from(c));
    return Buffer.concat(parts);
  };

  for (const c of [
    { desc: "a direct answer", path: "/blob", hops: ["a/blob"], auth: [true] },
    { desc: "a same-origin redirect, keeping the authorization header", path: "/same", hops: ["a/same", "a/blob"], auth: [true, true] },
    { desc: "a redirect to another origin, dropping the authorization header there", path: "/cross", hops: ["a/cross", "b/elsewhere"], auth: [true, false] },
  ]) {
    it(`streams the body of ${c.desc}`, async () => {
      seen.length = 0;
      const res = await httpGet(`${a.origin}${c.path}`, { headers: { authorization: "Bearer t0k", "user-agent": "crikit" } });
      assert.equal(res.status, 200);
      assert.equal(res.ok, true);
      assert.equal(res.headers.get("Content-Type"), "application/octet-stream");
      assert.ok(res.body);
      assert.deepEqual(await read(res.body), body);
      assert.deepEqual(
        seen.map((s) => s.path),
        c.hops,
      );
      assert.deepEqual(
        seen.map((s) => s.headers.authorization === "Bearer t0k"),
        c.auth,
      );
      assert.ok(seen.every((s) => s.headers["user-agent"] === "crikit"));
    });
  }

  it("joins repeated headers and reports a missing one as null", async () => {
    const res = await httpGet(`${a.origin}/blob`, { headers: {} });
    assert.equal(res.headers.get("x-two"), "1, 2");
    assert.equal(res.headers.get("x-absent"), null);
    await res.body?.cancel();
  });

  it("returns a 404 with its body, and stops following redirects after ten", async () => {
    const missing = await httpGet(`${a.origin}/missing`, { headers: {} });
    assert.equal(missing.status, 404);
    assert.equal(missing.ok, false);
    assert.equal(Buffer.from(await missing.arrayBuffer()).toString(), "nope");
    seen.length = 0;
    const loop = await httpGet(`${a.origin}/loop`, { headers: {} });
    assert.equal(loop.status, 302);
    assert.equal(seen.length, 11);
    await loop.body?.cancel();
  });

  it("rejects with Node's error code for a refused connection, and with AbortError when aborted", async () => {
    const port = await freePort();
    await assert.rejects(httpGet(`http://127.0.0.1:${port}/x`, { headers: {} }), (e: unknown) => (e as { code?: string }).code === "ECONNREFUSED");
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(httpGet(`${a.origin}/blob`, { headers: {}, signal: ac.signal }), (e: unknown) => (e as Error).name === "AbortError");
  });
});
