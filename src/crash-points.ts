/**
 * A test hook for crash-consistency tests: `CRIKIT_CRASH_AT=<rpc>.<step>`
 * (for instance `RunPodSandbox.after-cni-add`) makes the process kill
 * itself with SIGKILL when it reaches that named step: no cleanup, no
 * flush, no exit handler, as an OOM kill or `kill -9` would end it.
 *
 * The variable is read once, when this module loads; unset (always, outside
 * tests), {@link crashPoint} is one comparison with `undefined`. The step
 * names are listed in {@link CRASH_POINTS} and in the README's reliability
 * section.
 *
 * @packageDocumentation
 */

/**
 * The named steps, by RPC, at which `CRIKIT_CRASH_AT` can stop the process.
 *
 * @internal
 */
export const CRASH_POINTS = {
  RunPodSandbox: ["after-intent", "after-netns", "mid-cni-add", "after-cni-add", "after-sandbox-start", "after-files", "after-record"],
  CreateContainer: ["after-intent", "after-rootfs-mount", "after-spec", "after-record"],
  StartContainer: ["after-intent", "after-runtime-create", "after-runtime-start", "after-record"],
  StopPodSandbox: ["after-intent", "after-containers-stopped", "after-cni-del", "after-netns-remove", "after-record"],
  RemovePodSandbox: ["after-intent", "after-containers-removed", "after-sandbox-remove", "after-dir-remove"],
  RemoveContainer: ["after-intent", "after-runtime-remove", "after-rootfs-unmount", "after-dir-remove"],
  PullImage: ["mid-blob-write", "after-blob-write", "mid-unpack", "after-unpack", "after-record"],
} as const;

/**
 * A crash point's name, `<rpc>.<step>`.
 *
 * @internal
 */
export type CrashPoint = { [K in keyof typeof CRASH_POINTS]: `${K}.${(typeof CRASH_POINTS)[K][number]}` }[keyof typeof CRASH_POINTS];

const armed: string | undefined = process.env["CRIKIT_CRASH_AT"] || undefined;

/**
 * Kills this process with SIGKILL when `CRIKIT_CRASH_AT` names `point`;
 * otherwise does nothing.
 *
 * @internal
 */
export function crashPoint(point: CrashPoint): void {
  if (armed === undefined || armed !== point) return;
  process.stderr.write(`crikit: crash point ${point} reached: SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
}
