/**
 * CRI state names: `ContainerState.CONTAINER_RUNNING` is `"CONTAINER_RUNNING"`
 * and back. The names come from the generated enum descriptors, so they are
 * exactly the proto names (what containerd and CRI-O print in errors such as
 * `container "x" is in CONTAINER_EXITED state`).
 *
 * @packageDocumentation
 */
import { ContainerState, ContainerStateSchema, PodSandboxState, PodSandboxStateSchema } from "../cri.js";
import { invalidArgument } from "../errors.js";

/**
 * The proto name of a CRI container state.
 *
 * @public
 */
export type ContainerStateName = keyof typeof ContainerState;

/**
 * The proto name of a CRI pod sandbox state.
 *
 * @public
 */
export type PodSandboxStateName = keyof typeof PodSandboxState;

/**
 * The name of a CRI container state, such as `"CONTAINER_RUNNING"`.
 *
 * @throws CrikitError InvalidArgument for a number that is not a
 * `ContainerState` value.
 *
 * @public
 */
export function containerStateName(state: ContainerState): ContainerStateName {
  const v = ContainerStateSchema.value[state];
  if (v === undefined) throw invalidArgument(`unknown container state ${String(state)}`, "state");
  return v.name as ContainerStateName;
}

/**
 * The CRI container state with the given name, such as `"CONTAINER_EXITED"`.
 *
 * @throws CrikitError InvalidArgument for a name that is not a
 * `ContainerState` name.
 *
 * @public
 */
export function parseContainerState(name: string): ContainerState {
  const v = ContainerStateSchema.values.find((e) => e.name === name);
  if (v === undefined) {
    throw invalidArgument(
      `unknown container state "${name}": expected one of ${ContainerStateSchema.values.map((e) => e.name).join(", ")}`,
      "state",
    );
  }
  return v.number as ContainerState;
}

/**
 * The name of a CRI pod sandbox state, such as `"SANDBOX_READY"`.
 *
 * @throws CrikitError InvalidArgument for a number that is not a
 * `PodSandboxState` value.
 *
 * @public
 */
export function podSandboxStateName(state: PodSandboxState): PodSandboxStateName {
  const v = PodSandboxStateSchema.value[state];
  if (v === undefined) throw invalidArgument(`unknown pod sandbox state ${String(state)}`, "state");
  return v.name as PodSandboxStateName;
}

/**
 * The CRI pod sandbox state with the given name, such as `"SANDBOX_NOTREADY"`.
 *
 * @throws CrikitError InvalidArgument for a name that is not a
 * `PodSandboxState` name.
 *
 * @public
 */
export function parsePodSandboxState(name: string): PodSandboxState {
  const v = PodSandboxStateSchema.values.find((e) => e.name === name);
  if (v === undefined) {
    throw invalidArgument(
      `unknown pod sandbox state "${name}": expected one of ${PodSandboxStateSchema.values.map((e) => e.name).join(", ")}`,
      "state",
    );
  }
  return v.number as PodSandboxState;
}
