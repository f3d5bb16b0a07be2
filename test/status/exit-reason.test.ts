import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ContainerState, PodSandboxState } from "../../src/cri.js";
import {
  ExitReason,
  SandboxState,
  SpecialExitCode,
  exitReason,
  toCriSandboxState,
  unknownContainerStatus,
  unknownSandboxState,
} from "../../src/status/index.js";
import type { ExitFacts } from "../../src/status/index.js";

describe("exitReason", () => {
  it("picks the reason containerd and CRI-O report", () => {
    const cases: Array<{ desc: string; facts: ExitFacts; want: ExitReason }> = [
      { desc: "exit 0", facts: { exitCode: 0 }, want: "Completed" },
      { desc: "exit 1", facts: { exitCode: 1 }, want: "Error" },
      { desc: "killed by SIGKILL", facts: { exitCode: 137 }, want: "Error" },
      { desc: "OOM kill with 137", facts: { exitCode: 137, oomKilled: true }, want: "OOMKilled" },
      { desc: "OOM kill wins over exit 0", facts: { exitCode: 0, oomKilled: true }, want: "OOMKilled" },
      {
        desc: "start failure wins over OOM",
        facts: { exitCode: SpecialExitCode.StartError, oomKilled: true, startFailed: true },
        want: "StartError",
      },
      { desc: "explicit false flags", facts: { exitCode: 2, oomKilled: false, startFailed: false }, want: "Error" },
    ];
    for (const c of cases) assert.equal(exitReason(c.facts), c.want, c.desc);
  });

  it("uses the peers' words and codes", () => {
    assert.deepEqual(
      { ...ExitReason },
      { Completed: "Completed", Error: "Error", OOMKilled: "OOMKilled", StartError: "StartError", Unknown: "Unknown" },
    );
    assert.equal(SpecialExitCode.StartError, 128);
    assert.equal(SpecialExitCode.Unknown, 255);
  });
});

describe("unknown statuses", () => {
  it("reports an unknown container with exit code 255 and reason Unknown", () => {
    assert.deepEqual(unknownContainerStatus(), {
      state: ContainerState.CONTAINER_UNKNOWN,
      exitCode: 255,
      reason: "Unknown",
      createdAt: 0n,
      startedAt: 0n,
      finishedAt: 0n,
    });
  });

  it("returns a fresh object each time", () => {
    assert.notEqual(unknownContainerStatus(), unknownContainerStatus());
  });

  it("reports an unknown sandbox as not ready to the kubelet", () => {
    const cases: Array<{ desc: string; state: SandboxState; want: PodSandboxState }> = [
      { desc: "ready", state: SandboxState.Ready, want: PodSandboxState.SANDBOX_READY },
      { desc: "not ready", state: SandboxState.NotReady, want: PodSandboxState.SANDBOX_NOTREADY },
      { desc: "unknown", state: unknownSandboxState, want: PodSandboxState.SANDBOX_NOTREADY },
    ];
    for (const c of cases) assert.equal(toCriSandboxState(c.state), c.want, c.desc);
    assert.equal(unknownSandboxState, "Unknown");
  });
});
