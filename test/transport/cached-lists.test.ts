/**
 * The list encoding with kept element bytes must put on the wire exactly what
 * a full protobuf-es encoding does, reuse the bytes of frozen elements only,
 * and decode back to the same message.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ListContainersResponseSchema, ListPodSandboxResponseSchema } from "../../src/cri.js";
import { withCachedElements } from "../../src/transport/cached-lists.js";

function container(i: number, labels: Record<string, string> = {}) {
  return {
    id: i.toString(16).padStart(64, "0"),
    podSandboxId: "p".repeat(64),
    metadata: { name: `c${i}`, attempt: i % 3 },
    image: { image: "registry.local/busybox:1" },
    imageRef: `sha256:${"a".repeat(64)}`,
    state: i % 4,
    createdAt: 1_763_900_000_000_000_000n + BigInt(i),
    labels: { "io.kubernetes.container.name": `c${i}`, ...labels },
    annotations: { big: "x".repeat(300 + i) },
  };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

describe("withCachedElements", () => {
  const cases = [
    { desc: "no elements", elements: [] as object[] },
    { desc: "one small element", elements: [container(1)] },
    { desc: "elements longer than 127 and 16383 bytes (multi-byte length prefixes)", elements: [container(2), container(3, { huge: "y".repeat(20_000) })] },
    { desc: "many frozen elements", elements: Array.from({ length: 200 }, (_, i) => deepFreeze(container(i))) },
  ];
  for (const c of cases) {
    it(`encodes ${c.desc} byte for byte as a full encoding does`, () => {
      const init = { containers: c.elements };
      const full = toBinary(ListContainersResponseSchema, create(ListContainersResponseSchema, init as never));
      const cached = toBinary(ListContainersResponseSchema, create(ListContainersResponseSchema, withCachedElements(ListContainersResponseSchema, "containers", init) as never));
      assert.deepEqual(cached, full);
      assert.equal(fromBinary(ListContainersResponseSchema, cached).containers.length, c.elements.length);
    });
  }

  it("reuses the bytes of a frozen element and re-encodes one that is not frozen", () => {
    const frozen = deepFreeze(container(7));
    const open = container(8);
    const first = withCachedElements(ListContainersResponseSchema, "containers", { containers: [frozen, open] }) as unknown as { $unknown: { data: Uint8Array }[] };
    (open.labels as Record<string, string>)["changed"] = "yes";
    const second = withCachedElements(ListContainersResponseSchema, "containers", { containers: [frozen, open] }) as unknown as { $unknown: { data: Uint8Array }[] };
    assert.equal(second.$unknown[0]?.data, first.$unknown[0]?.data, "the frozen element's bytes are the same object");
    assert.notDeepEqual(second.$unknown[1]?.data, first.$unknown[1]?.data, "the open element was encoded again with its change");
    const decoded = fromBinary(ListContainersResponseSchema, toBinary(ListContainersResponseSchema, second as never));
    assert.equal(decoded.containers[1]?.labels["changed"], "yes");
  });

  it("leaves answers of other shapes and fields alone", () => {
    const init = { items: [deepFreeze({ id: "s1", state: 0, labels: { a: "b" } })] };
    const msg = withCachedElements(ListPodSandboxResponseSchema, "items", init);
    assert.equal(fromBinary(ListPodSandboxResponseSchema, toBinary(ListPodSandboxResponseSchema, msg as never)).items[0]?.labels["a"], "b");
    assert.equal(withCachedElements(ListPodSandboxResponseSchema, "nosuchfield", init), init);
  });
});
