/**
 * CRI state names: `ContainerState.CONTAINER_RUNNING` is `"CONTAINER_RUNNING"`
 * and back. The names come from the generated enum objects, so they are
 * exactly the proto names (what containerd and CRI-O print in errors such as
 * `container "x" is in CONTAINER_EXITED state`).
 *
 * @packageDocumentation
 */
import { ContainerState, PodSandboxState } from "../cri-enums.js";
import { invalidArgument } from "../errors.js";

/** The name of each value of a generated enum object, by number. */
function namesByNumber<N extends string>(e: Readonly<Record<N, number>>): ReadonlyMap<number, N> {
  return new Map(Object.entries(e).map(([name, n]) => [n as number, name as N]));
}

const containerStateNames = namesByNumber(ContainerState);
const podSandboxStateNames = namesByNumber(PodSandboxState);

function valueOf<N extends string>(e: Readonly<Record<N, number>>, name: string): number | undefined {
  return Object.hasOwn(e, name) ? e[name as N] : undefined;
}

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
  const name = containerStateNames.get(state);
  if (name === undefined) throw invalidArgument(`unknown container state ${String(state)}`, "state");
  return name;
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
  const v = valueOf(ContainerState, name);
  if (v === undefined) {
    throw invalidArgument(`unknown container state "${name}": expected one of ${[...containerStateNames.values()].join(", ")}`, "state");
  }
  return v as ContainerState;
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
  const name = podSandboxStateNames.get(state);
  if (name === undefined) throw invalidArgument(`unknown pod sandbox state ${String(state)}`, "state");
  return name;
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
  const v = valueOf(PodSandboxState, name);
  if (v === undefined) {
    throw invalidArgument(`unknown pod sandbox state "${name}": expected one of ${[...podSandboxStateNames.values()].join(", ")}`, "state");
  }
  return v as PodSandboxState;
}
