import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { create, equals } from "@bufbuild/protobuf";
import type { DescMessage } from "@bufbuild/protobuf";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import protobuf from "protobufjs";
import { parse as parseToml } from "smol-toml";
import { hasErrorCode } from "../../src/errors.js";
import {
  GenericRuntimeOptionsSchema,
  LegacyRuncOptionsSchema,
  RuncOptionsSchema,
  RuntimeOptionsTypeUrl,
  RuntimeType,
  decodeRuntimeOptions,
  runtimeOptionsFromAny,
  runtimeOptionsToAny,
} from "../../src/runtime-options/index.js";
import type { DecodedRuntimeOptions } from "../../src/runtime-options/index.js";

const fixtures = new URL("../fixtures/runtime-options/", import.meta.url);

function schemaOf(d: DecodedRuntimeOptions): DescMessage {
  switch (d.kind) {
    case "runc":
      return RuncOptionsSchema;
    case "legacy-runc":
      return LegacyRuncOptionsSchema;
    case "generic":
      return GenericRuntimeOptionsSchema;
    case "custom":
      return d.schema;
  }
}

function expectInvalid(run: () => unknown, mention: string, desc: string): void {
  assert.throws(
    run,
    (e: unknown) => {
      assert.ok(hasErrorCode(e, "InvalidArgument"), `${desc}: not InvalidArgument: ${String(e)}`);
      assert.ok(e.message.includes(mention), `${desc}: message "${e.message}" does not mention ${mention}`);
      return true;
    },
    desc,
  );
}

