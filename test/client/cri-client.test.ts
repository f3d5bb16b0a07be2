import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { createCriClient } from "../../src/client/index.js";
import { CriServer } from "../../src/transport/index.js";

describe("createCriClient", () => {
  it("calls both CRI services over a unix socket, with a path or a unix:// URL", async (t) => {
    const dir = await mkdtemp(join(tmpdir(), "crikit-client-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const socketPath = join(dir, "cri.sock");
    const server = new CriServer({
      socketPath,
      ready: true,
      runtime: { version: () => ({ version: "0.1.0", runtimeName: "toy", runtimeVersion: "1", runtimeApiVersion: "v1" }) },
      image: { listImages: () => ({ images: [{ id: "sha256:abc", repoTags: ["toy:1"] }] }) },
    });
    await server.listen();
    t.after(() => server.close());

    for (const target of [socketPath, `unix://${socketPath}`]) {
      await using client = createCriClient(target);
      assert.equal((await client.runtime.version({})).runtimeName, "toy");
      assert.deepEqual((await client.image.listImages({})).images.map((i) => i.id), ["sha256:abc"]);
      await assert.rejects(client.runtime.status({}), (e: unknown) => e instanceof ConnectError && e.code === Code.Unimplemented);
    }
  });

  it("fails a call with Unavailable when nothing listens, and close() is idempotent", async () => {
    const client = createCriClient(join(tmpdir(), `crikit-missing-${process.pid}.sock`));
    await assert.rejects(client.runtime.version({}), (e: unknown) => e instanceof ConnectError && e.code === Code.Unavailable);
    client.close();
    client.close();
  });
});
