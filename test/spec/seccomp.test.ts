import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { createDefaultSeccompProfile, DEFAULT_SECCOMP_TEMPLATE } from "../../src/seccomp/index.js";
import { DEFAULT_CAPABILITIES, type OciSeccomp } from "../../src/spec/index.js";

/** The action a profile takes for a syscall called without looking at arguments. */
function unconditionalAction(p: OciSeccomp, name: string): string {
  const rule = (p.syscalls ?? []).find((s) => s.names.includes(name) && (s.args ?? []).length === 0);
  return rule?.action ?? p.defaultAction;
}

describe("default seccomp profile", () => {
  it("ships src/seccomp/default.json with the same content as the TypeScript template", () => {
    const json = JSON.parse(readFileSync(new URL("../../src/seccomp/default.json", import.meta.url), "utf8")) as unknown;
    assert.deepEqual(json, JSON.parse(JSON.stringify(DEFAULT_SECCOMP_TEMPLATE)), "regenerate default.json from DEFAULT_SECCOMP_TEMPLATE");
  });

  const base = createDefaultSeccompProfile({ capabilities: DEFAULT_CAPABILITIES, arch: "x64" });
  it("fails unknown syscalls with EPERM", () => {
    assert.equal(base.defaultAction, "SCMP_ACT_ERRNO");
    assert.equal(base.defaultErrnoRet, 1);
  });

  const blocked = [
    "unshare", "setns", "mount", "umount2", "pivot_root", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
    "kexec_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "clock_settime",
    "settimeofday", "userfaultfd", "io_uring_setup", "open_by_handle_at", "fsopen", "move_mount", "iopl", "acct", "syslog",
  ];
  for (const name of blocked) {
    it(`refuses ${name} for a container with the default capabilities`, () => assert.notEqual(unconditionalAction(base, name), "SCMP_ACT_ALLOW"));
  }

  const allowedCalls = ["read", "write", "openat", "execve", "futex", "clone3" /* ENOSYS, see below */, "chroot", "ptrace", "socket"];
  it("allows ordinary syscalls", () => {
    for (const name of allowedCalls.filter((n) => n !== "clone3")) assert.equal(unconditionalAction(base, name), "SCMP_ACT_ALLOW", name);
  });

  it("allows clone only without namespace flags and answers clone3 with ENOSYS", () => {
    const clone = (base.syscalls ?? []).filter((s) => s.names.includes("clone"));
    assert.equal(clone.length, 1);
    assert.deepEqual(clone[0]?.args, [{ index: 0, value: 0x7e020000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }]);
    const clone3 = (base.syscalls ?? []).find((s) => s.names.includes("clone3"));
    assert.equal(clone3?.action, "SCMP_ACT_ERRNO");
    assert.equal(clone3?.errnoRet, 38);
  });

  it("opens the mount and namespace calls to a container with CAP_SYS_ADMIN", () => {
    const admin = createDefaultSeccompProfile({ capabilities: [...DEFAULT_CAPABILITIES, "CAP_SYS_ADMIN"] });
    for (const name of ["mount", "unshare", "setns", "clone", "clone3"]) assert.equal(unconditionalAction(admin, name), "SCMP_ACT_ALLOW", name);
    assert.notEqual(unconditionalAction(admin, "keyctl"), "SCMP_ACT_ALLOW");
  });

  it("drops chroot for a container without CAP_SYS_CHROOT", () => {
    assert.equal(unconditionalAction(createDefaultSeccompProfile({ capabilities: [] }), "chroot"), "SCMP_ACT_ERRNO");
  });

  const arches = [
    { arch: "x64", want: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { arch: "arm64", want: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"] },
    { arch: "mips", want: undefined },
  ];
  for (const c of arches) {
    it(`lists the architectures for ${c.arch}`, () => assert.deepEqual(createDefaultSeccompProfile({ arch: c.arch }).architectures, c.want));
  }
});
