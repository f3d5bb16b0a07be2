import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CrikitError } from "../../src/errors.js";
import {
  makeContainerName,
  makeSandboxName,
  parseContainerName,
  parseSandboxName,
  validateContainerMetadata,
  validateSandboxMetadata,
} from "../../src/naming/index.js";
import type { ContainerNameMetadata, SandboxNameMetadata } from "../../src/naming/index.js";

const pod: SandboxNameMetadata = { name: "web", namespace: "default", uid: "8d1f0c2e-1111-2222-3333-444455556666", attempt: 0 };

function assertInvalid(fn: () => unknown, field: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof CrikitError, `expected a CrikitError, got ${String(err)}`);
    assert.equal(err.code, "InvalidArgument");
    assert.equal(err.details["field"], field);
    assert.match(err.message, message);
    return true;
  });
}

describe("makeSandboxName", () => {
  const cases: Array<{ desc: string; meta: SandboxNameMetadata; want: string }> = [
    { desc: "joins name, namespace, uid and attempt with underscores", meta: pod, want: "web_default_8d1f0c2e-1111-2222-3333-444455556666_0" },
    { desc: "writes the attempt in decimal", meta: { ...pod, attempt: 42 }, want: "web_default_8d1f0c2e-1111-2222-3333-444455556666_42" },
    { desc: "accepts the largest uint32 attempt", meta: { ...pod, uid: "u", attempt: 4294967295 }, want: "web_default_u_4294967295" },
    { desc: "keeps dots and dashes of DNS names", meta: { ...pod, name: "a.b-c", namespace: "kube-system", uid: "x" }, want: "a.b-c_kube-system_x_0" },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      assert.equal(makeSandboxName(c.meta), c.want);
    });
  }

  const bad: Array<{ desc: string; meta: unknown; field: string; message: RegExp }> = [
    { desc: "refuses missing metadata", meta: undefined, field: "metadata", message: /^sandbox config metadata is missing$/ },
    { desc: "refuses an empty name", meta: { ...pod, name: "" }, field: "metadata.name", message: /^sandbox config metadata\.name is empty$/ },
    { desc: "refuses an empty namespace", meta: { ...pod, namespace: "" }, field: "metadata.namespace", message: /^sandbox config metadata\.namespace is empty$/ },
    { desc: "refuses an empty uid", meta: { ...pod, uid: "" }, field: "metadata.uid", message: /^sandbox config metadata\.uid is empty$/ },
    { desc: "refuses an underscore in the name", meta: { ...pod, name: "a_b" }, field: "metadata.name", message: /"a_b" contains "_"/ },
    { desc: "refuses an underscore in the namespace", meta: { ...pod, namespace: "b_c" }, field: "metadata.namespace", message: /contains "_"/ },
    { desc: "refuses an underscore in the uid", meta: { ...pod, uid: "u_1" }, field: "metadata.uid", message: /contains "_"/ },
    { desc: "refuses a NUL byte in the name", meta: { ...pod, name: "we\u0000b" }, field: "metadata.name", message: /contains the control character U\+0000; names are printable text/ },
    { desc: "refuses a newline in the namespace", meta: { ...pod, namespace: "de\nfault" }, field: "metadata.namespace", message: /control character U\+000A/ },
    { desc: "refuses a negative attempt", meta: { ...pod, attempt: -1 }, field: "metadata.attempt", message: /integer from 0 to 4294967295/ },
    { desc: "refuses a fractional attempt", meta: { ...pod, attempt: 1.5 }, field: "metadata.attempt", message: /integer/ },
    { desc: "refuses an attempt beyond uint32", meta: { ...pod, attempt: 2 ** 32 }, field: "metadata.attempt", message: /integer/ },
  ];
  for (const c of bad) {
    it(c.desc, () => {
      assertInvalid(() => makeSandboxName(c.meta as SandboxNameMetadata), c.field, c.message);
      assertInvalid(() => validateSandboxMetadata(c.meta as SandboxNameMetadata), c.field, c.message);
    });
  }
});

describe("makeContainerName", () => {
  it("joins container name, pod name, namespace, uid and the container attempt", () => {
    assert.equal(makeContainerName({ name: "app", attempt: 3 }, { ...pod, uid: "u1", attempt: 7 }), "app_web_default_u1_3");
  });

  const bad: Array<{ desc: string; ctr: unknown; sandbox: unknown; field: string; message: RegExp }> = [
    { desc: "refuses missing container metadata", ctr: undefined, sandbox: pod, field: "metadata", message: /^container config metadata is missing$/ },
    { desc: "refuses an empty container name", ctr: { name: "", attempt: 0 }, sandbox: pod, field: "metadata.name", message: /^container config metadata\.name is empty$/ },
    { desc: "refuses an underscore in the container name", ctr: { name: "x_y", attempt: 0 }, sandbox: pod, field: "metadata.name", message: /container config metadata\.name "x_y" contains "_"/ },
    { desc: "refuses a bad container attempt", ctr: { name: "x", attempt: -3 }, sandbox: pod, field: "metadata.attempt", message: /container config metadata\.attempt/ },
    { desc: "refuses an empty pod uid", ctr: { name: "x", attempt: 0 }, sandbox: { ...pod, uid: "" }, field: "metadata.uid", message: /^sandbox config metadata\.uid is empty$/ },
  ];
  for (const c of bad) {
    it(c.desc, () => {
      assertInvalid(() => makeContainerName(c.ctr as ContainerNameMetadata, c.sandbox as SandboxNameMetadata), c.field, c.message);
    });
  }

  it("validates container metadata on its own", () => {
    assert.doesNotThrow(() => validateContainerMetadata({ name: "x", attempt: 0 }));
    assertInvalid(() => validateContainerMetadata({ name: "", attempt: 0 }), "metadata.name", /is empty/);
  });
});

