import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { create, equals, toJson } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { hasErrorCode } from "../../src/errors.js";
import type { ErrorCodeName } from "../../src/errors.js";
import { RuntimeType, createRuntimeOptionsRegistry, runtimeOptionsFromAny } from "../../src/runtime-options/index.js";

const protoText = readFileSync(new URL("../fixtures/runtime-options/sandbox-options.proto", import.meta.url), "utf8");
const runtimeType = "io.example.sandbox.v1";

function registry() {
  const r = createRuntimeOptionsRegistry();
  r.registerRuntimeOptionType(runtimeType, protoText, "Options");
  return r;
}

function expectCode(run: () => unknown, code: ErrorCodeName, mention: string, desc: string): void {
  assert.throws(
    run,
    (e: unknown) => {
      assert.ok(hasErrorCode(e, code), `${desc}: not ${code}: ${String(e)}`);
      assert.ok(e.message.includes(mention), `${desc}: message "${e.message}" does not mention ${mention}`);
      return true;
    },
    desc,
  );
}

describe("registerRuntimeOptionType", () => {
  it("registers a message by relative or full name with its full name as type URL", () => {
    const cases = [
      { desc: "relative name", name: "Options" },
      { desc: "full name", name: "example.sandbox.v1.Options" },
    ];
    for (const c of cases) {
      const schema = createRuntimeOptionsRegistry().registerRuntimeOptionType(runtimeType, protoText, c.name);
      assert.equal(schema.typeName, "example.sandbox.v1.Options", c.desc);
    }
  });

  it("rejects bad registrations with a code naming the problem", () => {
    const proto2 = 'syntax = "proto2"; package p; message M { optional string a = 1; }';
    const cases: Array<{ desc: string; run: () => unknown; code: ErrorCodeName; mention: string }> = [
      { desc: "proto2", run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("x", proto2, "M"), code: "InvalidArgument", mention: "proto3" },
      { desc: "no syntax", run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("x", "message M { string a = 1; }", "M"), code: "InvalidArgument", mention: "proto3" },
      {
        desc: "imports",
        run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("x", 'syntax = "proto3"; import "google/protobuf/duration.proto"; message M { string a = 1; }', "M"),
        code: "InvalidArgument",
        mention: "imports",
      },
      { desc: "unparsable", run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("x", 'syntax = "proto3"; message M { string a = ; }', "M"), code: "InvalidArgument", mention: "cannot parse" },
      { desc: "unresolved type", run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("x", 'syntax = "proto3"; message M { Missing a = 1; }', "M"), code: "InvalidArgument", mention: "Missing" },
      { desc: "missing message", run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("x", protoText, "Nope"), code: "InvalidArgument", mention: '"Nope"' },
      { desc: "built-in runtime type", run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType(RuntimeType.RuncV2, protoText, "Options"), code: "InvalidArgument", mention: "built-in" },
      {
        desc: "built-in type URL",
        run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("x", 'syntax = "proto3"; package runtimeoptions.v1; message Options { string a = 1; }', "Options"),
        code: "InvalidArgument",
        mention: "built-in",
      },
      { desc: "runtime type twice", run: () => registry().registerRuntimeOptionType(runtimeType, protoText, "Options"), code: "AlreadyExists", mention: runtimeType },
      { desc: "type URL twice", run: () => registry().registerRuntimeOptionType("io.other.v1", protoText, "Options"), code: "AlreadyExists", mention: "example.sandbox.v1.Options" },
      { desc: "empty runtime type", run: () => createRuntimeOptionsRegistry().registerRuntimeOptionType("", protoText, "Options"), code: "InvalidArgument", mention: "runtime type" },
    ];
    for (const c of cases) expectCode(c.run, c.code, c.mention, c.desc);
  });

  it("keeps registrations per registry", () => {
    const r = registry();
    assert.equal(r.decodeToml(runtimeType, "debug = true").kind, "custom");
    assert.equal(createRuntimeOptionsRegistry().decodeToml(runtimeType, "debug = true").kind, "generic");
  });
});

const fullToml = `
ConfigPath = "/etc/sandbox.toml"
Debug = true
kernel_params = ["console=ttyS0", "quiet"]
ShimTimeoutNs = 9007199254740993
LogLevel = ""
BlockDevice = "/dev/vdb"
TOKEN = "s3cret"
cpu_ratio = 0.5

[annotations]
"io.example/a" = "1"

[vm]
Vcpus = 2
MemoryBytes = 2147483648
hypervisor = "FIRECRACKER"

[[extra_vms]]
vcpus = 1
hypervisor = 1
`;

