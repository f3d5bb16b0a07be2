import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { applyLayer, CrikitError, hasErrorCode } from "../../src/index.js";
import { UnpackThread } from "../../src/image/unpack-thread.js";
import { errorFromWire, errorToWire } from "../../src/image/unpack-wire.js";
import { buildTar, busyboxImage } from "../helpers/oci-layout.js";
import { diffTrees, walkTree } from "./rootfs-compare.js";

describe("UnpackThread", () => {
  let dir: string;
  let n = 0;
  const fresh = async (): Promise<string> => {
    const d = join(dir, `out-${n++}`);
    await mkdir(d);
    return d;
  };
  const blob = async (data: Buffer): Promise<string> => {
    const p = join(dir, `blob-${n++}`);
    await writeFile(p, data);
    return p;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "crikit-unpack-thread-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const layers = busyboxImage().layers;
  const bottom = layers[0]?.entries ?? [];
  for (const c of [
    { desc: "a gzip layer", compression: "gzip" as const, pack: (tar: Buffer) => gzipSync(tar) },
    { desc: "an uncompressed layer", compression: "none" as const, pack: (tar: Buffer) => tar },
  ]) {
    it(`applies ${c.desc} in the worker exactly as applyLayer does on the caller's thread`, async () => {
      const tar = await buildTar(bottom);
      const path = await blob(c.pack(tar));
      const thread = new UnpackThread();
      try {
        const inWorker = await fresh();
        const here = await fresh();
        const got = await thread.apply(inWorker, path, { compression: c.compression });
        const want = await applyLayer(here, createReadStream(path), { compression: c.compression });
        assert.deepEqual(got, want);
        assert.ok(got.entries > 5, "the layer has entries");
        assert.deepEqual(diffTrees(await walkTree(inWorker), await walkTree(here)), []);
      } finally {
        await thread.close();
      }
    });
  }

  it("rejects a layer that writes through a symlink with the unpacker's InvalidArgument", async () => {
    const tar = await buildTar([
      { path: "link", type: "symlink", target: "/tmp" },
      { path: "link/escaped", content: "x" },
    ]);
    const thread = new UnpackThread();
    try {
      const out = await fresh();
      await assert.rejects(thread.apply(out, await blob(tar), { compression: "none" }), (e: unknown) => e instanceof CrikitError && hasErrorCode(e, "InvalidArgument") && /symlink/.test(e.message));
      assert.deepEqual(await readdir(out), ["link"]);
    } finally {
      await thread.close();
    }
  });

  it("settles an aborted job with the signal's reason, and keeps working afterwards", async () => {
    const tar = await buildTar(bottom);
    const path = await blob(gzipSync(tar));
    const thread = new UnpackThread();
    try {
      const pre = new AbortController();
      const reason = new Error("stop now");
      pre.abort(reason);
      await assert.rejects(thread.apply(await fresh(), path, { compression: "gzip", signal: pre.signal }), (e: unknown) => e === reason);
      const mid = new AbortController();
      const p = thread.apply(await fresh(), path, { compression: "gzip", signal: mid.signal });
      mid.abort(reason);
      await assert.rejects(p, (e: unknown) => e === reason);
      const ok = await thread.apply(await fresh(), path, { compression: "gzip" });
      assert.ok(ok.diffId.startsWith("sha256:"));
    } finally {
      await thread.close();
    }
  });

  it("refuses jobs with Unavailable once closed, and fails a running job when closed", async () => {
    const tar = await buildTar(bottom);
    const path = await blob(tar);
    const thread = new UnpackThread();
    const running = thread.apply(await fresh(), path, { compression: "none" });
    await thread.close();
    await assert.rejects(running, (e: unknown) => hasErrorCode(e, "Unavailable"));
    await assert.rejects(thread.apply(await fresh(), path, { compression: "none" }), (e: unknown) => hasErrorCode(e, "Unavailable"));
  });

  it("starts a new worker after the idle one has ended", async () => {
    const path = await blob(await buildTar([{ path: "f", content: "x" }]));
    const thread = new UnpackThread({ idleMs: 10 });
    try {
      const a = await thread.apply(await fresh(), path, { compression: "none" });
      await new Promise((r) => setTimeout(r, 100));
      const b = await thread.apply(await fresh(), path, { compression: "none" });
      assert.deepEqual(a, b);
    } finally {
      await thread.close();
    }
  });
});

describe("unpack worker errors", () => {
  for (const c of [
    {
      desc: "a CrikitError keeps its code, message and details, and its cause as a message",
      err: new CrikitError("DataLoss", "bad layer", { details: { field: "image", retryable: false }, cause: new TypeError("inner") }),
      check: (e: Error) => e instanceof CrikitError && e.code === "DataLoss" && e.message === "bad layer" && e.details.field === "image" && /TypeError: inner/.test(String((e.cause as Error).message)),
    },
    {
      desc: "an errno error keeps its name, message and code",
      err: Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }),
      check: (e: Error) => !(e instanceof CrikitError) && (e as Error & { code?: string }).code === "ENOSPC" && /no space/.test(e.message),
    },
    {
      desc: "a CrikitError with details that do not clone keeps code and message",
      err: new CrikitError("Internal", "odd", { details: { fn: () => 1 } }),
      check: (e: Error) => e instanceof CrikitError && e.code === "Internal" && e.message === "odd",
    },
  ]) {
    it(`crosses the thread boundary: ${c.desc}`, () => {
      const wire = structuredClone(errorToWire(c.err));
      assert.equal(c.check(errorFromWire(wire)), true);
    });
  }
});
