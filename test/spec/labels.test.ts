import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildLabels, labelError, type SpecLogger } from "../../src/spec/index.js";

function recordingLogger(): SpecLogger & { warnings: Array<{ obj: object; msg: string | undefined }> } {
  const warnings: Array<{ obj: object; msg: string | undefined }> = [];
  const none = (): void => {};
  return { warnings, debug: none, info: none, error: none, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

describe("buildLabels", () => {
  const long = "x".repeat(4097);
  const cases = [
    {
      desc: "image labels come first and request labels override them",
      config: { app: "web", shared: "request" },
      image: { maintainer: "me", shared: "image" },
      kind: "container" as const,
      want: { maintainer: "me", shared: "request", app: "web", "io.cri-containerd.kind": "container" },
      warnings: 0,
    },
    {
      desc: "an invalid image label is skipped with a warning",
      config: {},
      image: { ok: "1", big: long, "": "empty key" },
      kind: "container" as const,
      want: { ok: "1", "io.cri-containerd.kind": "container" },
      warnings: 2,
    },
    {
      desc: "the kind label is set last so a request cannot forge it",
      config: { "io.cri-containerd.kind": "container" },
      image: { "io.cri-containerd.kind": "container" },
      kind: "sandbox" as const,
      want: { "io.cri-containerd.kind": "sandbox" },
      warnings: 0,
    },
    {
      desc: "missing maps give just the kind label",
      config: undefined,
      image: undefined,
      kind: "sandbox" as const,
      want: { "io.cri-containerd.kind": "sandbox" },
      warnings: 0,
    },
  ];
  for (const c of cases) {
    it(`builds labels so that ${c.desc}`, () => {
      const logger = recordingLogger();
      assert.deepEqual(buildLabels(c.config, c.image, c.kind, { logger }), c.want);
      assert.equal(logger.warnings.length, c.warnings);
    });
  }

  it("uses a configured label prefix for the kind label", () => {
    assert.deepEqual(buildLabels({ a: "b" }, {}, "container", { labelPrefix: "io.example" }), { a: "b", "io.example.kind": "container" });
  });

  it("measures label size in UTF-8 bytes", () => {
    assert.equal(labelError("k", "é".repeat(2047)), undefined); // 1 + 4094 bytes
    assert.match(labelError("k", "é".repeat(2048)) ?? "", /4097 bytes/);
  });
});
