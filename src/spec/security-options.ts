/**
 * Container and sandbox spec options for seccomp, AppArmor, SELinux and
 * the privileged check.
 *
 * Seccomp: privileged or Unconfined gives no filter; RuntimeDefault gives
 * crikit's default profile (`src/seccomp/default.json`), specialised to the
 * container's bounding capabilities and CPU architecture; Localhost reads
 * the OCI-format JSON profile at the absolute `localhost_ref` through
 * {@link SpecHost.readFile}. A request with no seccomp profile gets
 * `unsetSeccompProfile` (Unconfined by default, as containerd). The
 * deprecated string forms (`runtime/default`, `docker/default`,
 * `unconfined`, `localhost/<path>`) are understood too; any other string
 * (a bare path, say) is InvalidArgument, as in containerd and CRI-O. The
 * deprecated `apparmor_profile` follows the same rules.
 *
 * @packageDocumentation
 */
import type { SecurityProfile, SELinuxOption } from "../cri.js";
import { SecurityProfile_ProfileType } from "../cri-enums.js";
import { createRequire } from "node:module";
import type * as SeccompProfile from "../seccomp/profile.js";
import type { CommonSpecInput, ContainerSpecInput, SandboxSpecInput } from "./input.js";
import type { OciSeccomp, OciSpec } from "./oci-types.js";
import { badField, isAbsolute, linuxOf, processOf, type SpecOption } from "./spec-option.js";

// The default profile's table loads on the first RuntimeDefault container,
// not when crikit/spec is imported.
const require = createRequire(import.meta.url);
let seccomp: typeof SeccompProfile | undefined;
const seccompProfile = (): typeof SeccompProfile => (seccomp ??= require("../seccomp/profile.js") as typeof SeccompProfile);

type Profile = { kind: "RuntimeDefault" | "Unconfined" } | { kind: "Localhost"; ref: string } | { kind: "unset" };

/**
 * The security profile a deprecated string field (`seccomp_profile_path`,
 * `apparmor_profile`) names: `""` none (`undefined`), `unconfined`,
 * `runtime/default` or `docker/default` (the runtime's default),
 * `localhost/<ref>`. Anything else, a bare path included, is refused, as
 * containerd and CRI-O refuse it.
 *
 * @param value - the field's value
 * @param field - the field's path, for the error, such as
 *   `linux.security_context.seccomp_profile_path`
 * @throws CrikitError InvalidArgument naming `field`, listing the valid forms.
 *
 * @example
 * ```ts
 * legacySecurityProfile("localhost//var/lib/kubelet/seccomp/audit.json", "seccomp_profile_path");
 * // { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: "/var/lib/kubelet/seccomp/audit.json" }
 * ```
 *
 * @public
 */
export function legacySecurityProfile(value: string, field: string): { profileType: SecurityProfile_ProfileType; localhostRef: string } | undefined {
  if (value === "") return undefined;
  if (value === "unconfined") return { profileType: SecurityProfile_ProfileType.Unconfined, localhostRef: "" };
  if (value === "runtime/default" || value === "docker/default") return { profileType: SecurityProfile_ProfileType.RuntimeDefault, localhostRef: "" };
  if (value.startsWith("localhost/")) return { profileType: SecurityProfile_ProfileType.Localhost, localhostRef: value.slice("localhost/".length) };
  throw badField(
    field,
    `${field} "${value}" is not a valid profile: use "unconfined", "runtime/default", "docker/default" or "localhost/<profile>" ` +
      `(for example "localhost/${value}"), or better the ${field.replace(/_profile(_path)?$/, "")} field`,
  );
}

/**
 * The profile a request asks for: the `SecurityProfile` message, else the
 * deprecated string field `legacyField` holds (see {@link legacySecurityProfile}).
 */
function profileOf(p: SecurityProfile | undefined, legacy: string, legacyField: string): Profile {
  const asked = p ?? legacySecurityProfile(legacy, legacyField);
  if (asked === undefined) return { kind: "unset" };
  switch (asked.profileType) {
    case SecurityProfile_ProfileType.Unconfined:
      return { kind: "Unconfined" };
    case SecurityProfile_ProfileType.Localhost:
      return { kind: "Localhost", ref: asked.localhostRef };
    default:
      return { kind: "RuntimeDefault" };
  }
}

const utf8 = new TextDecoder();

