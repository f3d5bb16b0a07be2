/**
 * Container spec options for the process: args, env, working directory,
 * terminal, user, capabilities, no_new_privs, oom_score_adj and rlimits.
 *
 * @packageDocumentation
 */
import { SupplementalGroupsPolicy } from "../cri-enums.js";
import { computeCapabilities } from "./capabilities.js";
import { DEFAULT_RLIMITS } from "./defaults.js";
import type { CommonSpecInput, ContainerSpecInput } from "./input.js";
import { badField, isAbsolute, processOf, type SpecOption } from "./spec-option.js";
import { resolveUser } from "./user.js";

const utf8 = new TextDecoder();

function envKey(entry: string): string {
  const at = entry.indexOf("=");
  return at < 0 ? entry : entry.slice(0, at);
}

/** UTF-8 bytes to a string; ASCII takes a fast path. Invalid bytes become U+FFFD. */
function decodeUtf8(b: Uint8Array): string {
  if (b.length > 256) return utf8.decode(b);
  let s = "";
  for (let i = 0; i < b.length; i++) {
    const c = b[i] ?? 0;
    if (c >= 0x80) return utf8.decode(b);
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Set `root.path` and `root.readonly` (`readonly_rootfs`).
 *
 * @public
 */
export const withContainerRoot: SpecOption<ContainerSpecInput> = (spec, input) => {
  spec.root = { path: input.rootfsPath, readonly: input.config.linux?.securityContext?.readonlyRootfs ?? false };
};

/**
 * The argv of a container by Kubernetes semantics: `command` replaces the
 * image Entrypoint (and then the image Cmd is ignored); `args` replaces the
 * image Cmd.
 *
 * @throws CrikitError InvalidArgument (field `command`) when the result is empty.
 *
 * @public
 */
export function containerArgs(
  command: readonly string[],
  args: readonly string[],
  image: { Entrypoint?: readonly string[]; Cmd?: readonly string[] } | undefined,
): string[] {
  const cmd = command.length > 0 ? [...command] : [...(image?.Entrypoint ?? [])];
  const rest = command.length > 0 || args.length > 0 ? [...args] : [...(image?.Cmd ?? [])];
  const argv = [...cmd, ...rest];
  if (argv.length === 0) throw badField("command", "no command specified: the request has no command or args and the image no Entrypoint or Cmd");
  return argv;
}

/**
 * Set `process.args` from the request's command and args and the image's
 * Entrypoint and Cmd (see {@link containerArgs}).
 *
 * @public
 */
export const withProcessArgs: SpecOption<ContainerSpecInput> = (spec, input) => {
  processOf(spec).args = containerArgs(input.config.command, input.config.args, input.imageConfig);
};

/**
 * Set `process.cwd`: the request's working_dir, else the image's, else `/`.
 *
 * @throws CrikitError InvalidArgument (field `working_dir`) for a relative path.
 *
 * @public
 */
export const withWorkingDir: SpecOption<ContainerSpecInput> = (spec, input) => {
  const wd = input.config.workingDir;
  if (wd !== "" && !isAbsolute(wd)) throw badField("working_dir", `working_dir "${wd}" must be an absolute path`);
  processOf(spec).cwd = wd || input.imageConfig?.WorkingDir || "/";
};

/**
 * Set `process.terminal` from the request's `tty`; a terminal also gets
 * `TERM=xterm`, which the image or request env may override (containerd's
 * behaviour).
 *
 * @public
 */
export const withTerminal: SpecOption<ContainerSpecInput> = (spec, input) => {
  const p = processOf(spec);
  p.terminal = input.config.tty;
  if (input.config.tty) p.env = mergeEnv(p.env ?? [], ["TERM=xterm"]);
};

/**
 * Merge `KEY=value` entries into an env list: a later entry replaces an
 * earlier one with the same key, in place.
 *
 * @public
 */
export function mergeEnv(base: readonly string[], add: readonly string[]): string[] {
  const out = [...base];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(envKey(e), i));
  for (const e of add) {
    const key = envKey(e);
    const at = index.get(key);
    if (at === undefined) {
      index.set(key, out.length);
      out.push(e);
    } else out[at] = e;
  }
  return out;
}

/**
 * The hostname a pod's processes see: the sandbox config's, or the node's
 * when the config names none (containerd and CRI-O do the same; crictl's
 * minimal `pod.json` has no hostname). A host-network pod that names none
 * shares the node's UTS namespace, so it is the node's hostname there too.
 *
 * @param nodeHostname - the node's hostname (`os.hostname()`); without it a
 *   pod that names no hostname gets `""`, which leaves the UTS namespace's
 *   own (inherited from the node) in place.
 *
 * @public
 */
export function podHostname(sandboxConfig: Pick<ContainerSpecInput["sandboxConfig"], "hostname">, nodeHostname: string | undefined): string {
  if (sandboxConfig.hostname !== "") return sandboxConfig.hostname;
  return nodeHostname ?? "";
}

/**
 * Set `process.env`: the default `PATH`, `HOSTNAME`, then the image's env,
 * then the request's envs (values are bytes in this CRI version, decoded as
 * UTF-8), later entries replacing earlier ones with the same key.
 *
 * @public
 */
export const withEnv: SpecOption<ContainerSpecInput> = (spec, input) => {
  const p = processOf(spec);
  const hostname = podHostname(input.sandboxConfig, input.nodeHostname);
  const request = input.config.envs.map((kv) => `${kv.key}=${decodeUtf8(kv.value)}`);
  p.env = mergeEnv(p.env ?? [], [`HOSTNAME=${hostname}`, ...(input.imageConfig?.Env ?? []), ...request]);
};

/**
 * Set `process.user` (uid, gid, additional gids) from run_as_user,
 * run_as_username, run_as_group, supplemental groups and their policy,
 * or the image's user, resolved against the image rootfs.
 *
 * @public
 */
export const withUser: SpecOption<ContainerSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  processOf(spec).user = resolveUser(
    {
      runAsUser: sc?.runAsUser?.value,
      runAsUsername: sc?.runAsUsername,
      runAsGroup: sc?.runAsGroup?.value,
      supplementalGroups: sc?.supplementalGroups,
      policy: sc?.supplementalGroupsPolicy === SupplementalGroupsPolicy.Strict ? "Strict" : "Merge",
      imageUser: input.imageConfig?.User,
    },
    input.rootfs,
  );
};

