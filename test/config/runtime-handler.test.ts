import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runtimeHandlerSettings } from "../../src/config/index.js";
import { hasErrorCode } from "../../src/errors.js";

const runc = (options: Record<string, unknown>) => ({ type: "io.containerd.runc.v2", options });

describe("runtimeHandlerSettings", () => {
  it("applies nothing for an empty table", () => {
    assert.deepEqual(runtimeHandlerSettings("runc", runc({})), { noPivotRoot: false, noNewKeyring: false });
  });

  const applied = [
    { desc: "BinaryName is the runtime binary", options: { BinaryName: "crun" }, want: { binary: "crun" } },
    { desc: "Root is the runtime's --root", options: { Root: "/run/r" }, want: { root: "/run/r" } },
    { desc: "SystemdCgroup = true selects systemd", options: { SystemdCgroup: true }, want: { systemdCgroup: true } },
    { desc: "SystemdCgroup = false is kept as set", options: { SystemdCgroup: false }, want: { systemdCgroup: false } },
    { desc: "NoPivotRoot and NoNewKeyring become create flags", options: { NoPivotRoot: true, NoNewKeyring: true }, want: { noPivotRoot: true, noNewKeyring: true } },
    { desc: "proto spellings are read as well", options: { binary_name: "crun", no_pivot_root: true }, want: { binary: "crun", noPivotRoot: true } },
    { desc: "IoUid and IoGid of 0 are what conmon does anyway", options: { IoUid: 0, IoGid: 0 }, want: {} },
  ];
  for (const c of applied) {
    it(`applies: ${c.desc}`, () => {
      assert.deepEqual(runtimeHandlerSettings("h", runc(c.options)), { noPivotRoot: false, noNewKeyring: false, ...c.want });
    });
  }

  it("reads the legacy Linux runtime's Runtime, RuntimeRoot and SystemdCgroup", () => {
    assert.deepEqual(
      runtimeHandlerSettings("old", { type: "io.containerd.runtime.v1.linux", options: { Runtime: "/usr/bin/runc", RuntimeRoot: "/run/old", SystemdCgroup: true } }),
      { binary: "/usr/bin/runc", root: "/run/old", systemdCgroup: true, noPivotRoot: false, noNewKeyring: false },
    );
  });

  const refused = [
    { desc: "IoUid", options: { IoUid: 1000 }, key: "IoUid", why: /stdio pipes/ },
    { desc: "IoGid", options: { IoGid: 1000 }, key: "IoGid", why: /stdio pipes/ },
    { desc: "ShimCgroup", options: { ShimCgroup: "/system.slice/shims" }, key: "ShimCgroup", why: /conmon/ },
    { desc: "CriuPath", options: { CriuPath: "/usr/sbin/criu" }, key: "CriuPath", why: /CheckpointContainer/ },
    { desc: "CriuImagePath", options: { CriuImagePath: "/ckpt" }, key: "CriuImagePath", why: /CheckpointContainer/ },
    { desc: "CriuWorkPath", options: { CriuWorkPath: "/work" }, key: "CriuWorkPath", why: /CheckpointContainer/ },
  ];
  for (const c of refused) {
    it(`refuses ${c.desc} with InvalidArgument naming the key and saying what to do`, () => {
      assert.throws(
        () => runtimeHandlerSettings("runc", runc(c.options)),
        (e: unknown) =>
          hasErrorCode(e, "InvalidArgument") &&
          e.details.field === `runtimes.runc.options.${c.key}` &&
          e.message.startsWith(`runtimes.runc.options.${c.key} cannot be honoured: `) &&
          c.why.test(e.message) &&
          e.message.endsWith("remove it from [runtimes.runc.options]"),
      );
    });
  }

  it("refuses options of a runtime type crikit cannot pass them to", () => {
    assert.throws(
      () => runtimeHandlerSettings("kata", { type: "io.containerd.kata.v2", options: { ConfigPath: "/etc/kata/configuration.toml" } }),
      (e: unknown) => hasErrorCode(e, "InvalidArgument") && /runtimes\.kata\.options\.ConfigPath cannot be honoured: runtime type "io\.containerd\.kata\.v2" has no options/.test(e.message),
    );
    assert.deepEqual(runtimeHandlerSettings("kata", { type: "io.containerd.kata.v2", options: {} }), { noPivotRoot: false, noNewKeyring: false });
  });

  it("names the handler when a key does not decode", () => {
    assert.throws(
      () => runtimeHandlerSettings("runc", runc({ NoPivotRoot: "yes" })),
      (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.message.startsWith("runtimes.runc.options: ") && /NoPivotRoot/.test(e.message),
    );
  });
});