describe("parseSandboxName and parseContainerName", () => {
  it("parse the names the builders make", () => {
    assert.deepEqual(parseSandboxName("web_default_u1_12"), { name: "web", namespace: "default", uid: "u1", attempt: 12 });
    assert.deepEqual(parseContainerName("app_web_default_u1_3"), {
      container: { name: "app", attempt: 3 },
      sandbox: { name: "web", namespace: "default", uid: "u1" },
    });
  });

  const badSandbox: Array<{ desc: string; name: string; message: RegExp; field: string }> = [
    { desc: "an empty name", name: "", message: /^sandbox name is empty$/, field: "name" },
    { desc: "too few fields", name: "web_default_0", message: /does not have the form name_namespace_uid_attempt/, field: "name" },
    { desc: "too many fields (an underscore inside a field)", name: "a_b_default_u_0", message: /does not have the form/, field: "name" },
    { desc: "an empty field", name: "web__u_0", message: /namespace is empty/, field: "namespace" },
    { desc: "an attempt with a leading zero", name: "web_default_u_01", message: /"01" is not a decimal number without leading zeros/, field: "attempt" },
    { desc: "a non-numeric attempt", name: "web_default_u_x", message: /not a decimal number/, field: "attempt" },
    { desc: "a signed attempt", name: "web_default_u_+1", message: /not a decimal number/, field: "attempt" },
    { desc: "an attempt beyond uint32", name: "web_default_u_4294967296", message: /integer from 0 to 4294967295/, field: "attempt" },
  ];
  for (const c of badSandbox) {
    it(`refuse a sandbox name with ${c.desc}`, () => {
      assertInvalid(() => parseSandboxName(c.name), c.field, c.message);
    });
  }

  const badContainer: Array<{ desc: string; name: string; message: RegExp; field: string }> = [
    { desc: "a sandbox name's field count", name: "web_default_u_0", message: /containername_podname_namespace_uid_attempt/, field: "name" },
    { desc: "an empty pod name", name: "app__default_u_0", message: /podName is empty/, field: "podName" },
    { desc: "a bad attempt", name: "app_web_default_u_00", message: /leading zeros/, field: "attempt" },
  ];
  for (const c of badContainer) {
    it(`refuse a container name with ${c.desc}`, () => {
      assertInvalid(() => parseContainerName(c.name), c.field, c.message);
    });
  }
});

describe("name round trips", () => {
  const field = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
  const attempt = fc.integer({ min: 0, max: 0xffff_ffff });
  const sandboxMeta = fc.record({ name: field, namespace: field, uid: fc.uuid(), attempt });

  it("parseSandboxName(makeSandboxName(m)) gives m back", () => {
    fc.assert(
      fc.property(sandboxMeta, (m) => {
        assert.deepEqual(parseSandboxName(makeSandboxName(m)), { ...m });
      }),
    );
  });

  it("parseContainerName(makeContainerName(c, s)) gives c and s back", () => {
    fc.assert(
      fc.property(fc.record({ name: field, attempt }), sandboxMeta, (c, s) => {
        const parsed = parseContainerName(makeContainerName(c, s));
        assert.deepEqual(parsed.container, { ...c });
        assert.deepEqual(parsed.sandbox, { name: s.name, namespace: s.namespace, uid: s.uid });
      }),
    );
  });

  it("makeSandboxName(parseSandboxName(s)) gives s back for any name the parser accepts", () => {
    const text = fc.oneof(fc.string({ maxLength: 6 }), field);
    const num = fc.oneof(fc.string({ maxLength: 4 }), fc.nat().map(String), fc.constantFrom("0", "00", "01", "4294967296"));
    fc.assert(
      fc.property(fc.tuple(text, text, text, num), (parts) => {
        const name = parts.join("_");
        let parsed: SandboxNameMetadata;
        try {
          parsed = parseSandboxName(name);
        } catch (err) {
          assert.ok(err instanceof CrikitError && err.code === "InvalidArgument", `unexpected error ${String(err)}`);
          return;
        }
        assert.equal(makeSandboxName(parsed), name);
      }),
    );
  });

  it("gives distinct metadata distinct names", () => {
    fc.assert(
      fc.property(sandboxMeta, sandboxMeta, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        assert.notEqual(makeSandboxName(a), makeSandboxName(b));
      }),
    );
  });
});
