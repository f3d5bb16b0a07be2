/**
 * Spec options: small pure functions `(spec, input) => void` that each set
 * one concern of an OCI spec. A spec is built by applying an ordered list of
 * them to a base spec; a custom runtime adds, replaces or drops entries of
 * the default lists (compare entries by identity).
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import type { OciLinux, OciProcess, OciSpec } from "./oci-types.js";

/**
 * One step of spec generation. It mutates `spec` in place and throws a
 * {@link CrikitError} (InvalidArgument naming the request field) on bad input.
 *
 * @public
 */
export type SpecOption<I> = (spec: OciSpec, input: I) => void;

/**
 * Apply `options` in order to `spec`.
 *
 * @public
 */
export function applySpecOptions<I>(spec: OciSpec, input: I, options: ReadonlyArray<SpecOption<I>>): OciSpec {
  for (const option of options) option(spec, input);
  return spec;
}

/** @internal The spec's `process`, created when missing. */
export function processOf(spec: OciSpec): OciProcess {
  spec.process ??= { cwd: "/" };
  return spec.process;
}

/** @internal The spec's `linux`, created when missing. */
export function linuxOf(spec: OciSpec): OciLinux {
  spec.linux ??= {};
  return spec.linux;
}

/** @internal An InvalidArgument error naming a request field. */
export function badField(field: string, message: string): CrikitError {
  return new CrikitError("InvalidArgument", message, { details: { field } });
}

/** @internal Whether a path is absolute. */
export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}
