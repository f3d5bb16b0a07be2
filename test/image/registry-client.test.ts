import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hasErrorCode, ImageService, manifestAccept, parseChallenge, parseReference, RegistryClient } from "../../src/index.js";
import { buildOciLayout, busyboxImage } from "../helpers/oci-layout.js";
import { freePort, pushLayout, startRegistry, type TestRegistry } from "../helpers/registry.js";
import { startTokenServer, type TokenServer } from "./token-server.js";

describe("RegistryClient with bearer-token auth", () => {
  let work: string;
  let tokens: TokenServer;
  let reg: TestRegistry;
  let built: Awaited<ReturnType<typeof buildOciLayout>>;
  const user = { username: "bob", password: "b0b-pass", refreshToken: "refresh-me" };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "crikit-regclient-"));
    tokens = await startTokenServer(work, user);
    reg = await startRegistry({ token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath } });
    built = await buildOciLayout(join(work, "layout"), [{ tag: "v1", image: busyboxImage() }]);
    await pushLayout(join(work, "layout"), "v1", `${reg.host}/team/app:v1`, { creds: `${user.username}:${user.password}` });
  });
  after(async () => {
    await reg.stop();
    await tokens.close();
    await rm(work, { recursive: true, force: true });
  });

  const client = (): RegistryClient => new RegistryClient({ hosts: { [reg.host]: { insecure: true } }, retryBaseMs: 10 });

  it("answers a Bearer challenge with a token from the realm, and caches it per scope", async () => {
    const c = client();
    const ref = parseReference(`${reg.host}/team/app:v1`);
    tokens.issued.clear();
    const m = await c.fetchManifest(ref, "v1", { auth: { username: user.username, password: user.password } });
    assert.equal(m.digest, built.v1?.digest);
    const again = await c.fetchManifest(ref, m.digest, { auth: { username: user.username, password: user.password } });
    assert.equal(again.digest, m.digest);
    assert.equal(tokens.issued.get("repository:team/app:pull"), 1, "one token for two requests of one scope");
  });

  it("exchanges a CRI identity token for a bearer token", async () => {
    const svc = new ImageService({ root: join(work, "root-id"), registry: client(), platform: { os: "linux", architecture: "amd64" } });
    const r = await svc.pull(`${reg.host}/team/app:v1`, { auth: { identityToken: user.refreshToken } });
    assert.equal(r.imageRef, built.v1?.images[0]?.configDigest);
  });

  it("sends a CRI registry token as is", async () => {
    // Get a real token from the service, then hand it over as registry_token.
    const res = await fetch(`${tokens.realm}?service=${tokens.service}&scope=repository:team/app:pull`, { headers: { authorization: `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}` } });
    const { token } = (await res.json()) as { token: string };
    const c = client();
    const m = await c.fetchManifest(parseReference(`${reg.host}/team/app:v1`), "v1", { auth: { registryToken: token } });
    assert.equal(m.digest, built.v1?.digest);
  });

  const bad = [
    { desc: "a wrong password", auth: { username: user.username, password: "nope" } },
    { desc: "a wrong identity token", auth: { identityToken: "stale" } },
    { desc: "no credentials", auth: {} },
  ];
  for (const b of bad) {
    it(`fails with Unauthenticated given ${b.desc}`, async () => {
      await assert.rejects(client().fetchManifest(parseReference(`${reg.host}/team/app:v1`), "v1", { auth: b.auth }), (e: unknown) => hasErrorCode(e, "Unauthenticated"));
    });
  }
});

describe("RegistryClient basics", () => {
  it("asks for OCI index and manifest and Docker list and schema 2, best first", () => {
    assert.deepEqual(manifestAccept.split(", "), [
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json",
    ]);
  });

  const challenges = [
    { desc: "a Bearer challenge with quoted params", header: 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"', scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:a/b:pull" } },
    { desc: "a Basic challenge", header: 'Basic realm="crikit-test"', scheme: "basic", params: { realm: "crikit-test" } },
    { desc: "a scope with commas inside quotes", header: 'Bearer realm="r",scope="repository:a:pull,push"', scheme: "bearer", params: { realm: "r", scope: "repository:a:pull,push" } },
  ];
  for (const c of challenges) {
    it(`parses ${c.desc}`, () => {
      assert.deepEqual(parseChallenge(c.header), { scheme: c.scheme, params: c.params });
    });
  }

  it("uses plain HTTP only for hosts configured insecure, and tries mirrors first", () => {
    const c = new RegistryClient({ hosts: { "reg.local:5000": { insecure: true }, "docker.io": { mirrors: ["mirror.local", "http://127.0.0.1:5001/"] } } });
    assert.deepEqual(c.endpoints("reg.local:5000"), ["http://reg.local:5000"]);
    assert.deepEqual(c.endpoints("quay.io"), ["https://quay.io"]);
    assert.deepEqual(c.endpoints("docker.io"), ["https://mirror.local", "http://127.0.0.1:5001", "https://registry-1.docker.io"]);
  });

  it("reports Unavailable for a registry that refuses connections", async () => {
    const host = `127.0.0.1:${await freePort()}`;
    const c = new RegistryClient({ hosts: { [host]: { insecure: true } }, retries: 1, retryBaseMs: 5 });
    await assert.rejects(c.fetchManifest(parseReference(`${host}/x/y:z`), "z"), (e: unknown) => hasErrorCode(e, "Unavailable") && /ECONNREFUSED/.test((e as Error).message));
  });
});
