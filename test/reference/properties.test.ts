import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { familiarName, formatReference, normalizeReference, parseReference } from "../../src/reference/index.js";

const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
const separator = fc.constantFrom(".", "_", "__", "-", "--");
const pathComponent = fc
  .tuple(alnum, fc.array(fc.tuple(separator, alnum), { maxLength: 2 }))
  .map(([head, rest]) => head + rest.map(([s, a]) => s + a).join(""));
const path = fc.array(pathComponent, { minLength: 1, maxLength: 3 }).map((c) => c.join("/"));
const domain = fc.oneof(
  fc.constantFrom("docker.io", "quay.io", "localhost", "localhost:5000", "[::1]:5000", "127.0.0.1:5000", "registry.example.com"),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.stringMatching(/^[a-z]{2,4}$/)).map(([a, b]) => `${a}.${b}`),
);
const tag = fc.stringMatching(/^\w[\w.-]{0,20}$/);
const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`);
const reference = fc.record(
  { domain, path, tag, digest },
  { requiredKeys: ["domain", "path"] },
);

describe("reference properties", () => {
  it("parses back what it formats, for fully qualified references", () => {
    fc.assert(
      fc.property(reference, (r) => {
        const parsed = parseReference(formatReference(r));
        const wantPath = r.domain === "docker.io" && !r.path.includes("/") ? `library/${r.path}` : r.path;
        assert.deepEqual(parsed, { ...r, path: wantPath });
      }),
      { numRuns: 300 },
    );
  });

  it("normalizes idempotently and familiar names normalize to the same reference", () => {
    fc.assert(
      fc.property(reference, (r) => {
        const once = normalizeReference(formatReference(r));
        assert.equal(normalizeReference(once), once);
        assert.equal(normalizeReference(familiarName(once)), once);
      }),
      { numRuns: 300 },
    );
  });
});