describe("built-in runtime options from TOML", () => {
  it("decodes each runtime type to its option message", () => {
    const cases: Array<{ desc: string; runtimeType: string; toml: string; kind: string; want: Record<string, unknown> }> = [
      {
        desc: "runc v2 with containerd's Go names",
        runtimeType: RuntimeType.RuncV2,
        toml: 'BinaryName = "/usr/bin/crun"\nRoot = "/run/crun"\nSystemdCgroup = true\nIoUid = 1000\nIoGid = 1001\nNoPivotRoot = true\nNoNewKeyring = true\nShimCgroup = "/shim"\nCriuPath = "/usr/sbin/criu"\nCriuImagePath = "/img"\nCriuWorkPath = "/work"',
        kind: "runc",
        want: {
          binaryName: "/usr/bin/crun",
          root: "/run/crun",
          systemdCgroup: true,
          ioUid: 1000,
          ioGid: 1001,
          noPivotRoot: true,
          noNewKeyring: true,
          shimCgroup: "/shim",
          criuPath: "/usr/sbin/criu",
          criuImagePath: "/img",
          criuWorkPath: "/work",
        },
      },
      {
        desc: "runc v2 with proto names",
        runtimeType: RuntimeType.RuncV2,
        toml: 'binary_name = "runc"\nsystemd_cgroup = true\nio_uid = 4294967295',
        kind: "runc",
        want: { binaryName: "runc", systemdCgroup: true, ioUid: 4294967295 },
      },
      {
        desc: "runc v1 with JSON and lowercase names",
        runtimeType: RuntimeType.RuncV1,
        toml: 'binaryName = "runc"\nsystemdcgroup = true',
        kind: "runc",
        want: { binaryName: "runc", systemdCgroup: true },
      },
      {
        desc: "empty section gives defaults",
        runtimeType: RuntimeType.RuncV2,
        toml: "",
        kind: "runc",
        want: { binaryName: "", systemdCgroup: false, ioUid: 0 },
      },
      {
        desc: "legacy Linux runtime",
        runtimeType: RuntimeType.LinuxV1,
        toml: 'Runtime = "/usr/bin/runc"\nRuntimeRoot = "/run/legacy"\nCriuPath = "/criu"\nSystemdCgroup = true',
        kind: "legacy-runc",
        want: { runtime: "/usr/bin/runc", runtimeRoot: "/run/legacy", criuPath: "/criu", systemdCgroup: true },
      },
      {
        desc: "generic with a config path has no body",
        runtimeType: "io.containerd.runsc.v1",
        toml: 'TypeUrl = "io.containerd.runsc.v1.options"\nConfigPath = "/etc/runsc.toml"',
        kind: "generic",
        want: { typeUrl: "io.containerd.runsc.v1.options", configPath: "/etc/runsc.toml", configBody: new Uint8Array() },
      },
    ];
    for (const c of cases) {
      const got = decodeRuntimeOptions(c.runtimeType, c.toml);
      assert.equal(got.kind, c.kind, c.desc);
      const fields = got.options as unknown as Record<string, unknown>;
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(fields[k], v, `${c.desc}: ${k}`);
    }
  });

  it("passes a generic section without config path to the runtime as TOML", () => {
    const toml = 'debug = true\nTypeUrl = "x.y.Config"\n[hypervisor]\npath = "/usr/bin/qemu"\nmemory = 2048\n';
    const got = decodeRuntimeOptions("io.containerd.kata.v2", toml);
    assert.equal(got.kind, "generic");
    assert.equal(got.options.typeUrl, "x.y.Config");
    assert.equal(got.options.configPath, "");
    const body = parseToml(new TextDecoder().decode(got.options.configBody));
    assert.deepEqual(body, parseToml(toml));
  });

  it("rejects unknown keys, wrong types and bad TOML with InvalidArgument naming the key", () => {
    const cases: Array<{ desc: string; runtimeType: string; toml: string; mention: string }> = [
      { desc: "misspelt key", runtimeType: RuntimeType.RuncV2, toml: "SystemdCgroups = true", mention: '"SystemdCgroups"' },
      { desc: "known keys listed", runtimeType: RuntimeType.RuncV2, toml: "Foo = 1", mention: "BinaryName" },
      { desc: "ShimDebug is not a legacy option", runtimeType: RuntimeType.LinuxV1, toml: "ShimDebug = true", mention: '"ShimDebug"' },
      { desc: "string for bool", runtimeType: RuntimeType.RuncV2, toml: 'SystemdCgroup = "true"', mention: "true or false" },
      { desc: "bool for string", runtimeType: RuntimeType.RuncV2, toml: "BinaryName = true", mention: "must be a string" },
      { desc: "negative uid", runtimeType: RuntimeType.RuncV2, toml: "IoUid = -1", mention: "from 0 to 4294967295" },
      { desc: "uid too large", runtimeType: RuntimeType.RuncV2, toml: "IoGid = 4294967296", mention: "IoGid" },
      { desc: "float uid", runtimeType: RuntimeType.RuncV2, toml: "IoUid = 1.5", mention: "integer" },
      { desc: "table for string", runtimeType: RuntimeType.RuncV2, toml: "[Root]\nx = 1", mention: "a table" },
      { desc: "two spellings of one field", runtimeType: RuntimeType.RuncV2, toml: 'BinaryName = "a"\nbinary_name = "b"', mention: "same field" },
      { desc: "generic ConfigPath type", runtimeType: "io.x.v1", toml: "ConfigPath = 3", mention: "ConfigPath" },
      { desc: "TOML syntax", runtimeType: RuntimeType.RuncV2, toml: "BinaryName = ", mention: "not valid TOML" },
    ];
    for (const c of cases) expectInvalid(() => decodeRuntimeOptions(c.runtimeType, c.toml), c.mention, c.desc);
  });

  it("names the offending key in the error details", () => {
    assert.throws(
      () => decodeRuntimeOptions(RuntimeType.RuncV2, "IoUid = -5"),
      (e: unknown) => hasErrorCode(e, "InvalidArgument") && e.details["field"] === "options.IoUid",
    );
  });

  it("decodes the runtimes of a real containerd config read as TOML", () => {
    const config = parseToml(readFileSync(new URL("containerd-config.toml", fixtures), "utf8")) as Record<string, any>;
    const runtimes = config["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"] as Record<
      string,
      { runtime_type: string; options: Record<string, unknown> }
    >;
    const kinds = Object.fromEntries(
      Object.entries(runtimes).map(([name, r]) => [name, decodeRuntimeOptions(r.runtime_type, r.options).kind]),
    );
    assert.deepEqual(kinds, { runc: "runc", crun: "runc", legacy: "legacy-runc", runsc: "generic", kata: "generic" });
    const runc = decodeRuntimeOptions(runtimes["runc"]!.runtime_type, runtimes["runc"]!.options);
    assert.ok(runc.kind === "runc" && runc.options.systemdCgroup && runc.options.binaryName === "/usr/bin/runc");
    const kata = decodeRuntimeOptions(runtimes["kata"]!.runtime_type, runtimes["kata"]!.options);
    assert.ok(kata.kind === "generic");
    assert.deepEqual(parseToml(new TextDecoder().decode(kata.options.configBody)), runtimes["kata"]!.options);
  });
});