describe("custom runtime options", () => {
  it("decodes TOML into the registered message", () => {
    const d = registry().decodeToml(runtimeType, fullToml);
    assert.equal(d.kind, "custom");
    assert.ok(d.kind === "custom");
    assert.deepEqual(toJson(d.schema, d.options), {
      configPath: "/etc/sandbox.toml",
      debug: true,
      kernelParams: ["console=ttyS0", "quiet"],
      annotations: { "io.example/a": "1" },
      vm: { vcpus: 2, memoryBytes: "2147483648", hypervisor: "FIRECRACKER" },
      shimTimeoutNs: "9007199254740993",
      logLevel: "",
      blockDevice: "/dev/vdb",
      extraVms: [{ vcpus: 1, hypervisor: "QEMU" }],
      token: Buffer.from("s3cret").toString("base64"),
      cpuRatio: 0.5,
    });
  });

  it("round-trips TOML through Any with the message's full name as type URL", () => {
    const cases = [
      { desc: "every field kind", toml: fullToml },
      { desc: "empty", toml: "" },
      { desc: "oneof other member", toml: 'image = "docker.io/library/busybox:latest"' },
      { desc: "proto3 optional set to its default", toml: 'log_level = ""' },
    ];
    const r = registry();
    for (const c of cases) {
      const d = r.decodeToml(runtimeType, c.toml);
      assert.ok(d.kind === "custom", c.desc);
      const any = r.toAny(d);
      assert.equal(any.typeUrl, "example.sandbox.v1.Options", c.desc);
      const back = r.fromAny(any);
      assert.ok(back.kind === "custom", c.desc);
      assert.ok(equals(d.schema, back.options, d.options), c.desc);
    }
  });

  it("keeps presence of a proto3 optional field", () => {
    const r = registry();
    const set = r.fromAny(r.toAny(r.decodeToml(runtimeType, 'log_level = ""')));
    const unset = r.fromAny(r.toAny(r.decodeToml(runtimeType, "")));
    assert.ok(set.kind === "custom" && unset.kind === "custom");
    assert.equal((set.options as { logLevel?: string }).logLevel, "");
    assert.equal((unset.options as { logLevel?: string }).logLevel, undefined);
  });

  it("rejects TOML that does not fit the message, naming the key", () => {
    const cases = [
      { desc: "unknown key", toml: "Verbose = true", mention: '"Verbose"' },
      { desc: "unknown nested key", toml: "[vm]\ncores = 2", mention: '"vm.cores"' },
      { desc: "bad enum name", toml: '[vm]\nhypervisor = "kvm"', mention: "QEMU" },
      { desc: "array for repeated expected", toml: 'kernel_params = "quiet"', mention: "must be an array" },
      { desc: "bad repeated element", toml: "kernel_params = [1]", mention: "kernel_params[0]" },
      { desc: "nested not a table", toml: "vm = 3", mention: "must be a table" },
      { desc: "map value type", toml: "[annotations]\nk = 1", mention: '"annotations.k"' },
      { desc: "two oneof members", toml: 'image = "a"\nblock_device = "b"', mention: "oneof" },
      { desc: "int64 out of range", toml: "shim_timeout_ns = 9223372036854775808", mention: "9223372036854775807" },
      { desc: "uint64 negative", toml: "[vm]\nmemory_bytes = -1", mention: "from 0" },
      { desc: "double from string", toml: 'cpu_ratio = "half"', mention: "must be a number" },
    ];
    const r = registry();
    for (const c of cases) expectCode(() => r.decodeToml(runtimeType, c.toml), "InvalidArgument", c.mention, c.desc);
  });

  it("needs the registry that knows the type to unpack it", () => {
    const any = registry().toAny(registry().decodeToml(runtimeType, "debug = true"));
    expectCode(() => runtimeOptionsFromAny(any), "InvalidArgument", "example.sandbox.v1.Options", "built-in only");
    expectCode(
      () => registry().fromAny(create(AnySchema, { typeUrl: "example.sandbox.v1.Other", value: new Uint8Array() })),
      "InvalidArgument",
      "example.sandbox.v1.Other",
      "unregistered name",
    );
  });
});