/**
 * Set `process.capabilities`: the default set, or every host capability
 * when privileged, then the request's adds and drops (`ALL` included).
 *
 * @public
 */
export const withCapabilities: SpecOption<ContainerSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  const req: Parameters<typeof computeCapabilities>[0] = {
    add: sc?.capabilities?.addCapabilities ?? [],
    drop: sc?.capabilities?.dropCapabilities ?? [],
    ambient: sc?.capabilities?.addAmbientCapabilities ?? [],
    privileged: sc?.privileged ?? false,
  };
  if (input.hostCapabilities !== undefined) req.hostCapabilities = input.hostCapabilities;
  processOf(spec).capabilities = computeCapabilities(req);
};

/**
 * Set `process.noNewPrivileges` from the request's `no_new_privs`.
 *
 * @public
 */
export const withNoNewPrivileges: SpecOption<ContainerSpecInput> = (spec, input) => {
  processOf(spec).noNewPrivileges = input.config.linux?.securityContext?.noNewPrivs ?? false;
};

/**
 * The oom_score_adj to write, clamped to at least the runtime's own value
 * when `restrictOomScoreAdj` is set (a process without CAP_SYS_RESOURCE
 * cannot lower it, and runc would then fail).
 *
 * @public
 */
export function effectiveOomScoreAdj(value: number, input: Pick<CommonSpecInput, "restrictOomScoreAdj" | "currentOomScoreAdj">): number {
  if (!input.restrictOomScoreAdj) return value;
  return Math.max(value, input.currentOomScoreAdj ?? 0);
}

/**
 * Set `process.oomScoreAdj` from the request's resources (see
 * {@link effectiveOomScoreAdj}).
 *
 * @public
 */
export const withOomScoreAdj: SpecOption<ContainerSpecInput> = (spec, input) => {
  const v = Number(input.config.linux?.resources?.oomScoreAdj ?? 0n);
  processOf(spec).oomScoreAdj = effectiveOomScoreAdj(v, input);
};

/**
 * Set `process.rlimits` to {@link CommonSpecInput.rlimits}, by default
 * {@link DEFAULT_RLIMITS} (none: the runtime's limits are inherited).
 *
 * @public
 */
export const withDefaultRlimits: SpecOption<CommonSpecInput> = (spec, input) => {
  const list = input.rlimits ?? DEFAULT_RLIMITS;
  const p = processOf(spec);
  if (list.length === 0) delete p.rlimits;
  else p.rlimits = list.map((r) => ({ type: r.type, soft: r.soft, hard: r.hard }));
};