describe("built-in runtime options as Any", () => {
  it("uses containerd's type URLs", () => {
    const cases = [
      { desc: "runc v1", runtimeType: RuntimeType.RuncV1, typeUrl: "containerd.runc.v1.Options" },
      { desc: "runc v2", runtimeType: RuntimeType.RuncV2, typeUrl: "containerd.runc.v1.Options" },
      { desc: "legacy", runtimeType: RuntimeType.LinuxV1, typeUrl: "containerd.linux.runc.RuncOptions" },
      { desc: "generic", runtimeType: "io.containerd.runsc.v1", typeUrl: "runtimeoptions.v1.Options" },
    ];
    for (const c of cases) {
      assert.equal(runtimeOptionsToAny(decodeRuntimeOptions(c.runtimeType, "")).typeUrl, c.typeUrl, c.desc);
    }
    assert.deepEqual({ ...RuntimeOptionsTypeUrl }, {
      Runc: "containerd.runc.v1.Options",
      LegacyRunc: "containerd.linux.runc.RuncOptions",
      Generic: "runtimeoptions.v1.Options",
    });
  });

  it("encodes the field numbers containerd uses", () => {
    const any = runtimeOptionsToAny(decodeRuntimeOptions(RuntimeType.RuncV2, 'IoUid = 1000\nBinaryName = "runc"\nSystemdCgroup = true'));
    // field 4 varint 1000, field 6 "runc", field 9 true
    assert.equal(Buffer.from(any.value).toString("hex"), "20e80732047275" + "6e63" + "4801");
  });

  it("matches an independent protobufjs encoding of the same messages", () => {
    const root = protobuf.parse(readFileSync(new URL("runc-options.proto", fixtures), "utf8"), { keepCase: true }).root;
    const cases = [
      {
        desc: "runc",
        runtimeType: RuntimeType.RuncV2,
        toml: 'NoPivotRoot = true\nNoNewKeyring = true\nShimCgroup = "s"\nIoUid = 7\nIoGid = 8\nBinaryName = "b"\nRoot = "r"\nCriuPath = "c"\nSystemdCgroup = true\nCriuImagePath = "i"\nCriuWorkPath = "w"',
        type: "crosscheck.RuncV1Options",
        obj: { no_pivot_root: true, no_new_keyring: true, shim_cgroup: "s", io_uid: 7, io_gid: 8, binary_name: "b", root: "r", criu_path: "c", systemd_cgroup: true, criu_image_path: "i", criu_work_path: "w" },
      },
      {
        desc: "legacy",
        runtimeType: RuntimeType.LinuxV1,
        toml: 'Runtime = "a"\nRuntimeRoot = "b"\nCriuPath = "c"\nSystemdCgroup = true',
        type: "crosscheck.LegacyRuncOptions",
        obj: { runtime: "a", runtime_root: "b", criu_path: "c", systemd_cgroup: true },
      },
      {
        desc: "generic",
        runtimeType: "io.x.v1",
        toml: 'TypeUrl = "t"\nConfigPath = "/p"',
        type: "crosscheck.GenericOptions",
        obj: { type_url: "t", config_path: "/p" },
      },
    ];
    for (const c of cases) {
      const ours = runtimeOptionsToAny(decodeRuntimeOptions(c.runtimeType, c.toml)).value;
      const t = root.lookupType(c.type);
      const theirs = t.encode(t.fromObject(c.obj)).finish();
      assert.equal(Buffer.from(ours).toString("hex"), Buffer.from(theirs).toString("hex"), c.desc);
    }
  });

  it("round-trips TOML through Any and back", () => {
    const cases = [
      { desc: "runc, all fields", runtimeType: RuntimeType.RuncV2, toml: 'BinaryName = "/usr/bin/runc"\nRoot = "/r"\nSystemdCgroup = true\nIoUid = 1\nIoGid = 2\nNoPivotRoot = true\nNoNewKeyring = true\nShimCgroup = "/s"\nCriuPath = "/c"\nCriuImagePath = "/i"\nCriuWorkPath = "/w"' },
      { desc: "runc, defaults", runtimeType: RuntimeType.RuncV1, toml: "" },
      { desc: "legacy", runtimeType: RuntimeType.LinuxV1, toml: 'Runtime = "runc"\nSystemdCgroup = true' },
      { desc: "generic with path", runtimeType: "io.containerd.runsc.v1", toml: 'ConfigPath = "/etc/runsc.toml"' },
      { desc: "generic with body", runtimeType: "io.containerd.kata.v2", toml: 'a = 1\n[b]\nc = "d"' },
    ];
    for (const c of cases) {
      const decoded = decodeRuntimeOptions(c.runtimeType, c.toml);
      const back = runtimeOptionsFromAny(runtimeOptionsToAny(decoded));
      assert.equal(back.kind, decoded.kind, c.desc);
      assert.ok(equals(schemaOf(decoded), back.options, decoded.options), c.desc);
    }
  });

  it("ignores a type.googleapis.com prefix when unpacking", () => {
    const any = runtimeOptionsToAny(decodeRuntimeOptions(RuntimeType.RuncV2, 'Root = "/x"'));
    const back = runtimeOptionsFromAny(create(AnySchema, { typeUrl: `type.googleapis.com/${any.typeUrl}`, value: any.value }));
    assert.ok(back.kind === "runc" && back.options.root === "/x");
  });

  it("rejects unknown type URLs and bytes that do not decode", () => {
    expectInvalid(
      () => runtimeOptionsFromAny(create(AnySchema, { typeUrl: "example.Unknown", value: new Uint8Array() })),
      "example.Unknown",
      "unknown type URL",
    );
    expectInvalid(
      () => runtimeOptionsFromAny(create(AnySchema, { typeUrl: "containerd.runc.v1.Options", value: new Uint8Array([0x32, 0x10, 0x61]) })),
      "do not decode",
      "truncated bytes",
    );
  });
});
