import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SecurityProfile_ProfileType } from "../../src/cri.js";
import { hasErrorCode } from "../../src/errors.js";
import { legacySecurityProfile } from "../../src/spec/index.js";

describe("legacySecurityProfile", () => {
  const valid = [
    { value: "", want: undefined },
    { value: "unconfined", want: { profileType: SecurityProfile_ProfileType.Unconfined, localhostRef: "" } },
    { value: "runtime/default", want: { profileType: SecurityProfile_ProfileType.RuntimeDefault, localhostRef: "" } },
    { value: "docker/default", want: { profileType: SecurityProfile_ProfileType.RuntimeDefault, localhostRef: "" } },
    { value: "localhost//var/lib/kubelet/seccomp/a.json", want: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "/var/lib/kubelet/seccomp/a.json" } },
    { value: "localhost/my-apparmor", want: { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "my-apparmor" } },
  ];
  for (const c of valid) it(`reads ${JSON.stringify(c.value)}`, () => assert.deepEqual(legacySecurityProfile(c.value, "f"), c.want));

  for (const value of ["/var/lib/kubelet/seccomp/a.json", "default", "Unconfined", "localhost"]) {
    it(`refuses ${JSON.stringify(value)} with InvalidArgument naming the field and the valid forms`, () => {
      assert.throws(
        () => legacySecurityProfile(value, "linux.security_context.seccomp_profile_path"),
        (e: unknown) =>
          hasErrorCode(e, "InvalidArgument") &&
          e.details.field === "linux.security_context.seccomp_profile_path" &&
          e.message.includes(`"${value}" is not a valid profile: use "unconfined", "runtime/default", "docker/default" or "localhost/<profile>"`) &&
          e.message.endsWith("or better the linux.security_context.seccomp field"),
      );
    });
  }
});
