/**
 * Spec options for the sandbox (pause) process: `catatonit -P` by default,
 * a read-only root, the pod's hostname, the sandbox user, default or
 * privileged capabilities, no_new_privs, and containerd's pause
 * oom_score_adj of -998 (clamped by `restrictOomScoreAdj`).
 *
 * @packageDocumentation
 */
import { NamespaceMode, SupplementalGroupsPolicy } from "../cri-enums.js";
import { computeCapabilities } from "./capabilities.js";
import { DEFAULT_PATH_ENV } from "./defaults.js";
import type { SandboxSpecInput } from "./input.js";
import { effectiveOomScoreAdj, mergeEnv, podHostname } from "./process-options.js";
import { processOf, type SpecOption } from "./spec-option.js";
import { resolveUser } from "./user.js";

/** @public The pause process' argv: Debian's static catatonit as a pause process. */
export const DEFAULT_PAUSE_ARGS: readonly string[] = Object.freeze(["/catatonit", "-P"]);

/** @public The pause process' oom_score_adj (containerd's value). */
export const SANDBOX_OOM_SCORE_ADJ = -998;

/**
 * Set the sandbox's root: the pause image rootfs, read-only.
 *
 * @public
 */
export const withSandboxRoot: SpecOption<SandboxSpecInput> = (spec, input) => {
  spec.root = { path: input.rootfsPath, readonly: true };
};

/**
 * Set the pause process: `pauseArgs` (default `/catatonit -P`), the image
 * env over the default `PATH`, `/` as working directory.
 *
 * @public
 */
export const withSandboxProcess: SpecOption<SandboxSpecInput> = (spec, input) => {
  const p = processOf(spec);
  p.args = [...(input.pauseArgs ?? DEFAULT_PAUSE_ARGS)];
  p.env = mergeEnv([DEFAULT_PATH_ENV], input.imageConfig?.Env ?? []);
  p.cwd = "/";
  p.terminal = false;
};

/**
 * Set `hostname` to the pod's hostname (the config's, else
 * `nodeHostname`: see {@link podHostname}), unless the pod uses the host
 * network (and so the host's UTS namespace).
 *
 * @public
 */
export const withSandboxHostname: SpecOption<SandboxSpecInput> = (spec, input) => {
  if (input.config.linux?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE) {
    delete spec.hostname;
    return;
  }
  const hostname = podHostname(input.config, input.nodeHostname);
  if (hostname !== "") spec.hostname = hostname;
};

/**
 * Set the pause process' user from the sandbox security context
 * (run_as_user, run_as_group, supplemental groups).
 *
 * @public
 */
export const withSandboxUser: SpecOption<SandboxSpecInput> = (spec, input) => {
  const sc = input.config.linux?.securityContext;
  processOf(spec).user = resolveUser(
    {
      runAsUser: sc?.runAsUser?.value,
      runAsGroup: sc?.runAsGroup?.value,
      supplementalGroups: sc?.supplementalGroups,
      policy: sc?.supplementalGroupsPolicy === SupplementalGroupsPolicy.Strict ? "Strict" : "Merge",
      imageUser: input.imageConfig?.User,
    },
    input.rootfs,
  );
};

/**
 * Set the pause process' capabilities (every host capability when the
 * sandbox is privileged), no_new_privs and oom_score_adj.
 *
 * @public
 */
export const withSandboxSecurity: SpecOption<SandboxSpecInput> = (spec, input) => {
  const p = processOf(spec);
  const req: Parameters<typeof computeCapabilities>[0] = { privileged: input.config.linux?.securityContext?.privileged ?? false };
  if (input.hostCapabilities !== undefined) req.hostCapabilities = input.hostCapabilities;
  p.capabilities = computeCapabilities(req);
  p.noNewPrivileges = true;
  p.oomScoreAdj = effectiveOomScoreAdj(SANDBOX_OOM_SCORE_ADJ, input);
};
