import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ContainerState, PodSandboxState } from "../../src/cri.js";
import { hasErrorCode } from "../../src/errors.js";
import {
  containerStateName,
  parseContainerState,
  parsePodSandboxState,
  podSandboxStateName,
} from "../../src/status/index.js";

describe("CRI state names", () => {
  it("names each container state and parses the name back", () => {
    const cases = [
      { desc: "created", state: ContainerState.CONTAINER_CREATED, name: "CONTAINER_CREATED" },
      { desc: "running", state: ContainerState.CONTAINER_RUNNING, name: "CONTAINER_RUNNING" },
      { desc: "exited", state: ContainerState.CONTAINER_EXITED, name: "CONTAINER_EXITED" },
      { desc: "unknown", state: ContainerState.CONTAINER_UNKNOWN, name: "CONTAINER_UNKNOWN" },
    ] as const;
    for (const c of cases) {
      assert.equal(containerStateName(c.state), c.name, c.desc);
      assert.equal(parseContainerState(c.name), c.state, c.desc);
    }
  });

  it("names each sandbox state and parses the name back", () => {
    const cases = [
      { desc: "ready", state: PodSandboxState.SANDBOX_READY, name: "SANDBOX_READY" },
      { desc: "not ready", state: PodSandboxState.SANDBOX_NOTREADY, name: "SANDBOX_NOTREADY" },
    ] as const;
    for (const c of cases) {
      assert.equal(podSandboxStateName(c.state), c.name, c.desc);
      assert.equal(parsePodSandboxState(c.name), c.state, c.desc);
    }
  });

  it("rejects names and numbers outside the enums with InvalidArgument", () => {
    const cases: Array<{ desc: string; run: () => unknown; mention: string }> = [
      { desc: "lowercase name", run: () => parseContainerState("container_running"), mention: "container_running" },
      { desc: "short name", run: () => parseContainerState("RUNNING"), mention: "RUNNING" },
      { desc: "sandbox name as container", run: () => parseContainerState("SANDBOX_READY"), mention: "SANDBOX_READY" },
      { desc: "container number 9", run: () => containerStateName(9 as ContainerState), mention: "9" },
      { desc: "sandbox number 5", run: () => podSandboxStateName(5 as PodSandboxState), mention: "5" },
      { desc: "empty sandbox name", run: () => parsePodSandboxState(""), mention: '""' },
    ];
    for (const c of cases) {
      assert.throws(
        c.run,
        (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.message.includes(c.mention),
        c.desc,
      );
    }
  });
});
