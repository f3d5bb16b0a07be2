import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, ContainerState, PodSandboxConfigSchema, PodSandboxState, Signal } from "../../src/cri.js";
import { ContainerStore, SandboxStore, newContainerStatus, newSandboxStatus } from "../../src/stores/index.js";
import { containerImageNames, containerMatches, criContainerState, imageUser, matchLabels, sandboxMatches, signalName, signalValue, toCriContainerStatus } from "../../src/server/cri-convert.js";

const idA = "a".repeat(64);
const idB = "b".repeat(64);

describe("matchLabels", () => {
  const cases = [
    { desc: "no selector matches everything", labels: { a: "1" }, sel: undefined, want: true },
    { desc: "an empty selector matches everything", labels: {}, sel: {}, want: true },
    { desc: "every entry must match (AND)", labels: { a: "1", b: "2" }, sel: { a: "1", b: "2" }, want: true },
    { desc: "a different value does not match", labels: { a: "1" }, sel: { a: "2" }, want: false },
    { desc: "a missing key does not match", labels: { a: "1" }, sel: { c: "1" }, want: false },
  ];
  for (const c of cases) it(c.desc, () => assert.equal(matchLabels(c.labels, c.sel), c.want));
});

describe("signal conversion", () => {
  const cases = [
    { desc: "a full name", name: "SIGTERM", want: Signal.SIGTERM },
    { desc: "a short name", name: "quit", want: Signal.SIGQUIT },
    { desc: "a number", name: "9", want: Signal.SIGKILL },
    { desc: "an empty name is the runtime default", name: "", want: Signal.RUNTIME_DEFAULT },
    { desc: "an unknown name is the runtime default", name: "SIGNOPE", want: Signal.RUNTIME_DEFAULT },
  ];
  for (const c of cases) it(`reads ${c.desc}`, () => assert.equal(signalValue(c.name), c.want));
  it("names a signal and leaves the runtime default unnamed", () => {
    assert.equal(signalName(Signal.SIGUSR1), "SIGUSR1");
    assert.equal(signalName(Signal.RUNTIME_DEFAULT), undefined);
  });
});

describe("imageUser", () => {
  const cases = [
    { desc: "a numeric user is a uid", user: "1000:1000", want: { uid: 1000n, username: "" } },
    { desc: "a name is a username", user: "www", want: { username: "www" } },
    { desc: "no user is neither", user: "", want: { username: "" } },
  ];
  for (const c of cases) it(`reads ${c.desc}`, () => assert.deepEqual(imageUser(c.user), c.want));
});

describe("list filters and status conversion", () => {
  const sandboxes = new SandboxStore();
  sandboxes.add(idA, { name: "p", config: create(PodSandboxConfigSchema, { labels: { app: "x" } }), runtimeHandler: "" }, newSandboxStatus(1n, { readyAt: 2n }));
  const containers = new ContainerStore();
  const cfg = create(ContainerConfigSchema, { metadata: { name: "c" }, labels: { tier: "web" }, annotations: { "a/b": "{\"x\":1}" }, image: { image: "busybox" } });
  containers.add(idB, { name: "c", sandboxId: idA, config: cfg, imageRef: `sha256:${"c".repeat(64)}`, logPath: "/logs/c/0.log" }, newContainerStatus(5n, { startedAt: 6n }));

  it("filters sandboxes by ID prefix, state and labels", () => {
    const r = sandboxes.get(idA);
    assert.equal(sandboxMatches(r, { id: "aaa" }), true);
    assert.equal(sandboxMatches(r, { id: "ab" }), false);
    assert.equal(sandboxMatches(r, { state: PodSandboxState.SANDBOX_READY }), true);
    assert.equal(sandboxMatches(r, { state: PodSandboxState.SANDBOX_NOTREADY }), false);
    assert.equal(sandboxMatches(r, { labelSelector: { app: "y" } }), false);
  });

  it("filters containers by ID prefix, sandbox ID, state and labels", () => {
    const r = containers.get(idB);
    assert.equal(criContainerState(r), ContainerState.CONTAINER_RUNNING);
    assert.equal(containerMatches(r, { podSandboxId: idA, state: ContainerState.CONTAINER_RUNNING, labelSelector: { tier: "web" } }), true);
    assert.equal(containerMatches(r, { podSandboxId: idB }), false);
    assert.equal(containerMatches(r, { state: ContainerState.CONTAINER_EXITED }), false);
    assert.equal(containerMatches(r, { id: "bb" }), true);
  });

  it("reports the image ID as image_ref and image_id, annotations unchanged, and the stop signal", () => {
    const s = toCriContainerStatus(containers.get(idB), { imageName: "busybox", logPath: "/logs/c/0.log", stopSignal: "SIGQUIT", user: { uid: 1, gid: 2, additionalGids: [3] } });
    assert.equal(s.imageRef, `sha256:${"c".repeat(64)}`);
    assert.equal(s.imageId, s.imageRef);
    assert.deepEqual(s.annotations, { "a/b": "{\"x\":1}" });
    assert.equal(s.stopSignal, Signal.SIGQUIT);
    assert.equal(s.state, ContainerState.CONTAINER_RUNNING);
    assert.deepEqual(s.user?.linux?.supplementalGroups, [3n]);
  });
});

describe("containerImageNames: what ContainerStatus reports as image and image_ref (containerd's answers)", () => {
  const id = `sha256:${"c".repeat(64)}`;
  const busybox = {
    id,
    repoTags: ["docker.io/library/busybox:latest", "docker.io/library/busybox:1.36"],
    repoDigests: [`docker.io/library/busybox@sha256:${"d".repeat(64)}`],
  };
  const cases: Array<{ desc: string; requested: string; user?: string; image?: typeof busybox; want: { image: string; imageRef: string } }> = [
    {
      desc: "created by ID, as the kubelet does: the first repo tag and the repo digest",
      requested: id,
      want: { image: "docker.io/library/busybox:latest", imageRef: busybox.repoDigests[0] as string },
    },
    {
      desc: "created by a bare 64-hex ID: the same",
      requested: "c".repeat(64),
      want: { image: "docker.io/library/busybox:latest", imageRef: busybox.repoDigests[0] as string },
    },
    {
      desc: "user_specified_image picks the tag the user wrote among several",
      requested: id,
      user: "busybox:1.36",
      want: { image: "docker.io/library/busybox:1.36", imageRef: busybox.repoDigests[0] as string },
    },
    {
      desc: "a short name in the request is reported normalised",
      requested: "busybox:1.36",
      want: { image: "docker.io/library/busybox:1.36", imageRef: busybox.repoDigests[0] as string },
    },
    {
      desc: "an image with no repo digest reports its ID as image_ref",
      requested: id,
      image: { ...busybox, repoDigests: [] },
      want: { image: "docker.io/library/busybox:latest", imageRef: id },
    },
    {
      desc: "an image with no tag created by ID falls back to user_specified_image",
      requested: id,
      user: "example.com/app@sha256:" + "e".repeat(64),
      image: { id, repoTags: [], repoDigests: [] },
      want: { image: "example.com/app@sha256:" + "e".repeat(64), imageRef: id },
    },
    {
      desc: "an image with neither tag nor user_specified_image is named by its ID",
      requested: id,
      image: { id, repoTags: [], repoDigests: [] },
      want: { image: id, imageRef: id },
    },
  ];
  for (const c of cases) it(c.desc, () => assert.deepEqual(containerImageNames(c.requested, c.user ?? "", c.image ?? busybox), c.want));
});
