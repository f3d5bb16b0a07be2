/**
 * Turning the seccomp template into an OCI `linux.seccomp` profile for one
 * container's capabilities and CPU architecture.
 *
 * @packageDocumentation
 */
import type { OciSeccomp, OciSeccompSyscall } from "../spec/index.js";
import { DEFAULT_SECCOMP_TEMPLATE, type SeccompTemplate } from "./default-profile.js";

/**
 * Options of {@link createDefaultSeccompProfile}.
 *
 * @public
 */
export interface DefaultSeccompOptions {
  /** The container's bounding capabilities. @defaultValue none */
  capabilities?: readonly string[];
  /** Node.js `process.arch` value. @defaultValue "x64" */
  arch?: string;
  /** The template. @defaultValue DEFAULT_SECCOMP_TEMPLATE */
  template?: SeccompTemplate;
}

/**
 * crikit's RuntimeDefault seccomp profile for a container with the given
 * capabilities on the given architecture.
 *
 * @public
 */
export function createDefaultSeccompProfile(options: DefaultSeccompOptions = {}): OciSeccomp {
  const t = options.template ?? DEFAULT_SECCOMP_TEMPLATE;
  const caps = new Set(options.capabilities ?? []);
  const syscalls: OciSeccompSyscall[] = [];
  for (const r of t.syscalls) {
    if (r.requires !== undefined && !caps.has(r.requires)) continue;
    if (r.unless !== undefined && caps.has(r.unless)) continue;
    const s: OciSeccompSyscall = { names: [...r.names], action: r.action };
    if (r.errnoRet !== undefined) s.errnoRet = r.errnoRet;
    if (r.args !== undefined) s.args = r.args.map((a) => ({ ...a }));
    syscalls.push(s);
  }
  const profile: OciSeccomp = { defaultAction: t.defaultAction, defaultErrnoRet: t.defaultErrnoRet, syscalls };
  const arches = t.archMap[options.arch ?? "x64"];
  if (arches !== undefined) profile.architectures = [...arches];
  return profile;
}