function loadLocalhostSeccomp(ref: string, input: CommonSpecInput, field: string): OciSeccomp {
  if (!isAbsolute(ref)) throw badField(field, `${field} "${ref}" must be an absolute path`);
  const bytes = input.host?.readFile(ref);
  if (bytes === undefined) throw badField(field, `${field}: seccomp profile "${ref}" does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch (e) {
    throw Object.assign(badField(field, `${field}: seccomp profile "${ref}" is not valid JSON`), { cause: e });
  }
  if (typeof parsed !== "object" || parsed === null || typeof (parsed as { defaultAction?: unknown }).defaultAction !== "string") {
    throw badField(field, `${field}: seccomp profile "${ref}" has no defaultAction`);
  }
  return parsed as OciSeccomp;
}

function applySeccomp(spec: OciSpec, input: CommonSpecInput, privileged: boolean, profile: Profile, field: string): void {
  const linux = linuxOf(spec);
  delete linux.seccomp;
  if (privileged) return;
  const p = profile.kind === "unset" ? { kind: input.unsetSeccompProfile ?? "Unconfined" } : profile;
  if (p.kind === "Unconfined") return;
  if (p.kind === "Localhost" && "ref" in p) {
    linux.seccomp = loadLocalhostSeccomp(p.ref, input, field);
    return;
  }
  linux.seccomp =
    input.defaultSeccompProfile !== undefined
      ? structuredClone(input.defaultSeccompProfile)
      : seccompProfile().createDefaultSeccompProfile({ capabilities: spec.process?.capabilities?.bounding ?? [], arch: input.arch ?? "x64" });
}

/**
 * Set `linux.seccomp` from the container's security context (apply after
 * the capabilities option: RuntimeDefault depends on them).
 *
 * @public
 */
export const withContainerSeccomp: SpecOption<ContainerSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  applySeccomp(
    spec,
    input,
    sc?.privileged ?? false,
    profileOf(sc?.seccomp, sc?.seccompProfilePath ?? "", "linux.security_context.seccomp_profile_path"),
    "linux.security_context.seccomp.localhost_ref",
  );
};

/**
 * Set `linux.seccomp` from the sandbox's security context.
 *
 * @public
 */
export const withSandboxSeccomp: SpecOption<SandboxSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  applySeccomp(
    spec,
    input,
    sc?.privileged ?? false,
    profileOf(sc?.seccomp, sc?.seccompProfilePath ?? "", "linux.security_context.seccomp_profile_path"),
    "linux.security_context.seccomp.localhost_ref",
  );
};

function applyApparmor(spec: OciSpec, input: CommonSpecInput, privileged: boolean, profile: Profile): void {
  const proc = processOf(spec);
  delete proc.apparmorProfile;
  if (!input.features?.apparmor || privileged) return;
  if (profile.kind === "Unconfined") return;
  if (profile.kind === "Localhost" && "ref" in profile) {
    if (profile.ref === "") throw badField("linux.security_context.apparmor.localhost_ref", "linux.security_context.apparmor.localhost_ref is empty");
    proc.apparmorProfile = profile.ref;
    return;
  }
  proc.apparmorProfile = input.defaultApparmorProfile ?? "crikit-default";
}

/**
 * Set `process.apparmorProfile` when AppArmor is enabled
 * (`features.apparmor`): none when privileged or Unconfined, the named
 * profile for Localhost, else `defaultApparmorProfile` (an unset profile
 * gets the default, as containerd does). The runtime must have loaded the
 * profile.
 *
 * @public
 */
export const withContainerApparmor: SpecOption<ContainerSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  applyApparmor(spec, input, sc?.privileged ?? false, profileOf(sc?.apparmor, sc?.apparmorProfile ?? "", "linux.security_context.apparmor_profile"));
};

/**
 * Set the sandbox's `process.apparmorProfile` (as {@link withContainerApparmor}).
 *
 * @public
 */
export const withSandboxApparmor: SpecOption<SandboxSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  applyApparmor(spec, input, sc?.privileged ?? false, profileOf(sc?.apparmor, "", "linux.security_context.apparmor"));
};

/**
 * The SELinux process and mount labels for SELinux options, with the
 * container defaults (`system_u`, `system_r`, `container_t`, `s0`; files
 * `container_file_t`).
 *
 * @public
 */
export function selinuxLabels(o: Pick<SELinuxOption, "user" | "role" | "type" | "level"> | undefined): { process: string; mount: string } {
  const user = o?.user || "system_u";
  const level = o?.level || "s0";
  return { process: `${user}:${o?.role || "system_r"}:${o?.type || "container_t"}:${level}`, mount: `${user}:object_r:container_file_t:${level}` };
}

function applySelinux(spec: OciSpec, input: CommonSpecInput, privileged: boolean, o: SELinuxOption | undefined): void {
  if (!input.features?.selinux || privileged) return;
  const l = selinuxLabels(o);
  processOf(spec).selinuxLabel = l.process;
  linuxOf(spec).mountLabel = l.mount;
}

/**
 * Set `process.selinuxLabel` and `linux.mountLabel` when SELinux is enabled
 * (`features.selinux`) and the container is not privileged.
 *
 * @public
 */
export const withContainerSelinux: SpecOption<ContainerSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  applySelinux(spec, input, sc?.privileged ?? false, sc?.selinuxOptions ?? input.sandboxConfig.linux?.securityContext?.selinuxOptions);
};

/**
 * Set the sandbox's SELinux labels (as {@link withContainerSelinux}).
 *
 * @public
 */
export const withSandboxSelinux: SpecOption<SandboxSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  applySelinux(spec, input, sc?.privileged ?? false, sc?.selinuxOptions);
};

/**
 * Refuse a privileged container in a non-privileged sandbox (the CRI says
 * the sandbox must be privileged if any of its containers is).
 *
 * @public
 */
export const withPrivilegedCheck: SpecOption<ContainerSpecInput> = (_spec, input) => {
  if (input.config.linux?.securityContext?.privileged && !input.sandboxConfig.linux?.securityContext?.privileged) {
    throw badField("linux.security_context.privileged", "a privileged container needs a privileged sandbox");
  }
};
